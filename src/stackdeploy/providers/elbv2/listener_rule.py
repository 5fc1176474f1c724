"""aws.elbv2.listener_rule on ELB v2: CreateRule with tags; SetRulePriorities and ModifyRule
in place; DeleteRule.

Rules are listed per listener, on the listeners of the load balancers the stack owns; each
listener's default rule is its default action, not a rule of its own, and is skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.ec2.common import split_tags
from stackdeploy.providers.elbv2.common import (
    action_from_aws,
    action_to_aws,
    aws_tags,
    describe_tags,
    elbv2,
    ignore_gone,
    listener_of_rule,
    owned_by,
    owned_load_balancers,
    paged,
    sync_tags,
)
from stackdeploy.providers.elbv2.listener import listeners_of
from stackdeploy.specs.elbv2.listener_rule import LISTENER_RULE

# condition property -> (AWS Field, its config key); AWS's older flat `Values` is not used.
_CONDITIONS = {
    "path_patterns": ("path-pattern", "PathPatternConfig"),
    "host_headers": ("host-header", "HostHeaderConfig"),
    "http_header": ("http-header", "HttpHeaderConfig"),
    "http_request_methods": ("http-request-method", "HttpRequestMethodConfig"),
    "query_strings": ("query-string", "QueryStringConfig"),
    "source_ips": ("source-ip", "SourceIpConfig"),
}
_BY_FIELD = {field: (name, config) for name, (field, config) in _CONDITIONS.items()}
_NOT_YET_VISIBLE = frozenset({"ListenerNotFound", "TargetGroupNotFound"})


def condition_to_aws(condition: dict[str, Any]) -> dict[str, Any]:
    (name, value), *_ = condition.items()
    field, config = _CONDITIONS[name]
    if name == "http_header":
        body: dict[str, Any] = {"HttpHeaderName": value["name"], "Values": value["values"]}
    elif name == "query_strings":
        pairs = [
            {"Value": p["value"], **({"Key": p["key"]} if p.get("key") else {})} for p in value
        ]
        body = {"Values": pairs}
    else:
        body = {"Values": value}
    return {"Field": field, config: body}


def condition_from_aws(condition: dict[str, Any]) -> dict[str, Any]:
    field = str(condition.get("Field", ""))
    if field not in _BY_FIELD:
        return {"unknown": field}
    name, config_key = _BY_FIELD[field]
    config = condition.get(config_key) or {}
    # Rules made with the older API may only carry the flat Values (host and path only).
    values = config.get("Values", condition.get("Values", []))
    if name == "http_header":
        return {name: {"name": config.get("HttpHeaderName"), "values": values}}
    if name == "query_strings":
        return {name: [{"key": p.get("Key"), "value": p.get("Value")} for p in values]}
    return {name: list(values)}


def rules_of(client: RetryingClient, listener_arn: str) -> list[dict[str, Any]]:
    """The listener's rules except its default rule; none when the listener is gone."""
    rules = ignore_gone(paged, client, "describe_rules", "Rules", ListenerArn=listener_arn)
    return [
        {**rule, "ListenerArn": listener_arn} for rule in rules or [] if not rule.get("IsDefault")
    ]


class ListenerRuleProvider(Provider):
    rtype = LISTENER_RULE

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        client = elbv2(self.clients, region)
        rules = [
            rule
            for balancer in owned_load_balancers(client, stack)
            for listener in listeners_of(client, balancer["LoadBalancerArn"])
            for rule in rules_of(client, listener["ListenerArn"])
        ]
        return self._with_tags(client, region, rules, stack)

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        if not physical_ids:
            return {}
        client = elbv2(self.clients, region)
        # DescribeRules by ARN fails whole when one is gone; per listener it lists what exists.
        wanted_by_listener: dict[str, set[str]] = defaultdict(set)
        for arn in physical_ids:
            wanted_by_listener[listener_of_rule(arn)].add(arn)
        rules = [
            rule
            for listener, wanted in sorted(wanted_by_listener.items())
            for rule in rules_of(client, listener)
            if rule["RuleArn"] in wanted
        ]
        return {live.physical_id: live for live in self._with_tags(client, region, rules)}

    def _with_tags(
        self,
        client: RetryingClient,
        region: str,
        rules: list[dict[str, Any]],
        stack: str | None = None,
    ) -> list[LiveResource]:
        tags = describe_tags(client, [rule["RuleArn"] for rule in rules])
        return [
            self._to_live(region, rule, tags[rule["RuleArn"]])
            for rule in rules
            if rule["RuleArn"] in tags and (stack is None or owned_by(tags[rule["RuleArn"]], stack))
        ]

    def _to_live(self, region: str, rule: dict[str, Any], aws_tag_list: list[Any]) -> LiveResource:
        arn = rule["RuleArn"]
        tags, logical_id = split_tags(aws_tag_list)
        properties = {
            "listener_arn": rule["ListenerArn"],
            "priority": int(rule["Priority"]),
            "conditions": [condition_from_aws(c) for c in rule.get("Conditions") or []],
            "action": action_from_aws(rule.get("Actions") or []),
            "tags": tags,
            "id": arn,
            "arn": arn,
        }
        return LiveResource(self.rtype.name, arn, region, properties, logical_id)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        client = elbv2(self.clients, ctx.region)
        request = {
            "ListenerArn": props["listener_arn"],
            "Priority": props["priority"],
            "Conditions": [condition_to_aws(c) for c in props["conditions"]],
            "Actions": [action_to_aws(props["action"])],
            # Ownership tags in the create call: an interrupted create is found, not repeated.
            "Tags": aws_tags({**props["tags"], **ctx.ownership_tags()}),
        }
        created: list[str] = []
        try:
            retry_while(
                lambda: created.append(client.create_rule(**request)["Rules"][0]["RuleArn"]),
                codes=_NOT_YET_VISIBLE,
                deadline=ctx.timing.visibility_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation="elbv2.CreateRule",
            )
        except ClientError as error:
            raise _explained(ctx, props, error) from error
        return self.read_after_write(ctx, created[-1])

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
        try:
            if "priority" in changed:
                client.set_rule_priorities(
                    RulePriorities=[{"RuleArn": arn, "Priority": props["priority"]}]
                )
            if changed & {"conditions", "action"}:
                client.modify_rule(
                    RuleArn=arn,
                    Conditions=[condition_to_aws(c) for c in props["conditions"]],
                    Actions=[action_to_aws(props["action"])],
                )
        except ClientError as error:
            raise _explained(ctx, props, error) from error
        sync_tags(client, arn, props["tags"], live.properties["tags"])
        return self.read_after_write(ctx, arn)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        client = elbv2(self.clients, ctx.region)
        self.ignore_not_found(lambda: client.delete_rule(RuleArn=live.physical_id))


def _explained(ctx: ResourceContext, props: dict[str, Any], error: ClientError) -> BaseException:
    """A clearer error for refusals the user can act on; others as AWS gave them."""
    if has_code(error, "PriorityInUse"):
        return ProviderError(
            f"another rule of this listener already has priority {props['priority']}",
            code="PriorityInUse",
            hint="priorities are unique per listener; when two rules swap priorities, move "
            "one to a free priority first (two applies)",
            address=ctx.address,
        )
    return error  # type: ignore[no-any-return]
