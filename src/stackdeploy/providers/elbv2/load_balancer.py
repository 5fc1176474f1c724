"""aws.elbv2.load_balancer on ELB v2: CreateLoadBalancer with tags, wait until active;
SetSubnets / SetSecurityGroups / SetIpAddressType / attributes in place; delete and wait
until gone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while, wait_until
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.elbv2.common import (
    arn_resource,
    attribute_map,
    aws_tags,
    described_by_arn,
    elbv2,
    ignore_gone,
    owned_load_balancers,
    remove_ownership_tags,
    sync_tags,
    with_tags,
    write_ownership_tags,
)
from stackdeploy.providers.ownership import split_tags
from stackdeploy.specs.elbv2.load_balancer import LOAD_BALANCER

# Property -> (attribute key, AWS's default). A missing attribute has AWS's default value.
_ATTRIBUTES = {
    "idle_timeout": ("idle_timeout.timeout_seconds", 60),
    "deletion_protection": ("deletion_protection.enabled", False),
}
# Right after a subnet or security group is created, ELB may not see it yet.
_NOT_YET_VISIBLE = frozenset({"SubnetNotFound", "InvalidSubnet", "InvalidSecurityGroup"})
_READY = frozenset({"active", "active_impaired"})  # impaired: serving, but cannot scale yet


def _attribute_value(attributes: dict[str, str], prop: str) -> int | bool:
    key, default = _ATTRIBUTES[prop]
    if key not in attributes:
        return default
    raw = attributes[key]
    return raw.lower() == "true" if isinstance(default, bool) else int(raw)


def _attribute_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class LoadBalancerProvider(Provider):
    rtype = LOAD_BALANCER

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        client = elbv2(self.clients, region)
        found = (self._to_live(client, region, lb) for lb in owned_load_balancers(client, stack))
        return [live for live in found if live is not None]

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        if not physical_ids:
            return {}
        client = elbv2(self.clients, region)
        described = described_by_arn(
            client, "describe_load_balancers", "LoadBalancers", "LoadBalancerArns", physical_ids
        )
        found = (self._to_live(client, region, lb) for lb in with_tags(client, described))
        return {live.physical_id: live for live in found if live is not None}

    def _to_live(
        self, client: RetryingClient, region: str, balancer: dict[str, Any]
    ) -> LiveResource | None:
        arn = balancer["LoadBalancerArn"]
        described = ignore_gone(client.describe_load_balancer_attributes, LoadBalancerArn=arn)
        if described is None:
            return None  # deleted since it was listed
        attributes = attribute_map(described["Attributes"])
        tags, owner = split_tags(balancer.get("Tags"))
        properties = {
            "name": balancer["LoadBalancerName"],
            "scheme": balancer.get("Scheme", "internet-facing"),
            "subnet_ids": [z["SubnetId"] for z in balancer.get("AvailabilityZones") or []],
            "security_group_ids": list(balancer.get("SecurityGroups") or []),
            "ip_address_type": balancer.get("IpAddressType", "ipv4"),
            "idle_timeout": _attribute_value(attributes, "idle_timeout"),
            "deletion_protection": _attribute_value(attributes, "deletion_protection"),
            "tags": tags,
            "id": arn,
            "arn": arn,
            "arn_suffix": arn_resource(arn),
            "dns_name": balancer.get("DNSName"),
            "zone_id": balancer.get("CanonicalHostedZoneId"),
        }
        return LiveResource.tagged(self.rtype.name, arn, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        client = elbv2(self.clients, ctx.region)
        request: dict[str, Any] = {
            "Name": props["name"],
            "Subnets": props["subnet_ids"],
            "Scheme": props["scheme"],
            "Type": "application",
            "IpAddressType": props["ip_address_type"],
            # Ownership tags in the create call: an interrupted create is found, not repeated.
            "Tags": aws_tags({**props["tags"], **ctx.ownership_tags()}),
        }
        if props.get("security_group_ids") is not None:
            request["SecurityGroups"] = props["security_group_ids"]
        created: list[dict[str, Any]] = []
        try:
            retry_while(
                lambda: created.append(client.create_load_balancer(**request)["LoadBalancers"][0]),
                codes=_NOT_YET_VISIBLE,
                deadline=ctx.timing.visibility_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation="elbv2.CreateLoadBalancer",
            )
        except ClientError as error:
            if has_code(error, "DuplicateLoadBalancerName"):
                raise ProviderError(
                    f"a load balancer named '{props['name']}' already exists in {ctx.region} "
                    "with other settings, and this stack does not own it",
                    code="DuplicateLoadBalancerName",
                    hint="choose another name, or delete the other load balancer",
                    address=ctx.address,
                ) from error
            raise
        arn = created[-1]["LoadBalancerArn"]
        # CreateLoadBalancer takes no attributes; only those off AWS's defaults are set.
        changed = {
            prop: props[prop]
            for prop, (_, default) in _ATTRIBUTES.items()
            if props[prop] != default
        }
        self._set_attributes(client, arn, changed)
        self._wait_active(ctx, client, arn)
        return self.read_after_write(ctx, arn)

    def _wait_active(self, ctx: ResourceContext, client: RetryingClient, arn: str) -> None:
        def active() -> tuple[bool, str]:
            balancer = _describe_one(client, arn)
            if balancer is None:
                return False, "not visible yet"
            state = balancer.get("State") or {}
            code = str(state.get("Code", "provisioning"))
            if code == "failed":
                raise ProviderError(
                    f"load balancer {balancer['LoadBalancerName']} failed to provision: "
                    f"{state.get('Reason') or 'no reason given'}",
                    code="failed",
                    hint="fix the cause (subnets, security groups, quotas), destroy the failed "
                    "load balancer and apply again",
                    address=ctx.address,
                )
            return code in _READY, code

        # Typically two to three minutes.
        wait_until(
            active, what="load balancer to become active", timing=ctx.timing, events=ctx.events
        )

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        client = elbv2(self.clients, ctx.region)
        arn = live.physical_id
        changed = {change.path for change in changes}
        if "subnet_ids" in changed:
            client.set_subnets(LoadBalancerArn=arn, Subnets=props["subnet_ids"])
        if "security_group_ids" in changed:
            client.set_security_groups(
                LoadBalancerArn=arn, SecurityGroups=props["security_group_ids"]
            )
        if "ip_address_type" in changed:
            client.set_ip_address_type(LoadBalancerArn=arn, IpAddressType=props["ip_address_type"])
        self._set_attributes(client, arn, {p: props[p] for p in _ATTRIBUTES if p in changed})
        sync_tags(client, arn, props["tags"], live.properties["tags"])
        return self.read_after_write(ctx, arn)

    @staticmethod
    def _set_attributes(client: RetryingClient, arn: str, values: dict[str, Any]) -> None:
        if values:
            client.modify_load_balancer_attributes(
                LoadBalancerArn=arn,
                Attributes=[
                    {"Key": _ATTRIBUTES[prop][0], "Value": _attribute_text(value)}
                    for prop, value in sorted(values.items())
                ],
            )

    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        write_ownership_tags(self.clients, ctx, live.physical_id)

    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        remove_ownership_tags(self.clients, ctx, live.physical_id)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        client = elbv2(self.clients, ctx.region)
        arn = live.physical_id
        if ctx.unprotect and live.properties.get("deletion_protection"):
            # An exercise stack's load balancer: the plan said protection goes first.
            attribute = {"Key": _ATTRIBUTES["deletion_protection"][0], "Value": "false"}
            self.ignore_not_found(
                lambda: client.modify_load_balancer_attributes(
                    LoadBalancerArn=arn, Attributes=[attribute]
                )
            )
        try:
            self.ignore_not_found(lambda: client.delete_load_balancer(LoadBalancerArn=arn))
        except ClientError as error:
            if has_code(error, "OperationNotPermitted"):
                # Someone protected it on purpose: switched off only for an exercise stack.
                raise ProviderError(
                    f"load balancer {live.properties.get('name', arn)} has deletion protection "
                    "on, so AWS refuses to delete it",
                    code="OperationNotPermitted",
                    hint="set deletion_protection: false in the stack file and apply, then "
                    "destroy again",
                    address=ctx.address,
                ) from error
            raise

        # Its listeners go with it. Its network interfaces are released a little later; the
        # subnet and security group deletes retry DependencyViolation meanwhile.
        def gone() -> tuple[bool, str]:
            balancer = _describe_one(client, arn)
            return balancer is None, "deleting"

        wait_until(gone, what="load balancer to be deleted", timing=ctx.timing, events=ctx.events)


def _describe_one(client: RetryingClient, arn: str) -> dict[str, Any] | None:
    """The load balancer, or None when AWS does not know it (yet, or any more)."""
    described = ignore_gone(client.describe_load_balancers, LoadBalancerArns=[arn])
    balancers = described["LoadBalancers"] if described else []
    return dict(balancers[0]) if balancers else None
