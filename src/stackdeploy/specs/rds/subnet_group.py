"""aws.rds.db_subnet_group: the subnets (in at least two availability zones) a DB instance
may be placed in.

Its physical id is its name, which RDS stores in lower case. The subnets and the description
change in place (ModifyDBSubnetGroup); a group in use by a DB instance cannot be deleted, so
instances go first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from stackdeploy.specs.base import Issue, ResourceType, is_ref_like
from stackdeploy.specs.rds.common import RdsTaggedSpec, listed, lower_case
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Resource, Stack

TYPE_NAME = "aws.rds.db_subnet_group"
NAME_MAX_LENGTH = 255
_NAME = re.compile(r"^[A-Za-z0-9._ -]+$")
_DESCRIPTION_MAX = 255


class DbSubnetGroupSpec(RdsTaggedSpec):
    name: str | None = Field(
        None,
        description="Up to 255 letters, digits, periods, underscores, spaces or hyphens "
        "(stored in lower case); <stack>-<id> when omitted. Fixed after creation.",
    )
    description: str = Field(
        "Managed by stackdeploy", description="What the group is for (changes in place)."
    )
    subnet_ids: list[str] = Field(
        description="Subnets in at least two availability zones of one VPC, e.g. private "
        "subnets ${private_a.id} and ${private_b.id}."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None or is_ref_like(value):
            return value
        if not 1 <= len(value) <= NAME_MAX_LENGTH or not _NAME.match(value):
            raise ValueError(
                f"subnet group name '{value}' may hold only letters, digits, periods, "
                "underscores, spaces and hyphens (1 to 255 characters)"
            )
        if value.lower() == "default":
            raise ValueError("'default' is the name of AWS's own subnet group")
        return value

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        if not value.strip() or len(value) > _DESCRIPTION_MAX:
            raise ValueError(f"a description is 1 to {_DESCRIPTION_MAX} characters")
        return value

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, values: list[str]) -> list[str]:
        if len(values) < 2:
            raise ValueError("a DB subnet group needs subnets in at least two availability zones")
        for value in values:
            if not is_ref_like(value) and not value.startswith("subnet-"):
                raise ValueError(f"'{value}' is not a subnet id (subnet-...)")
        if len(set(values)) != len(values):
            raise ValueError("subnet_ids lists a subnet more than once")
        return values


def _zone_of(stack: Stack, subnet_ref: Any) -> str | None:
    subnet = stack.target_of(subnet_ref)
    if subnet is None or subnet.type != "aws.ec2.subnet":
        return None
    zone = subnet.properties.get("availability_zone")
    return zone if isinstance(zone, str) and not is_ref_like(zone) else None


def _groups(stack: Stack) -> Iterator[Resource]:
    return (r for r in stack.resources.values() if r.type == TYPE_NAME)


def _subnets_in_two_zones(stack: Stack) -> Iterator[Issue]:
    for resource in _groups(stack):
        subnets = resource.properties["subnet_ids"]
        zones = [_zone_of(stack, subnet) for subnet in subnets]
        # Only when every zone is known: a subnet from outside the stack may add a zone.
        if None in zones or len(set(zones)) >= 2:
            continue
        names = [ref[2:].split(".", 1)[0] if ref.startswith("${") else ref for ref in subnets]
        yield Issue(
            resource.logical_id,
            ("subnet_ids",),
            f"a DB subnet group needs subnets in at least two availability zones; subnets "
            f"{listed(names)} are all in {zones[0]}",
            hint="add a subnet in another availability zone (RDS refuses the group otherwise, "
            "even for a single-AZ database)",
        )


def _unique_names(stack: Stack) -> Iterator[Issue]:
    seen: dict[tuple[str, str], str] = {}
    for resource in _groups(stack):
        name = resource.properties.get("name")
        if not isinstance(name, str) or is_ref_like(name):
            continue
        key = (resource.region, name.lower())
        if key in seen:
            yield Issue(
                resource.logical_id,
                ("name",),
                f"DB subnet group '{seen[key]}' already has the name '{name}' in {resource.region}",
                hint="DB subnet group names are unique per region and account",
            )
        seen.setdefault(key, resource.logical_id)


DB_SUBNET_GROUP = ResourceType(
    name=TYPE_NAME,
    spec=DbSubnetGroupSpec,
    summary="A DB subnet group: the subnets, in two or more zones, RDS places databases in.",
    attributes={
        "id": "Subnet group name",
        "name": "Subnet group name (lower case)",
        "arn": "Subnet group ARN",
        "vpc_id": "The VPC of its subnets",
    },
    create_only=frozenset({"name"}),
    unordered=frozenset({"subnet_ids"}),
    replace_notes={"name": "a DB subnet group cannot be renamed"},
    update_notes={
        "subnet_ids": "running databases stay where they are; new placements (a Multi-AZ "
        "standby, a failover) use the new subnets",
    },
    checks=(_subnets_in_two_zones, _unique_names),
    stack_defaults=lower_case("name"),
    name_property="name",
    name_max_length=NAME_MAX_LENGTH,
    typical_create_seconds=1.0,
    references={"subnet_ids[]": refers_to("aws.ec2.subnet")},
)
