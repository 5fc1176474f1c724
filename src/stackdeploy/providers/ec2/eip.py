"""aws.ec2.eip on EC2: AllocateAddress with tags, ReleaseAddress once nothing holds it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.base import Ec2Provider
from stackdeploy.providers.ownership import split_tags
from stackdeploy.specs.ec2.eip import EIP

# While a NAT gateway that held the address is still being deleted, ReleaseAddress answers
# AuthFailure rather than InvalidIPAddress.InUse; both clear once the holder is gone.
_IN_USE_CODES = frozenset({"InvalidIPAddress.InUse", "AuthFailure"})


class EipProvider(Ec2Provider):
    rtype = EIP
    describe_method = "describe_addresses"
    result_key = "Addresses"
    id_filter_name = "allocation-id"
    tag_resource_type = "elastic-ip"
    paginated = False

    def to_live(self, region: str, address: dict[str, Any]) -> LiveResource:
        allocation_id = address["AllocationId"]
        tags, owner = split_tags(address.get("Tags"))
        properties = {
            "domain": address.get("Domain", "vpc"),
            # AWS reports "amazon" for its own pool; a spec that leaves it None never diffs.
            "public_ipv4_pool": address.get("PublicIpv4Pool"),
            "tags": tags,
            "id": allocation_id,
            "allocation_id": allocation_id,
            "public_ip": address.get("PublicIp"),
        }
        return LiveResource.tagged(self.rtype.name, allocation_id, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        ec2 = self.clients.client("ec2", ctx.region)
        pool: dict[str, str] = {}
        if props.get("public_ipv4_pool") is not None:
            pool["PublicIpv4Pool"] = props["public_ipv4_pool"]
        response = ec2.allocate_address(
            Domain=props.get("domain") or "vpc",
            TagSpecifications=self.creation_tags(ctx, props),
            **pool,
        )
        # An allocation is usable at once; there is no state to wait for.
        return self.read_after_write(ctx, response["AllocationId"])

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        return self.update_tags(ctx, live, props)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        ec2 = self.clients.client("ec2", ctx.region)
        self.delete_retrying(
            ctx,
            lambda: ec2.release_address(AllocationId=live.physical_id),
            operation="ec2.ReleaseAddress",
            codes=_IN_USE_CODES,
        )
