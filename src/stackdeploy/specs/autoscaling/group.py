"""aws.autoscaling.group: an EC2 Auto Scaling group launching from a launch template.

The group keeps between min_size and max_size instances running in its subnets. Leaving
desired_capacity out leaves it to AWS (it starts at min_size and scaling policies move it),
so a plan never fights a scaling policy. Sizes, template, subnets, health checks and load
balancer attachments all change in place; only the name is fixed.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator

from stackdeploy.specs.autoscaling import group_checks
from stackdeploy.specs.base import ReplaceStrategy, ResourceType, TaggedSpec, is_ref_like
from stackdeploy.specs.references import refers_to

TYPE_NAME = group_checks.TYPE_NAME
NAMED_VERSIONS = ("$Default", "$Latest")
# AWS: any ASCII character 33 to 126 except the colon (ARNs use colons as separators).
_GROUP_NAME = re.compile(r"^[\x21-\x39\x3b-\x7e]{1,255}$")
_TARGET_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:elasticloadbalancing:[^:]+:\d{12}:targetgroup/.+")
_CLASSIC_LB_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")


def _unique(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} lists '{value}' twice")
        seen.add(value)
    return values


class AutoScalingGroupSpec(TaggedSpec):
    name: str | None = Field(
        None, description="Group name, unique in the region; <stack>-<id> when omitted."
    )
    launch_template_id: str = Field(description="The launch template, usually ${template.id}.")
    launch_template_version: int | str = Field(
        "$Default",
        description="$Default, $Latest or a version number (e.g. ${template.latest_version}).",
    )
    subnet_ids: list[str] = Field(
        description="Subnets to launch into (VPCZoneIdentifier); one per zone for availability."
    )
    min_size: int = Field(ge=0, description="Fewest instances the group keeps.")
    max_size: int = Field(ge=0, description="Most instances the group may run.")
    desired_capacity: int | None = Field(
        None,
        ge=0,
        description="Instances to run now; omitted: AWS keeps it (min_size at first, then "
        "whatever scaling policies set).",
    )
    health_check_type: Literal["EC2", "ELB"] = Field(
        "EC2", description="ELB also replaces instances their load balancer finds unhealthy."
    )
    health_check_grace_period: int = Field(
        300,
        ge=0,
        description="Seconds after launch before health checks count (the API's default is 0).",
    )
    target_group_arns: list[str] = Field(
        default_factory=list, description="Target groups instances register with (${tg.arn})."
    )
    load_balancer_names: list[str] = Field(
        default_factory=list, description="Classic load balancers instances register with."
    )
    default_cooldown: int = Field(
        300, ge=0, description="Seconds between simple scaling activities."
    )
    wait_for_capacity: bool = Field(
        False,
        description="Apply waits until the desired instances are in service (and healthy in "
        "their load balancers with health_check_type ELB).",
    )
    force_delete: bool = Field(
        False,
        description="Destroy deletes the group without scaling it in first; AWS terminates "
        "its instances without waiting for lifecycle hooks or draining.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None or is_ref_like(value):
            return value
        if not _GROUP_NAME.match(value):
            raise ValueError(
                f"group name '{value}' must be 1 to 255 printable ASCII characters without "
                "spaces or colons"
            )
        return value

    @field_validator("launch_template_id")
    @classmethod
    def _template(cls, value: str) -> str:
        if not is_ref_like(value) and not value.startswith("lt-"):
            raise ValueError(
                f"'{value}' is not a launch template id (lt-...); refer to one as ${{name.id}}"
            )
        return value

    @field_validator("launch_template_version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> int | str:
        # Numbers are kept as ints: a launch template reports latest_version and
        # default_version as ints, and a reference to them must compare equal to a literal.
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        if isinstance(value, str):
            text = value.strip()
            if is_ref_like(text) or text in NAMED_VERSIONS:
                return text
            if text.isdigit() and int(text) >= 1:
                return int(text)
        raise ValueError(
            f"launch_template_version {value!r} is not $Default, $Latest or a version number"
        )

    @field_validator("subnet_ids")
    @classmethod
    def _subnets(cls, values: list[str]) -> list[str]:
        if not values:
            raise ValueError("an Auto Scaling group needs at least one subnet")
        for value in values:
            if not is_ref_like(value) and not value.startswith("subnet-"):
                raise ValueError(f"'{value}' is not a subnet id (subnet-...)")
        return _unique(values, "subnet_ids")

    @field_validator("max_size")
    @classmethod
    def _max(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("min_size")
        if low is not None and value < low:
            raise ValueError(
                f"max_size {value} is below min_size {low}; AWS needs min_size <= max_size"
            )
        return value

    @field_validator("desired_capacity")
    @classmethod
    def _desired(cls, value: int | None, info: ValidationInfo) -> int | None:
        low, high = info.data.get("min_size"), info.data.get("max_size")
        if value is None or low is None or high is None:
            return value  # a size that failed its own validation has its own error
        if not low <= value <= high:
            raise ValueError(
                f"desired_capacity {value} is outside min_size {low} to max_size {high}"
            )
        return value

    @field_validator("target_group_arns")
    @classmethod
    def _target_groups(cls, values: list[str]) -> list[str]:
        for value in values:
            if not is_ref_like(value) and not _TARGET_GROUP_ARN.match(value):
                raise ValueError(
                    f"'{value}' is not a target group ARN "
                    "(arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/...)"
                )
        return _unique(values, "target_group_arns")

    @field_validator("load_balancer_names")
    @classmethod
    def _classic_load_balancers(cls, values: list[str]) -> list[str]:
        for value in values:
            if not is_ref_like(value) and not _CLASSIC_LB_NAME.match(value):
                raise ValueError(
                    f"'{value}' is not a classic load balancer name (up to 32 letters, digits "
                    "and inner hyphens)"
                )
        return _unique(values, "load_balancer_names")


def _delete_note(applied: dict[str, Any] | None) -> str:
    if applied and applied.get("force_delete"):
        return "force-deletes: its instances are terminated without waiting for scale-in"
    count = applied.get("desired_capacity") if applied else None
    if count is None:
        return "scales to zero and waits for its instances to terminate"
    noun = "instance" if count == 1 else "instances"
    return f"scales to zero and waits for its {count} {noun} to terminate"


_NOT_ROLLED = (
    "running instances keep the template they started from; only new launches use this "
    "(replace them by scaling or an instance refresh)"
)
_RESIZE = "instances are launched or terminated to match"

AUTOSCALING_GROUP = ResourceType(
    exercise_settings={"force_delete": True},
    name=TYPE_NAME,
    spec=AutoScalingGroupSpec,
    summary="An Auto Scaling group: min..max instances from a launch template across subnets.",
    attributes={"id": "Group name", "name": "Group name", "arn": "Group ARN"},
    create_only=frozenset({"name"}),
    write_only=frozenset({"wait_for_capacity", "force_delete"}),
    unordered=frozenset({"subnet_ids", "target_group_arns", "load_balancer_names"}),
    # Only a new name forces a replacement, so old and new never clash: the new group is
    # created first and the old one scaled in afterwards, keeping capacity throughout.
    replace_strategy=ReplaceStrategy.CREATE_THEN_DELETE,
    # Scheduling priority only (a float, not per resource): sized for wait_for_capacity,
    # where launching and passing health checks takes about a minute. Without the wait a
    # create takes seconds, and starting it early costs nothing.
    typical_create_seconds=60.0,
    # A target group health-checks its targets only once a listener forwards to it (until
    # then they are "unused"), so waiting for healthy instances makes sense only after the
    # stack's listeners exist; and a failed listener then skips the group instead of leaving
    # it waiting for health checks that never start.
    create_after=frozenset({"aws.elbv2.listener"}),
    replace_notes={"name": "an Auto Scaling group cannot be renamed"},
    update_notes={
        "launch_template_id": _NOT_ROLLED,
        "launch_template_version": _NOT_ROLLED,
        "subnet_ids": "instances in removed subnets are terminated and replaced in the others",
        "min_size": _RESIZE,
        "max_size": _RESIZE,
        "desired_capacity": _RESIZE,
        "health_check_type": "with ELB, instances their load balancer finds unhealthy are replaced",
        "target_group_arns": "instances register with added target groups and drain from "
        "removed ones",
        "load_balancer_names": "instances register with added load balancers and drain from "
        "removed ones",
    },
    checks=(
        group_checks.references_fit,
        group_checks.one_vpc_per_group,
        group_checks.unique_group_names,
    ),
    delete_notes=_delete_note,
    name_property="name",
    name_max_length=255,
    references={
        "launch_template_id": refers_to("aws.ec2.launch_template"),
        "subnet_ids[]": refers_to("aws.ec2.subnet"),
        "target_group_arns[]": refers_to("aws.elbv2.target_group", by="arn"),
        "load_balancer_names[]": refers_to("aws.elb.load_balancer", by="name"),
    },
)
