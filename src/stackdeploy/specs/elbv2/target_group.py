"""aws.elbv2.target_group: a target group of an application load balancer.

Its physical id is its ARN. Name, protocol, port, VPC and target type are fixed at creation;
the health check, the deregistration delay and the registered targets change in place.
`targets` is optional: left out, registrations belong to someone else (an Auto Scaling group
registers its own instances) and are never compared.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import ReplaceStrategy, ResourceType, Spec, TaggedSpec, is_ref_like
from stackdeploy.specs.elbv2.checks import NAME_MAX_LENGTH, elb_name_problem, unique_names
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack
    from stackdeploy.specs.base import Issue

TYPE_NAME = "aws.elbv2.target_group"
# "200", "200-299", "200,202": HTTP codes an ALB health check accepts as healthy.
_MATCHER = re.compile(r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$")
MAX_PATH = 1024


def _port_text(value: Any) -> str:
    text = str(value)
    if text == "traffic-port" or is_ref_like(text):
        return text
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"health check port '{value}' is not 1-65535 or traffic-port")
    return str(int(text))


class AlbHealthCheck(Spec):
    protocol: Literal["HTTP", "HTTPS"] | None = Field(
        None, description="HTTP or HTTPS; the target group's protocol when omitted."
    )
    path: str = Field("/", description="Path requested from each target.")
    port: str = Field("traffic-port", description="traffic-port (the target's port) or 1-65535.")
    interval: int = Field(30, ge=5, le=300, description="Seconds between checks.")
    timeout: int = Field(5, ge=2, le=120, description="Seconds without answer = failed check.")
    healthy_threshold: int = Field(5, ge=2, le=10, description="Successes to become healthy.")
    unhealthy_threshold: int = Field(2, ge=2, le=10, description="Failures to become unhealthy.")
    matcher: str = Field("200", description="Healthy HTTP codes: 200, 200-299 or 200,302.")

    @field_validator("protocol", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: Any) -> str:
        return _port_text(value)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or len(value) > MAX_PATH:
            raise ValueError(f"health check path '{value}' must start with '/' (max {MAX_PATH})")
        return value

    @field_validator("matcher", mode="before")
    @classmethod
    def _matcher(cls, value: Any) -> str:
        text = str(value).replace(" ", "")
        codes = re.findall(r"\d+", text)
        if not _MATCHER.match(text) or any(not 200 <= int(code) <= 499 for code in codes):
            raise ValueError(
                f"matcher '{value}' is not HTTP codes 200-499 such as 200, 200-299 or 200,302"
            )
        return text

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> AlbHealthCheck:
        if self.timeout >= self.interval:
            raise ValueError(
                f"timeout {self.timeout} must be smaller than interval {self.interval}"
            )
        return self


class Target(Spec):
    id: str = Field(description="An instance id (i-..., ${web.id}) or, for target_type ip, an IP.")
    port: int | None = Field(
        None, ge=1, le=65535, description="Port on the target; the group's port when omitted."
    )


class AlbTargetGroupSpec(TaggedSpec):
    name: str | None = Field(
        None,
        description="Up to 32 letters, digits and hyphens, unique in the region; "
        "<stack>-<id> when omitted. Fixed after creation.",
    )
    protocol: Literal["HTTP", "HTTPS"] = Field("HTTP", description="Protocol to the targets.")
    port: int = Field(ge=1, le=65535, description="Port the targets receive traffic on.")
    vpc_id: str = Field(description="The VPC of its targets, usually ${vpc.id}.")
    target_type: Literal["instance", "ip"] = Field(
        "instance", description="instance (targets are instance ids) or ip."
    )
    health_check: AlbHealthCheck = Field(default_factory=AlbHealthCheck)
    deregistration_delay: int = Field(
        300, ge=0, le=3600, description="Seconds a deregistered target keeps its connections."
    )
    targets: list[Target] | None = Field(
        None,
        description="Registered targets; omitted means not managed here (e.g. by an Auto "
        "Scaling group's target_group_arns).",
    )

    @field_validator("protocol", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        problem = None if value is None else elb_name_problem(value, "target group")
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _targets_match_type(self) -> AlbTargetGroupSpec:
        seen: set[tuple[str, int | None]] = set()
        for target in self.targets or []:
            key = (target.id, target.port)
            if key in seen:
                raise ValueError(f"target {target.id} is listed twice with the same port")
            seen.add(key)
            if is_ref_like(target.id):
                continue
            if self.target_type == "instance" and not target.id.startswith("i-"):
                raise ValueError(f"target '{target.id}' is not an instance id (i-...)")
            if self.target_type == "ip":
                try:
                    ipaddress.ip_address(target.id)
                except ValueError:
                    raise ValueError(f"target '{target.id}' is not an IP address") from None
        return self


def canonical_target_group(properties: dict[str, Any]) -> dict[str, Any]:
    """Fill what AWS fills: the health check's protocol, each target's port."""
    result = dict(properties)
    health = dict(properties["health_check"])
    if health.get("protocol") is None:
        health["protocol"] = properties["protocol"]
    result["health_check"] = health
    if properties.get("targets") is not None:
        result["targets"] = [
            {"id": t["id"], "port": properties["port"] if t.get("port") is None else t["port"]}
            for t in properties["targets"]
        ]
    return result


def _names(stack: Stack) -> Iterator[Issue]:
    groups = (r for r in stack.resources.values() if r.type == TYPE_NAME)
    return unique_names(groups, "target group", lambda n: elb_name_problem(n, "target group"))


_RENAME = (
    "; it is created anew before the old one goes (so listeners switch over without a gap); "
    "names are unique per region, so a name you set must change in the same edit (a "
    "generated one changes by itself)"
)

TARGET_GROUP = ResourceType(
    name=TYPE_NAME,
    spec=AlbTargetGroupSpec,
    summary="A target group: the targets (instances or IPs) a listener forwards to, with "
    "their health check.",
    attributes={
        "id": "Target group ARN",
        "arn": "Target group ARN",
        "arn_suffix": "targetgroup/<name>/<id>: the TargetGroup dimension of its CloudWatch "
        "metrics",
        "name": "Target group name",
    },
    create_only=frozenset({"name", "protocol", "port", "vpc_id", "target_type"}),
    unordered=frozenset({"targets"}),
    # A target group in use by a listener cannot be deleted (ResourceInUse): the new one is
    # created, listeners and rules are pointed at it, then the old one is deleted.
    replace_strategy=ReplaceStrategy.CREATE_THEN_DELETE,
    replace_notes={
        "name": "a target group cannot be renamed",
        "protocol": "a target group's protocol is fixed at creation" + _RENAME,
        "port": "a target group's port is fixed at creation" + _RENAME,
        "vpc_id": "a target group belongs to one VPC" + _RENAME,
        "target_type": "a target group's target type is fixed at creation" + _RENAME,
    },
    update_notes={
        "targets": "registers new targets; removed ones drain for deregistration_delay seconds",
    },
    checks=(_names,),
    canonicalize=canonical_target_group,
    name_property="name",
    name_max_length=NAME_MAX_LENGTH,
    references={
        "vpc_id": refers_to("aws.ec2.vpc"),
        "targets[].id": refers_to("aws.ec2.instance"),
    },
)
