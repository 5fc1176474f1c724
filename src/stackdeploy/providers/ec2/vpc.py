"""aws.ec2.vpc on EC2: CreateVpc with tags, DNS attributes via ModifyVpcAttribute."""

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
from stackdeploy.specs.ec2.vpc import VPC

_DNS_ATTRIBUTES = {
    "enable_dns_support": "EnableDnsSupport",
    "enable_dns_hostnames": "EnableDnsHostnames",
}


class VpcProvider(Ec2Provider):
    rtype = VPC
    describe_method = "describe_vpcs"
    result_key = "Vpcs"
    id_filter_name = "vpc-id"
    tag_resource_type = "vpc"

    def to_live(self, region: str, vpc: dict[str, Any]) -> LiveResource:
        ec2 = self.clients.client("ec2", region)
        vpc_id = vpc["VpcId"]
        # DescribeVpcs omits the DNS attributes: one DescribeVpcAttribute per attribute and VPC.
        dns = {
            name: bool(
                ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attr[0].lower() + attr[1:])[
                    attr
                ]["Value"]
            )
            for name, attr in _DNS_ATTRIBUTES.items()
        }
        tags, owner = split_tags(vpc.get("Tags"))
        properties = {
            "cidr_block": vpc["CidrBlock"],
            "instance_tenancy": vpc.get("InstanceTenancy", "default"),
            **dns,
            "tags": tags,
            "id": vpc_id,
            "arn": ec2_arn(region, vpc["OwnerId"], "vpc", vpc_id),
            "owner_id": vpc["OwnerId"],
            "dhcp_options_id": vpc.get("DhcpOptionsId"),
        }
        return LiveResource.tagged(self.rtype.name, vpc_id, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        ec2 = self.clients.client("ec2", ctx.region)
        response = ec2.create_vpc(
            CidrBlock=props["cidr_block"],
            InstanceTenancy=props["instance_tenancy"],
            TagSpecifications=self.creation_tags(ctx, props),
        )
        vpc_id = response["Vpc"]["VpcId"]

        def available() -> tuple[bool, str]:
            vpcs = ec2.describe_vpcs(Filters=id_filter("vpc-id", [vpc_id]))["Vpcs"]
            state = vpcs[0]["State"] if vpcs else "not visible yet"
            return state == "available", state

        wait_until(available, what="VPC to become available", timing=ctx.timing, events=ctx.events)
        # A new VPC has DNS support on and hostnames off; set only what differs.
        self._set_dns(
            ctx, vpc_id, props, {"enable_dns_support": True, "enable_dns_hostnames": False}
        )
        return self.read_after_write(ctx, vpc_id)

    def _set_dns(
        self, ctx: ResourceContext, vpc_id: str, props: dict[str, Any], current: dict[str, Any]
    ) -> None:
        ec2 = self.clients.client("ec2", ctx.region)
        # Hostnames need DNS support, so turn support on first and off last.
        order = ["enable_dns_support", "enable_dns_hostnames"]
        if not props["enable_dns_support"]:
            order.reverse()
        for name in order:
            if props[name] != current.get(name):
                ec2.modify_vpc_attribute(
                    VpcId=vpc_id, **{_DNS_ATTRIBUTES[name]: {"Value": props[name]}}
                )

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        self._set_dns(ctx, live.physical_id, props, live.properties)
        self.sync_user_tags(ctx, live.physical_id, props["tags"], live.properties["tags"])
        return self.read_after_write(ctx, live.physical_id)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        ec2 = self.clients.client("ec2", ctx.region)
        # Subnets, gateways and groups may still be draining their network interfaces.
        self.delete_retrying(
            ctx, lambda: ec2.delete_vpc(VpcId=live.physical_id), operation="ec2.DeleteVpc"
        )
