"""aws.ec2.subnet on EC2: CreateSubnet with tags, public IP mapping via ModifySubnetAttribute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stackdeploy.aws.waiters import wait_until
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.base import Ec2Provider
from stackdeploy.providers.ec2.common import (
    ec2_arn,
    id_filter,
)
from stackdeploy.providers.ownership import split_tags
from stackdeploy.specs.ec2.subnet import SUBNET


class SubnetProvider(Ec2Provider):
    rtype = SUBNET
    describe_method = "describe_subnets"
    result_key = "Subnets"
    id_filter_name = "subnet-id"
    tag_resource_type = "subnet"

    def to_live(self, region: str, subnet: dict[str, Any]) -> LiveResource:
        subnet_id = subnet["SubnetId"]
        account = subnet["OwnerId"]
        tags, owner = split_tags(subnet.get("Tags"))
        properties = {
            "vpc_id": subnet["VpcId"],
            "cidr_block": subnet["CidrBlock"],
            "availability_zone": subnet["AvailabilityZone"],
            "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch", False)),
            "tags": tags,
            "id": subnet_id,
            "arn": subnet.get("SubnetArn") or ec2_arn(region, account, "subnet", subnet_id),
            "availability_zone_id": subnet.get("AvailabilityZoneId"),
            "owner_id": account,
        }
        return LiveResource.tagged(self.rtype.name, subnet_id, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        ec2 = self.clients.client("ec2", ctx.region)
        zone: dict[str, str] = {}
        if props.get("availability_zone") is not None:
            zone["AvailabilityZone"] = props["availability_zone"]
        response = ec2.create_subnet(
            VpcId=props["vpc_id"],
            CidrBlock=props["cidr_block"],
            TagSpecifications=self.creation_tags(ctx, props),
            **zone,
        )
        subnet_id = response["Subnet"]["SubnetId"]

        def available() -> tuple[bool, str]:
            subnets = ec2.describe_subnets(Filters=id_filter("subnet-id", [subnet_id]))["Subnets"]
            state = subnets[0]["State"] if subnets else "not visible yet"
            return state == "available", state

        wait_until(
            available, what="subnet to become available", timing=ctx.timing, events=ctx.events
        )
        # A new subnet does not map public IPs; only a request for it needs a call.
        self._set_map_public_ip(ctx, subnet_id, props, current=False)
        return self.read_after_write(ctx, subnet_id)

    def _set_map_public_ip(
        self, ctx: ResourceContext, subnet_id: str, props: dict[str, Any], *, current: bool
    ) -> None:
        wanted = props.get("map_public_ip_on_launch")
        if wanted is None or bool(wanted) == current:
            return
        self.clients.client("ec2", ctx.region).modify_subnet_attribute(
            SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": bool(wanted)}
        )

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        self._set_map_public_ip(
            ctx,
            live.physical_id,
            props,
            current=bool(live.properties.get("map_public_ip_on_launch")),
        )
        self.sync_user_tags(ctx, live.physical_id, props["tags"], live.properties["tags"])
        return self.read_after_write(ctx, live.physical_id)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        ec2 = self.clients.client("ec2", ctx.region)
        # AWS refuses while network interfaces (of NAT gateways, instances, load balancers
        # being deleted) still sit in the subnet; they drain within minutes.
        self.delete_retrying(
            ctx, lambda: ec2.delete_subnet(SubnetId=live.physical_id), operation="ec2.DeleteSubnet"
        )
