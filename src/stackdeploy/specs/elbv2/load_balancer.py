"""aws.elbv2.load_balancer: an application load balancer (ALB; network and gateway load
balancers are not supported).

Its physical id is its ARN. The name and the scheme are fixed at creation; subnets, security
groups, the IP address type and the attributes (idle timeout, deletion protection) change in
place. Provisioning takes about two to three minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from stackdeploy.specs.base import Issue, ResourceType, TaggedSpec
from stackdeploy.specs.elbv2.checks import (
    NAME_MAX_LENGTH,
    elb_name_problem,
    no_duplicates,
    subnets_by_zone,
    unique_names,
)
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Resource, Stack

TYPE_NAME = "aws.elbv2.load_balancer"
MAX_SECURITY_GROUPS = 5


def _load_balancer_name_problem(name: str) -> str | None:
    problem = elb_name_problem(name, "load balancer")
    if problem is None and name.lower().startswith("internal-"):
        # AWS prefixes internal load balancers' DNS names with it.
        return f"load balancer name '{name}' cannot begin with 'internal-'"
    return problem


class ApplicationLoadBalancerSpec(TaggedSpec):
    name: str | None = Field(
        None,
        description="Up to 32 letters, digits and hyphens, unique in the region; "
        "<stack>-<id> when omitted. Fixed after creation.",
    )
    scheme: Literal["internet-facing", "internal"] = Field(
        "internet-facing",
        description="internet-facing (public; its VPC needs an internet gateway) or internal. "
        "Fixed after creation.",
    )
    subnet_ids: list[str] = Field(
        description="At least two subnets in two different availability zones, one per zone."
    )
    security_group_ids: list[str] | None = Field(
        None, description="Up to 5 security groups; omitted means the VPC's default group."
    )
    ip_address_type: Literal["ipv4", "dualstack"] = Field(
        "ipv4", description="ipv4, or dualstack (its subnets need IPv6 blocks)."
    )
    idle_timeout: int = Field(
        60, ge=1, le=4000, description="Seconds a connection may stay idle (default 60)."
    )
    deletion_protection: bool = Field(
        False, description="While true, AWS refuses to delete it (destroy fails, by design)."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        problem = None if value is None else _load_balancer_name_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, values: list[str]) -> list[str]:
        if len(values) < 2:
            raise ValueError(
                "an application load balancer needs at least two subnets in two different "
                "availability zones"
            )
        return no_duplicates(values, "subnet_ids") or []

    @field_validator("security_group_ids")
    @classmethod
    def _groups(cls, values: list[str] | None) -> list[str] | None:
        if values is not None and len(values) > MAX_SECURITY_GROUPS:
            raise ValueError(f"at most {MAX_SECURITY_GROUPS} security groups ({len(values)} given)")
        return no_duplicates(values, "security_group_ids")


def _load_balancers(stack: Stack) -> Iterator[Resource]:
    return (r for r in stack.resources.values() if r.type == TYPE_NAME)


def _names(stack: Stack) -> Iterator[Issue]:
    return unique_names(_load_balancers(stack), "load balancer", _load_balancer_name_problem)


def _subnets_in_two_zones(stack: Stack) -> Iterator[Issue]:
    for resource in _load_balancers(stack):
        by_zone, all_known = subnets_by_zone(stack, resource.properties["subnet_ids"])
        # Only when every zone is known: a subnet from outside the stack may add a zone.
        if all_known and len(by_zone) < 2:
            [(zone, members)] = by_zone.items()
            yield Issue(
                resource.logical_id,
                ("subnet_ids",),
                "an application load balancer needs subnets in at least two different "
                f"availability zones; {_listed(members)} are only in {zone}",
                hint="add a subnet in another availability zone",
            )
            continue
        for zone, members in sorted(by_zone.items()):
            if len(members) > 1:
                yield Issue(
                    resource.logical_id,
                    ("subnet_ids",),
                    f"{_listed(members)} are in the same zone, {zone}; a load balancer takes one "
                    "subnet per availability zone",
                    hint="keep one subnet per zone",
                )


def _listed(names: list[str]) -> str:
    """Subnets by their logical ids: "subnets a and b"."""
    listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
    return f"subnets {listed}"


def _protection_note(applied: dict[str, Any] | None) -> str | None:
    if applied and applied.get("deletion_protection"):
        return (
            "deletion protection is on: AWS refuses the delete until you set "
            "deletion_protection: false and apply"
        )
    return None


LOAD_BALANCER = ResourceType(
    exercise_settings={"deletion_protection": False},
    name=TYPE_NAME,
    spec=ApplicationLoadBalancerSpec,
    summary="An application load balancer (~2-3 min to provision); its listeners route "
    "HTTP(S) requests to target groups.",
    attributes={
        "id": "Load balancer ARN",
        "arn": "Load balancer ARN",
        "arn_suffix": "app/<name>/<id>: the LoadBalancer dimension of its CloudWatch metrics",
        "name": "Load balancer name",
        "dns_name": "Its DNS name (point a CNAME or Route 53 alias here)",
        "zone_id": "Route 53 hosted zone id of its DNS name, for alias records",
    },
    create_only=frozenset({"name", "scheme"}),
    unordered=frozenset({"subnet_ids", "security_group_ids"}),
    replace_notes={
        "name": "a load balancer cannot be renamed; its DNS name changes too",
        "scheme": "a load balancer's scheme is fixed at creation; its DNS name changes too",
    },
    update_notes={
        "subnet_ids": "SetSubnets: nodes are added or removed in the changed zones",
        "security_group_ids": "SetSecurityGroups replaces the whole set",
    },
    checks=(_names, _subnets_in_two_zones),
    name_property="name",
    name_max_length=NAME_MAX_LENGTH,
    # An internet-facing load balancer in a VPC without an internet gateway is refused.
    create_after=frozenset({"aws.ec2.internet_gateway"}),
    typical_create_seconds=150.0,
    delete_notes=_protection_note,
    references={
        "subnet_ids[]": refers_to("aws.ec2.subnet"),
        "security_group_ids[]": refers_to("aws.ec2.security_group"),
    },
)
