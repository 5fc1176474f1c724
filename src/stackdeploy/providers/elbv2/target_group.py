"""aws.elbv2.target_group on ELB v2: CreateTargetGroup with tags; ModifyTargetGroup (health
check), attributes and Register/DeregisterTargets in place; DeleteTargetGroup."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code, has_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.elbv2.common import (
    PAGE_SIZE,
    attribute_map,
    aws_tags,
    describe_tags,
    described_by_arn,
    elbv2,
    ignore_gone,
    paged,
    remove_ownership_tags,
    sync_tags,
    write_ownership_tags,
)
from stackdeploy.providers.ownership import owned_by, split_tags
from stackdeploy.specs.elbv2.target_group import TARGET_GROUP

# Set when `targets` is managed by the stack: only then are registrations read (one
# DescribeTargetHealth per group) and compared. Hidden from user tags like ownership tags.
MANAGED_TARGETS_TAG = "stackdeploy:targets"
_DELAY = "deregistration_delay.timeout_seconds"
_DEFAULT_DELAY = 300
# Deregistered targets drain for the deregistration delay: they are on their way out.
_LEAVING = frozenset({"draining"})


def _health_check_request(check: dict[str, Any]) -> dict[str, Any]:
    return {
        "HealthCheckProtocol": check["protocol"],
        "HealthCheckPath": check["path"],
        "HealthCheckPort": check["port"],
        "HealthCheckIntervalSeconds": check["interval"],
        "HealthCheckTimeoutSeconds": check["timeout"],
        "HealthyThresholdCount": check["healthy_threshold"],
        "UnhealthyThresholdCount": check["unhealthy_threshold"],
        "Matcher": {"HttpCode": check["matcher"]},
    }


def _health_check_of(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "protocol": group.get("HealthCheckProtocol"),
        "path": group.get("HealthCheckPath"),
        "port": group.get("HealthCheckPort"),
        "interval": group.get("HealthCheckIntervalSeconds"),
        "timeout": group.get("HealthCheckTimeoutSeconds"),
        "healthy_threshold": group.get("HealthyThresholdCount"),
        "unhealthy_threshold": group.get("UnhealthyThresholdCount"),
        "matcher": (group.get("Matcher") or {}).get("HttpCode"),
    }


def _target_key(target: dict[str, Any]) -> tuple[str, int]:
    return str(target["id"]), int(target["port"])


class TargetGroupProvider(Provider):
    rtype = TARGET_GROUP

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        client = elbv2(self.clients, region)
        groups = paged(client, "describe_target_groups", "TargetGroups", PageSize=PAGE_SIZE)
        return self._assemble(client, region, groups, stack)

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        if not physical_ids:
            return {}
        client = elbv2(self.clients, region)
        groups = described_by_arn(
            client, "describe_target_groups", "TargetGroups", "TargetGroupArns", physical_ids
        )
        found = self._assemble(client, region, groups, None)
        return {live.physical_id: live for live in found}

    def _assemble(
        self,
        client: RetryingClient,
        region: str,
        groups: list[dict[str, Any]],
        stack: str | None,
    ) -> list[LiveResource]:
        tags = describe_tags(client, [g["TargetGroupArn"] for g in groups])
        result = []
        for group in groups:
            group_tags = tags.get(group["TargetGroupArn"])
            if group_tags is None or (stack is not None and not owned_by(group_tags, stack)):
                continue
            live = self._to_live(client, region, group, group_tags)
            if live is not None:
                result.append(live)
        return result

    def _to_live(
        self, client: RetryingClient, region: str, group: dict[str, Any], aws_tag_list: list[Any]
    ) -> LiveResource | None:
        arn = group["TargetGroupArn"]
        described = ignore_gone(client.describe_target_group_attributes, TargetGroupArn=arn)
        if described is None:
            return None  # deleted since it was listed
        attributes = attribute_map(described["Attributes"])
        tags, owner = split_tags(aws_tag_list)
        properties: dict[str, Any] = {
            "name": group["TargetGroupName"],
            "protocol": group.get("Protocol"),
            "port": group.get("Port"),
            "vpc_id": group.get("VpcId"),
            "target_type": group.get("TargetType", "instance"),
            "health_check": _health_check_of(group),
            "deregistration_delay": int(attributes.get(_DELAY, _DEFAULT_DELAY)),
            "tags": tags,
            "id": arn,
            "arn": arn,
            # "targetgroup/<name>/<id>", as CloudWatch's TargetGroup dimension wants it.
            "arn_suffix": arn.split(":", 5)[-1],
        }
        if any(t["Key"] == MANAGED_TARGETS_TAG for t in aws_tag_list):
            targets = _registered(client, arn)
            if targets is None:
                return None
            properties["targets"] = targets
        return LiveResource.tagged(self.rtype.name, arn, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        client = elbv2(self.clients, ctx.region)
        tags = {**props["tags"], **ctx.ownership_tags()}
        if props.get("targets") is not None:
            tags[MANAGED_TARGETS_TAG] = "managed"
        request = {
            "Name": props["name"],
            "Protocol": props["protocol"],
            "Port": props["port"],
            "VpcId": props["vpc_id"],
            "TargetType": props["target_type"],
            "HealthCheckEnabled": True,
            **_health_check_request(props["health_check"]),
            "Tags": aws_tags(tags),
        }
        created: list[str] = []
        try:
            retry_while(
                lambda: created.append(
                    client.create_target_group(**request)["TargetGroups"][0]["TargetGroupArn"]
                ),
                codes=set(),
                # A VPC created moments ago: "The VPC ID 'vpc-...' is not found".
                matches=lambda e: has_code(e, "ValidationError") and "not found" in str(e),
                deadline=ctx.timing.visibility_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation="elbv2.CreateTargetGroup",
            )
        except ClientError as error:
            if has_code(error, "DuplicateTargetGroupName"):
                raise ProviderError(
                    f"a target group named '{props['name']}' already exists in {ctx.region}",
                    code="DuplicateTargetGroupName",
                    hint="a replaced target group is created before the old one is deleted, "
                    "so it needs a new name; or the name is taken outside this stack",
                    address=ctx.address,
                ) from error
            raise
        arn = created[-1]
        if props["deregistration_delay"] != _DEFAULT_DELAY:
            self._set_delay(client, arn, props["deregistration_delay"])
        if props.get("targets"):
            self._register(ctx, client, arn, props["targets"])
        return self.read_after_write(ctx, arn)

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
        if "health_check" in changed:
            client.modify_target_group(
                TargetGroupArn=arn,
                HealthCheckEnabled=True,
                **_health_check_request(props["health_check"]),
            )
        if "deregistration_delay" in changed:
            self._set_delay(client, arn, props["deregistration_delay"])
        if "targets" in changed:
            self._converge_targets(ctx, client, arn, props["targets"], live)
        sync_tags(client, arn, props["tags"], live.properties["tags"])
        return self.read_after_write(ctx, arn)

    def _converge_targets(
        self,
        ctx: ResourceContext,
        client: RetryingClient,
        arn: str,
        desired: list[dict[str, Any]],
        live: LiveResource,
    ) -> None:
        if live.properties.get("targets") is None:
            # Managed from now on: reads include registrations from here.
            client.add_tags(ResourceArns=[arn], Tags=aws_tags({MANAGED_TARGETS_TAG: "managed"}))
        # What is registered now, not as planned, decides what to (de)register.
        current = _registered(client, arn) or []
        have = {_target_key(t) for t in current}
        want = {_target_key(t) for t in desired}
        added = [t for t in desired if _target_key(t) not in have]
        removed = [t for t in current if _target_key(t) not in want]
        if added:
            self._register(ctx, client, arn, added)
        if removed:
            client.deregister_targets(
                TargetGroupArn=arn, Targets=[{"Id": t["id"], "Port": t["port"]} for t in removed]
            )

    def _register(
        self, ctx: ResourceContext, client: RetryingClient, arn: str, targets: list[dict[str, Any]]
    ) -> None:
        request = [{"Id": t["id"], "Port": t["port"]} for t in targets]
        # An instance launched moments ago may not be running (or visible to ELB) yet.
        retry_while(
            lambda: client.register_targets(TargetGroupArn=arn, Targets=request),
            codes={"InvalidTarget"},
            deadline=ctx.timing.visibility_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation="elbv2.RegisterTargets",
        )

    @staticmethod
    def _set_delay(client: RetryingClient, arn: str, seconds: int) -> None:
        client.modify_target_group_attributes(
            TargetGroupArn=arn, Attributes=[{"Key": _DELAY, "Value": str(seconds)}]
        )

    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        write_ownership_tags(self.clients, ctx, live.physical_id)

    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        remove_ownership_tags(self.clients, ctx, live.physical_id)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        client = elbv2(self.clients, ctx.region)
        try:
            # A listener or rule deleted moments ago can still hold the group briefly.
            retry_while(
                lambda: self.ignore_not_found(
                    lambda: client.delete_target_group(TargetGroupArn=live.physical_id)
                ),
                codes={"ResourceInUse"},
                deadline=ctx.timing.visibility_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation="elbv2.DeleteTargetGroup",
            )
        except ClientError as error:
            if error_code(error) == "ResourceInUse":
                raise ProviderError(
                    f"target group {live.properties.get('name', live.physical_id)} is still "
                    "used by a listener or rule",
                    code="ResourceInUse",
                    hint="delete or re-point the listeners and rules that forward to it first "
                    "(ones outside this stack too)",
                    address=ctx.address,
                ) from error
            raise


def _registered(client: RetryingClient, arn: str) -> list[dict[str, Any]] | None:
    """The registered targets (draining ones excluded), or None when the group is gone."""
    described = ignore_gone(client.describe_target_health, TargetGroupArn=arn)
    if described is None:
        return None
    return [
        {"id": d["Target"]["Id"], "port": d["Target"].get("Port")}
        for d in described["TargetHealthDescriptions"]
        if (d.get("TargetHealth") or {}).get("State") not in _LEAVING
    ]
