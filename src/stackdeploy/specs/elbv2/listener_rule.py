"""aws.elbv2.listener_rule: a rule of an application load balancer's listener.

Its physical id is its ARN. Only the listener is fixed; the priority (SetRulePriorities),
the conditions and the action (ModifyRule) change in place.

Conditions are written the way AWS's current API describes them, in snake_case: each is one
of `path_patterns`, `host_headers`, `http_header: {name, values}`, `http_request_methods`,
`query_strings: [{key, value}]` or `source_ips`. AWS's older duplicate `Values` field is not
used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import (
    Issue,
    ResourceType,
    Spec,
    TaggedSpec,
    check_ipv4_cidr,
    check_ipv6_cidr,
    is_ref_like,
)
from stackdeploy.specs.elbv2.actions import Action
from stackdeploy.specs.elbv2.listener import TYPE_NAME as LISTENER
from stackdeploy.specs.elbv2.listener import check_forward_target, target_of_any
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

TYPE_NAME = "aws.elbv2.listener_rule"
MAX_VALUES_PER_RULE = 5  # AWS quota: condition values per rule
MAX_VALUE_LENGTH = 128
CONDITION_FIELDS = (
    "path_patterns",
    "host_headers",
    "http_header",
    "http_request_methods",
    "query_strings",
    "source_ips",
)
# AWS allows each of these at most once per rule; http_header and query_strings may repeat.
_ONCE_PER_RULE = ("path_patterns", "host_headers", "http_request_methods", "source_ips")


def _values(values: list[str], what: str) -> list[str]:
    if not values:
        raise ValueError(f"{what} needs at least one value")
    for value in values:
        if len(value) > MAX_VALUE_LENGTH:
            raise ValueError(f"{what} value '{value[:20]}...' is over {MAX_VALUE_LENGTH} chars")
    return values


class HttpHeaderMatch(Spec):
    name: str = Field(min_length=1, max_length=40, description="Header name, e.g. User-Agent.")
    values: list[str] = Field(description="Values to match (* and ? wildcards).")

    @field_validator("values")
    @classmethod
    def _check(cls, values: list[str]) -> list[str]:
        return _values(values, "http_header")


class QueryStringMatch(Spec):
    key: str | None = Field(None, description="Parameter name; any parameter when omitted.")
    value: str = Field(max_length=MAX_VALUE_LENGTH, description="Value (* and ? wildcards).")


class RuleCondition(Spec):
    path_patterns: list[str] | None = Field(None, description="e.g. ['/api/*'].")
    host_headers: list[str] | None = Field(None, description="e.g. ['api.example.com'].")
    http_header: HttpHeaderMatch | None = None
    http_request_methods: list[str] | None = Field(None, description="e.g. ['GET', 'HEAD'].")
    query_strings: list[QueryStringMatch] | None = None
    source_ips: list[str] | None = Field(None, description="Client CIDR blocks.")

    @field_validator("path_patterns", "host_headers")
    @classmethod
    def _patterns(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else _values(values, "a condition")

    @field_validator("http_request_methods")
    @classmethod
    def _methods(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        upper = [v.upper() for v in _values(values, "http_request_methods")]
        for method in upper:
            if len(method) > 40 or not method.replace("-", "").replace("_", "").isalpha():
                raise ValueError(f"'{method}' is not an HTTP method (A-Z, - and _)")
        return upper

    @field_validator("source_ips")
    @classmethod
    def _cidrs(cls, values: list[str] | None) -> list[str] | None:
        if values is None:
            return None
        return [
            check_ipv6_cidr(v) if ":" in v else check_ipv4_cidr(v)
            for v in _values(values, "source_ips")
        ]

    @field_validator("query_strings")
    @classmethod
    def _queries(cls, values: list[QueryStringMatch] | None) -> list[QueryStringMatch] | None:
        if values is not None and not values:
            raise ValueError("query_strings needs at least one key/value pair")
        return values

    @model_validator(mode="after")
    def _exactly_one(self) -> RuleCondition:
        given = [name for name in CONDITION_FIELDS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                "a condition has exactly one of "
                + ", ".join(CONDITION_FIELDS)
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    def value_count(self) -> int:
        if self.http_header is not None:
            return len(self.http_header.values)
        value = next(getattr(self, name) for name in CONDITION_FIELDS if getattr(self, name))
        return len(value)


class AlbListenerRuleSpec(TaggedSpec):
    listener_arn: str = Field(description="Its listener, usually ${listener.arn}.")
    priority: int = Field(
        ge=1, le=50000, description="1-50000, unique per listener; lower is evaluated first."
    )
    conditions: list[RuleCondition] = Field(
        min_length=1, description="All must match (each value list matches any of its values)."
    )
    action: Action = Field(description="forward, redirect or fixed-response.")

    @model_validator(mode="after")
    def _rule_limits(self) -> AlbListenerRuleSpec:
        kinds = Counter(
            name for c in self.conditions for name in _ONCE_PER_RULE if getattr(c, name)
        )
        repeated = sorted(name for name, count in kinds.items() if count > 1)
        if repeated:
            raise ValueError(f"a rule takes at most one {repeated[0]} condition; merge the values")
        total = sum(c.value_count() for c in self.conditions)
        if total > MAX_VALUES_PER_RULE:
            raise ValueError(f"{total} condition values; AWS allows {MAX_VALUES_PER_RULE} per rule")
        return self


def canonical_rule(properties: dict[str, Any]) -> dict[str, Any]:
    """Each condition holds only the one match it has, as AWS reads it back."""
    result = dict(properties)
    result["conditions"] = [
        {key: value for key, value in condition.items() if value is not None}
        for condition in properties["conditions"]
    ]
    return result


def _priorities_and_references(stack: Stack) -> Iterator[Issue]:
    taken: dict[tuple[str, int], str] = {}
    for resource in stack.resources.values():
        if resource.type != TYPE_NAME:
            continue
        props = resource.properties
        listener = target_of_any(stack, props["listener_arn"])
        if listener is not None and listener.type != LISTENER:
            yield Issue(
                resource.logical_id,
                ("listener_arn",),
                f"listener_arn refers to '{listener.logical_id}', a {listener.type}; a rule "
                f"belongs to an {LISTENER}",
            )
        yield from check_forward_target(stack, resource, props["action"], ("action",))
        owner = props["listener_arn"]
        key = listener.logical_id if listener is not None else str(owner)
        priority = props["priority"]
        if is_ref_like(priority):
            continue
        if (key, priority) in taken:
            yield Issue(
                resource.logical_id,
                ("priority",),
                f"rule '{taken[(key, priority)]}' already has priority {priority} on this listener",
                hint="priorities are unique per listener",
            )
        taken.setdefault((key, priority), resource.logical_id)


LISTENER_RULE = ResourceType(
    name=TYPE_NAME,
    spec=AlbListenerRuleSpec,
    summary="A listener rule: requests matching its conditions get its action, in priority order.",
    attributes={"id": "Rule ARN", "arn": "Rule ARN"},
    create_only=frozenset({"listener_arn"}),
    unordered=frozenset({"conditions"}),
    replace_notes={"listener_arn": "a rule belongs to one listener"},
    update_notes={"priority": "SetRulePriorities: the rule moves in the evaluation order"},
    checks=(_priorities_and_references,),
    canonicalize=canonical_rule,
    references={
        "listener_arn": refers_to("aws.elbv2.listener", by="arn"),
        "action.target_group_arn": refers_to("aws.elbv2.target_group", by="arn"),
        # A weighted forward made outside stackdeploy reads back with several groups.
        "action.target_group_arns[]": refers_to("aws.elbv2.target_group", by="arn"),
    },
)
