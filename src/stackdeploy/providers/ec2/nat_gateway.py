"""aws.ec2.nat_gateway on EC2: CreateNatGateway with a client token, waits for available/deleted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import wait_until
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.base import Ec2Provider
from stackdeploy.providers.ec2.common import (
    id_filter,
)
from stackdeploy.providers.ownership import split_tags
from stackdeploy.specs.ec2.nat_gateway import NAT_GATEWAY

# AWS lists deleted NAT gateways for about an hour, and they still match tag filters; a
# failed one is deleted by AWS on its own and can never become usable. None of them count
# as existing, so a stack with one plans a fresh create.
_DEAD_STATES = frozenset({"deleting", "deleted", "failed"})
_LIVE_STATES = ["pending", "available"]
# Right after the Elastic IP or subnet is created, CreateNatGateway may not see it yet.
_NOT_YET_VISIBLE = frozenset(
    {"InvalidAllocationID.NotFound", "InvalidElasticIpID.NotFound", "InvalidSubnetID.NotFound"}
)


class NatGatewayProvider(Ec2Provider):
    rtype = NAT_GATEWAY
    describe_method = "describe_nat_gateways"
    result_key = "NatGateways"
    id_filter_name = "nat-gateway-id"
    tag_resource_type = "natgateway"
    filter_param = "Filter"

    def fetch_items(self, region: str, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # The state filter drops dead gateways server-side; to_live keeps that true regardless.
        return super().fetch_items(region, [*filters, {"Name": "state", "Values": _LIVE_STATES}])

    def to_live(self, region: str, gateway: dict[str, Any]) -> LiveResource | None:
        if gateway.get("State") in _DEAD_STATES:
            return None
        nat_id = gateway["NatGatewayId"]
        tags, owner = split_tags(gateway.get("Tags"))
        addresses = gateway.get("NatGatewayAddresses") or [{}]
        # Secondary addresses may follow; the primary one is what the spec describes.
        primary = next((a for a in addresses if a.get("IsPrimary")), addresses[0])
        allocation_id = primary.get("AllocationId")
        properties = {
            "subnet_id": gateway["SubnetId"],
            "allocation_id": allocation_id,
            # Gateways from before private NAT existed do not report it; only public ones
            # hold an Elastic IP.
            "connectivity_type": gateway.get("ConnectivityType")
            or ("public" if allocation_id else "private"),
            "tags": tags,
            "id": nat_id,
            "public_ip": primary.get("PublicIp"),
            "private_ip": primary.get("PrivateIp"),
            "network_interface_id": primary.get("NetworkInterfaceId"),
        }
        return LiveResource.tagged(self.rtype.name, nat_id, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        ec2 = self.clients.client("ec2", ctx.region)
        request: dict[str, Any] = {
            "SubnetId": props["subnet_id"],
            "ConnectivityType": props["connectivity_type"],
            # The same token makes a retried create return the gateway already made.
            "ClientToken": ctx.token,
            "TagSpecifications": self.creation_tags(ctx, props),
        }
        if props.get("allocation_id") is not None:
            request["AllocationId"] = props["allocation_id"]
        created: list[str] = []
        self.while_not_visible(
            ctx,
            "ec2.CreateNatGateway",
            lambda: created.append(ec2.create_nat_gateway(**request)["NatGateway"]["NatGatewayId"]),
            _NOT_YET_VISIBLE,
        )
        nat_id = created[-1]

        def available() -> tuple[bool, str]:
            gateway = _describe_one(ec2, nat_id)
            if gateway is None:
                return False, "not visible yet"
            state = str(gateway["State"])
            if state == "failed":
                raise _failure(ctx, nat_id, gateway)
            if state in _DEAD_STATES:
                raise ProviderError(
                    f"NAT gateway {nat_id} is {state}: it was deleted while being created",
                    address=ctx.address,
                )
            return state == "available", state

        # Typically about 1.5 minutes.
        wait_until(
            available, what="NAT gateway to become available", timing=ctx.timing, events=ctx.events
        )
        return self.read_after_write(ctx, nat_id)

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
        nat_id = live.physical_id
        self.ignore_not_found(lambda: ec2.delete_nat_gateway(NatGatewayId=nat_id))

        # The subnet, the Elastic IP and the IGW detach stay blocked until the gateway is
        # fully deleted. Own reads hide "deleting", so ask EC2 directly. A failed gateway
        # holds nothing and may stay "failed" until AWS removes it, so it counts as done.
        def deleted() -> tuple[bool, str]:
            gateway = _describe_one(ec2, nat_id)
            state = "deleted" if gateway is None else str(gateway["State"])
            return state in {"deleted", "failed"}, state

        wait_until(deleted, what="NAT gateway to be deleted", timing=ctx.timing, events=ctx.events)


def _describe_one(ec2: RetryingClient, nat_id: str) -> dict[str, Any] | None:
    """The gateway in any state, or None when EC2 does not list it (yet, or any more)."""
    # DescribeNatGateways spells its filter parameter "Filter", unlike the other EC2 calls.
    gateways = ec2.describe_nat_gateways(Filter=id_filter("nat-gateway-id", [nat_id]))[
        "NatGateways"
    ]
    return dict(gateways[0]) if gateways else None


def _failure(ctx: ResourceContext, nat_id: str, gateway: dict[str, Any]) -> ProviderError:
    code = str(gateway.get("FailureCode") or "")
    message = gateway.get("FailureMessage") or "no reason given"
    hint = "AWS deletes a failed NAT gateway by itself; fix the cause and apply again"
    if code == "Gateway.NotAttached":
        hint = "attach an internet gateway to the subnet's VPC first, then apply again"
    return ProviderError(
        f"NAT gateway {nat_id} failed: {code or 'Failed'}: {message}",
        code=code,
        hint=hint,
        address=ctx.address,
    )
