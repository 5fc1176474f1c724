"""aws.elb.load_balancer: a Classic Load Balancer (ELB v1) in a VPC.

Its physical id is its name. Everything but the name and the scheme changes in place:
subnets are attached and detached, security groups re-applied, listeners added and removed
by port, the health check and attributes reconfigured, instances (de)registered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from stackdeploy.specs.base import Issue, ResourceType, TaggedSpec
from stackdeploy.specs.elb.parts import ClassicHealthCheck, ClassicListener, secure_mix
from stackdeploy.specs.elbv2.checks import (
    NAME_MAX_LENGTH,
    elb_name_problem,
    no_duplicates,
    subnets_by_zone,
)
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Resource, Stack

TYPE_NAME = "aws.elb.load_balancer"
# What each reference property must point at, when it points into the stack.
_REFERENCE_TYPES = {
    "subnet_ids": "aws.ec2.subnet",
    "security_group_ids": "aws.ec2.security_group",
    "instance_ids": "aws.ec2.instance",
}


class LoadBalancerSpec(TaggedSpec):
    name: str | None = Field(
        None,
        description="Up to 32 letters, digits and hyphens, unique in the region; "
        "<stack>-<id> when omitted. Fixed after creation.",
    )
    scheme: Literal["internet-facing", "internal"] = Field(
        "internet-facing",
        description="internet-facing (public DNS name; needs an internet gateway) or internal. "
        "Fixed after creation.",
    )
    subnet_ids: list[str] = Field(
        min_length=1, description="One subnet per availability zone it serves."
    )
    security_group_ids: list[str] | None = Field(
        None,
        min_length=1,
        description="Its security groups; omitted means the VPC's default group.",
    )
    listeners: list[ClassicListener] = Field(
        min_length=1, description="At least one; each port at most once."
    )
    health_check: ClassicHealthCheck | None = Field(
        None, description="Omitted means AWS's default: TCP to the first listener's instance port."
    )
    cross_zone: bool = Field(True, description="Spread traffic evenly over all zones' instances.")
    connection_draining: bool = Field(
        True, description="Let in-flight requests finish when an instance is deregistered."
    )
    connection_draining_timeout: int = Field(
        300, ge=1, le=3600, description="Seconds to drain (1-3600), with connection_draining."
    )
    idle_timeout: int = Field(60, ge=1, le=4000, description="Seconds an idle connection lives.")
    instance_ids: list[str] | None = Field(
        None,
        description="Registered instances; omitted means not managed here (e.g. an Auto "
        "Scaling group registers its own).",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        problem = None if value is None else elb_name_problem(value, "load balancer")
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("subnet_ids", "security_group_ids", "instance_ids")
    @classmethod
    def _unique(cls, values: list[str] | None, info: ValidationInfo) -> list[str] | None:
        return no_duplicates(values, str(info.field_name))

    @model_validator(mode="after")
    def _listeners_and_draining(self) -> LoadBalancerSpec:
        ports = Counter(listener.port for listener in self.listeners)
        repeated = sorted(port for port, n in ports.items() if n > 1)
        if repeated:
            raise ValueError(f"two listeners use port {repeated[0]}; each port takes one")
        mix = secure_mix(self.listeners)
        if mix:
            raise ValueError(mix)
        if "connection_draining_timeout" in self.model_fields_set and not self.connection_draining:
            raise ValueError("connection_draining_timeout applies only with connection_draining")
        return self


def canonical_load_balancer(properties: dict[str, Any]) -> dict[str, Any]:
    result = dict(properties)
    result["listeners"] = sorted(properties["listeners"], key=lambda listener: listener["port"])
    # A timeout without draining does nothing, and AWS reports whatever it last held.
    if not properties["connection_draining"]:
        result["connection_draining_timeout"] = None
    return result


def _load_balancers(stack: Stack) -> Iterator[Resource]:
    return (r for r in stack.resources.values() if r.type == TYPE_NAME)


def _valid_default_names(stack: Stack) -> Iterator[Issue]:
    """A name given in the stack file was checked on load; a generated one (<stack>-<id>) is
    checked here, as a logical id may end with a hyphen or an underscore, which AWS rejects."""
    for resource in _load_balancers(stack):
        problem = elb_name_problem(str(resource.properties["name"]), "load balancer")
        if problem:
            yield Issue(
                resource.logical_id,
                ("name",),
                f"the default name of this load balancer is not valid: {problem}",
                hint="set name: explicitly (letters, digits and hyphens, up to 32)",
            )


def _references_and_zones(stack: Stack) -> Iterator[Issue]:
    for resource in _load_balancers(stack):
        for prop, wanted in _REFERENCE_TYPES.items():
            for index, value in enumerate(resource.properties.get(prop) or []):
                target = stack.target_of(value)
                if target is not None and target.type != wanted:
                    yield Issue(
                        resource.logical_id,
                        (prop, index),
                        f"{prop} refers to '{target.logical_id}', a {target.type}; "
                        f"expected a {wanted}",
                    )
        by_zone, _ = subnets_by_zone(stack, resource.properties["subnet_ids"])
        vpcs = {
            str(subnet.properties.get("vpc_id"))
            for subnet in map(stack.target_of, resource.properties["subnet_ids"])
            if subnet is not None and subnet.type == "aws.ec2.subnet"
        }
        for zone, subnets in sorted(by_zone.items()):
            if len(subnets) > 1:
                yield Issue(
                    resource.logical_id,
                    ("subnet_ids",),
                    f"subnets {' and '.join(repr(s) for s in subnets)} are both in {zone}; "
                    "a Classic Load Balancer takes one subnet per availability zone",
                )
        if len(vpcs) > 1:
            yield Issue(
                resource.logical_id,
                ("subnet_ids",),
                "the subnets belong to different VPCs; a load balancer lives in one VPC",
            )


CLASSIC_LOAD_BALANCER = ResourceType(
    name=TYPE_NAME,
    spec=LoadBalancerSpec,
    summary="A Classic Load Balancer (ELB v1) in a VPC; reference its dns_name, not its IPs.",
    attributes={
        "id": "The load balancer's name (its physical id)",
        "name": "The load balancer's name",
        "dns_name": "Its DNS name: what clients (and Route 53 aliases) point at",
        "canonical_hosted_zone_id": "The Route 53 hosted zone id for alias records",
    },
    create_only=frozenset({"name", "scheme"}),
    unordered=frozenset({"subnet_ids", "security_group_ids", "listeners", "instance_ids"}),
    replace_notes={
        "name": "a load balancer cannot be renamed",
        "scheme": "internet-facing or internal is fixed at creation",
    },
    update_notes={
        "listeners": "a listener whose ports or protocols change is removed and added again: "
        "its port refuses connections for a moment",
        "subnet_ids": "a detached subnet's zone stops receiving traffic",
        "security_group_ids": "the new groups replace the old ones at once",
        "instance_ids": "deregistered instances drain for connection_draining_timeout first",
    },
    # AWS refuses an internet-facing load balancer in a VPC without an attached IGW.
    create_after=frozenset({"aws.ec2.internet_gateway"}),
    typical_create_seconds=10.0,
    checks=(_valid_default_names, _references_and_zones),
    canonicalize=canonical_load_balancer,
    name_property="name",
    name_max_length=NAME_MAX_LENGTH,
    delete_notes="its DNS name stops resolving: clients and DNS records using it break",
    references={
        "subnet_ids[]": refers_to("aws.ec2.subnet"),
        "security_group_ids[]": refers_to("aws.ec2.security_group"),
        "instance_ids[]": refers_to("aws.ec2.instance"),
    },
)
