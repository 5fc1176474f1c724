"""aws.ec2.internet_gateway on EC2: CreateInternetGateway with tags, then attach to the VPC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stackdeploy.aws.errors import has_code, is_not_found
from stackdeploy.aws.waiters import retry_while
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.base import Ec2Provider
from stackdeploy.providers.ec2.common import (
    ec2_arn,
    id_filter,
)
from stackdeploy.providers.ownership import split_tags
from stackdeploy.specs.ec2.internet_gateway import INTERNET_GATEWAY

# AWS reports an IGW attachment as "available" (the documented "attached" is accepted too).
_ATTACHED = frozenset({"available", "attached"})
# States in which an attachment still blocks DeleteInternetGateway and needs a detach.
_DETACHABLE = _ATTACHED | {"attaching"}


class InternetGatewayProvider(Ec2Provider):
    rtype = INTERNET_GATEWAY
    describe_method = "describe_internet_gateways"
    result_key = "InternetGateways"
    id_filter_name = "internet-gateway-id"
    tag_resource_type = "internet-gateway"

    def to_live(self, region: str, gateway: dict[str, Any]) -> LiveResource:
        igw_id = gateway["InternetGatewayId"]
        account = gateway["OwnerId"]
        tags, owner = split_tags(gateway.get("Tags"))
        attached = [
            a["VpcId"] for a in gateway.get("Attachments") or [] if a.get("State") in _ATTACHED
        ]
        properties = {
            "vpc_id": attached[0] if attached else None,
            "tags": tags,
            "id": igw_id,
            "arn": ec2_arn(region, account, "internet-gateway", igw_id),
            "owner_id": account,
        }
        return LiveResource.tagged(self.rtype.name, igw_id, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        ec2 = self.clients.client("ec2", ctx.region)
        response = ec2.create_internet_gateway(
            TagSpecifications=self.creation_tags(ctx, props),
        )
        igw_id = response["InternetGateway"]["InternetGatewayId"]
        if props.get("vpc_id") is not None:
            self._attach(ctx, igw_id, props["vpc_id"])
        return self.read_after_write(ctx, igw_id)

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        wanted, current = props.get("vpc_id"), live.properties.get("vpc_id")
        # A vpc_id of None means "not managed" to the differ, so it never detaches.
        if wanted is not None and wanted != current:
            if current is not None:
                self._detach(ctx, live.physical_id, current)
            self._attach(ctx, live.physical_id, wanted)
        self.sync_user_tags(ctx, live.physical_id, props["tags"], live.properties["tags"])
        return self.read_after_write(ctx, live.physical_id)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        ec2 = self.clients.client("ec2", ctx.region)
        # Detach from whatever it is attached to now, not what was last recorded: an
        # attachment made outside stackdeploy would otherwise block the delete.
        gateways = ec2.describe_internet_gateways(
            Filters=id_filter("internet-gateway-id", [live.physical_id])
        )["InternetGateways"]
        if not gateways:
            return  # already gone
        for attachment in gateways[0].get("Attachments") or []:
            if attachment.get("State") in _DETACHABLE:
                self._detach(ctx, live.physical_id, attachment["VpcId"])
        # A detach that has not settled yet still counts as a dependency.
        self.delete_retrying(
            ctx,
            lambda: ec2.delete_internet_gateway(InternetGatewayId=live.physical_id),
            operation="ec2.DeleteInternetGateway",
        )

    def _attach(self, ctx: ResourceContext, igw_id: str, vpc_id: str) -> None:
        ec2 = self.clients.client("ec2", ctx.region)
        # The gateway was just created (or detached): EC2 reads are eventually consistent.
        retry_while(
            lambda: ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id),
            codes={"InvalidInternetGatewayID.NotFound"},
            deadline=ctx.timing.visibility_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation="ec2.AttachInternetGateway",
        )

    def _detach(self, ctx: ResourceContext, igw_id: str, vpc_id: str) -> None:
        ec2 = self.clients.client("ec2", ctx.region)

        def detach() -> None:
            try:
                ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
            except Exception as error:
                # Gone or already detached: the goal of a detach is reached either way.
                if not (is_not_found(error) or has_code(error, "Gateway.NotAttached")):
                    raise

        # AWS refuses while the VPC still maps public addresses (EIPs, NAT gateways, public
        # instances) that are being released.
        retry_while(
            detach,
            codes={"DependencyViolation"},
            deadline=ctx.timing.dependency_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation="ec2.DetachInternetGateway",
        )
