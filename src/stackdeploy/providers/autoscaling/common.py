"""Auto Scaling reads and requests: canonical group properties, tags, error classification.

DescribeAutoScalingGroups takes a tag filter (one call finds a stack's groups) and a list of
names, where a missing name is simply absent rather than an error. Its answer holds the
whole group (sizes, template, subnets, load balancers, tags, instances), so one call per
type is a complete refresh.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.model.live import Owner
from stackdeploy.providers import ownership
from stackdeploy.providers.ownership import split_tags
from stackdeploy.specs.base import RESERVED_TAG_PREFIXES

TAG_RESOURCE_TYPE = "auto-scaling-group"
DELETING = "Delete in progress"
_NAMES_PER_CALL = 50  # DescribeAutoScalingGroups' default page size
T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def describe_groups(
    asg: RetryingClient,
    *,
    names: Sequence[str] | None = None,
    filters: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Raw groups, every page: all of them matching `filters`, or those of `names` that exist."""
    if names is None:
        found: list[dict[str, Any]] = asg.paginate(
            "describe_auto_scaling_groups", "AutoScalingGroups", Filters=filters or []
        )
        return found
    groups: list[dict[str, Any]] = []
    for batch in chunks(sorted(set(names)), _NAMES_PER_CALL):
        groups += asg.paginate(
            "describe_auto_scaling_groups", "AutoScalingGroups", AutoScalingGroupNames=batch
        )
    return groups


def describe_group(asg: RetryingClient, name: str) -> dict[str, Any] | None:
    """The group in any state (deleting included), or None when AWS does not list it."""
    for group in describe_groups(asg, names=[name]):
        if group.get("AutoScalingGroupName") == name:
            return group
    return None


def is_deleting(group: Mapping[str, Any]) -> bool:
    return group.get("Status") == DELETING


def is_group_missing(error: BaseException) -> bool:
    """Auto Scaling answers a missing group with ValidationError "... not found ..."."""
    if error_code(error) != "ValidationError" or not isinstance(error, ClientError):
        return False
    return "not found" in str(error.response.get("Error", {}).get("Message", ""))


def owner_of(group: Mapping[str, Any]) -> Owner:
    """What the group's ownership tags say."""
    return ownership.owner_of(group.get("Tags"))


def version_of(version: str | None) -> int | str:
    """A template version as the spec writes it: numbers as ints; omitted means $Default."""
    if version is None or version == "":
        return "$Default"
    return int(version) if version.isdigit() else version


def group_properties(group: Mapping[str, Any]) -> dict[str, Any]:
    """The group in canonical (spec) shape, with its attributes."""
    name = str(group["AutoScalingGroupName"])
    template = group.get("LaunchTemplate") or (
        (group.get("MixedInstancesPolicy") or {})
        .get("LaunchTemplate", {})
        .get("LaunchTemplateSpecification")
    )
    tags, _ = split_tags(group.get("Tags"))
    subnets = [s for s in str(group.get("VPCZoneIdentifier") or "").split(",") if s]
    return {
        "name": name,
        "launch_template_id": template.get("LaunchTemplateId") if template else None,
        "launch_template_version": version_of(template.get("Version")) if template else None,
        "subnet_ids": sorted(subnets),
        "min_size": group.get("MinSize"),
        "max_size": group.get("MaxSize"),
        "desired_capacity": group.get("DesiredCapacity"),
        "health_check_type": group.get("HealthCheckType", "EC2"),
        "health_check_grace_period": group.get("HealthCheckGracePeriod", 0),
        "target_group_arns": sorted(group.get("TargetGroupARNs") or []),
        "load_balancer_names": sorted(group.get("LoadBalancerNames") or []),
        "default_cooldown": group.get("DefaultCooldown"),
        # Write-only: choices of how to apply and destroy, which AWS does not store.
        "wait_for_capacity": None,
        "force_delete": None,
        "tags": tags,
        "id": name,
        "arn": group.get("AutoScalingGroupARN"),
    }


def group_tag(name: str, key: str, value: str | None = None) -> dict[str, Any]:
    """One tag in Auto Scaling's shape. Every tag is propagated to the instances launched,
    ownership included, so an instance can be traced back to its stack and group."""
    tag: dict[str, Any] = {"ResourceId": name, "ResourceType": TAG_RESOURCE_TYPE, "Key": key}
    if value is not None:
        tag.update(Value=value, PropagateAtLaunch=True)
    return tag


def creation_tags(name: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
    return [group_tag(name, key, value) for key, value in sorted(tags.items())]


def tag_changes(
    name: str, current: Sequence[Mapping[str, Any]], wanted: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(tags to create or update, tags to delete) to make the group carry `wanted`.

    A tag that is present but not propagated is rewritten, so instances get it. Tags with a
    reserved prefix (aws:, stackdeploy:) that are not wanted are left alone.
    """
    have = {str(t["Key"]): t for t in current}
    upserts = [
        group_tag(name, key, value)
        for key, value in sorted(wanted.items())
        if key not in have
        or have[key].get("Value", "") != value
        or not have[key].get("PropagateAtLaunch")
    ]
    deletions = [
        group_tag(name, key)
        for key in sorted(have)
        if key not in wanted and not key.startswith(RESERVED_TAG_PREFIXES)
    ]
    return upserts, deletions


def template_spec(props: Mapping[str, Any]) -> dict[str, str]:
    return {
        "LaunchTemplateId": str(props["launch_template_id"]),
        "Version": str(props["launch_template_version"]),
    }
