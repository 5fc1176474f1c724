"""aws.iam.instance_profile: the container that hands one IAM role to EC2 instances.

EC2 never takes a role directly: an instance (or launch template) names an instance profile,
and the profile holds exactly one role. Swapping the role is done in place (remove the old,
add the new); instances pick up the new role's credentials when they next refresh them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from stackdeploy.model.refs import single_ref
from stackdeploy.specs.base import Derived, Issue, ResourceType, TaggedSpec, derived_from_name
from stackdeploy.specs.iam.role import (
    TYPE_NAME as ROLE,
)
from stackdeploy.specs.iam.role import (
    check_iam_name,
    check_iam_path,
    iam_arn,
    unique_names,
)
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

TYPE_NAME = "aws.iam.instance_profile"


class InstanceProfileSpec(TaggedSpec):
    name: str | None = Field(
        None, description="Profile name, unique in the account; <stack>-<id> if omitted."
    )
    path: str = Field("/", description="Path, e.g. /app/. Fixed after creation.")
    role: str = Field(
        description="The role's name, usually ${my_role.name}; a profile holds exactly one role."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else check_iam_name(value, "instance profile name", 128)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return check_iam_path(value)

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if value.startswith("arn:"):
            raise ValueError(
                f"role takes the role's name, not its ARN: '{value.rsplit('/', 1)[-1]}'"
            )
        return check_iam_name(value, "role name", 64)


def _role_is_a_role(stack: Stack) -> Iterator[Issue]:
    for resource in stack.resources.values():
        if resource.type != TYPE_NAME:
            continue
        ref = single_ref(resource.properties["role"])
        target = stack.resources.get(ref.target) if ref else None
        if ref is None or target is None:
            continue
        if target.type != ROLE:
            yield Issue(
                resource.logical_id,
                ("role",),
                f"role refers to '{target.logical_id}', a {target.type}; it must name an {ROLE}",
            )
        elif ref.attribute not in ("name", "id"):
            yield Issue(
                resource.logical_id,
                ("role",),
                f"role takes the role's name, not its {ref.attribute}",
                hint=f"write ${{{target.logical_id}.name}}",
            )


INSTANCE_PROFILE = ResourceType(
    name=TYPE_NAME,
    spec=InstanceProfileSpec,
    summary="An IAM instance profile (global): how an EC2 instance gets a role.",
    attributes={
        "id": "Instance profile name",
        "name": "Instance profile name",
        "arn": "Instance profile ARN",
    },
    create_only=frozenset({"name", "path"}),
    derived_attributes={
        "id": derived_from_name(lambda name, _: name),
        "name": derived_from_name(lambda name, _: name),
        "arn": Derived(
            ("name", "path"), lambda props, place: iam_arn("instance-profile", props, place)
        ),
    },
    replace_notes={
        "name": "an instance profile cannot be renamed",
        "path": "an instance profile's path is fixed at creation",
    },
    update_notes={
        "role": "instances using the profile get the new role's credentials when they next "
        "refresh them (within minutes)"
    },
    checks=(_role_is_a_role, unique_names(TYPE_NAME, "instance profile")),
    name_property="name",
    name_max_length=128,
    name_unique_in="account",
    global_service=True,
    discover_by_name=True,
    typical_create_seconds=2.0,
    references={"role": refers_to("aws.iam.role", by="name")},
)
