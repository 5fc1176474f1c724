"""aws.elbv2.listener_rule on ELB v2: CreateRule with tags; SetRulePriorities and ModifyRule
in place; DeleteRule.

Rules are listed per listener, on the listeners of the load balancers the stack owns; each
listener's default rule is its default action, not a rule of its own, and is skipped.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.elbv2.common import (
    action_from_aws,
    action_to_aws,
    aws_tags,
    elbv2,
    ignore_gone,
    listener_of_rule,
    owned_load_balancers,
    paged,
)
from stackdeploy.providers.elbv2.listener import listeners_of
from stackdeploy.providers.elbv2.nested import NestedProvider
from stackdeploy.providers.ownership import split_tags
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


class ListenerRuleProvider(NestedProvider):
    rtype = LISTENER_RULE
    arn_key = "RuleArn"
    delete_method = "delete_rule"
    not_yet_visible = _NOT_YET_VISIBLE

    def parent_of(self, arn: str) -> str:
        return listener_of_rule(arn)

    def children_of(self, client: RetryingClient, parent_arn: str) -> list[dict[str, Any]]:
        return rules_of(client, parent_arn)

    def owned_parents(self, client: RetryingClient, stack: str) -> list[str]:
        return [
            listener["ListenerArn"]
            for balancer in owned_load_balancers(client, stack)
            for listener in listeners_of(client, balancer["LoadBalancerArn"])
        ]

    def to_live(self, region: str, rule: dict[str, Any], aws_tag_list: list[Any]) -> LiveResource:
        arn = rule["RuleArn"]
        tags, owner = split_tags(aws_tag_list)
        properties = {
            "listener_arn": rule["ListenerArn"],
            "priority": int(rule["Priority"]),
            "conditions": [condition_from_aws(c) for c in rule.get("Conditions") or []],
            "action": action_from_aws(rule.get("Actions") or []),
            "tags": tags,
            "id": arn,
            "arn": arn,
        }
        return LiveResource.tagged(self.rtype.name, arn, region, properties, owner)

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
        return self.create_with(
            ctx,
            props,
            "elbv2.CreateRule",
            lambda: str(client.create_rule(**request)["Rules"][0]["RuleArn"]),
        )

    def modify(
        self, client: RetryingClient, arn: str, props: dict[str, Any], changed: set[str]
    ) -> None:
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

    def explained(
        self, ctx: ResourceContext, props: dict[str, Any], error: ClientError
    ) -> BaseException:
        if has_code(error, "PriorityInUse"):
            return ProviderError(
                f"another rule of this listener already has priority {props['priority']}",
                code="PriorityInUse",
                hint="priorities are unique per listener; when two rules swap priorities, move "
                "one to a free priority first (two applies)",
                address=ctx.address,
            )
        return super().explained(ctx, props, error)
