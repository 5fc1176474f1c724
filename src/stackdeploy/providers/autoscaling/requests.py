"""CreateAutoScalingGroup and UpdateAutoScalingGroup requests, and which of their errors are
AWS still catching up with something created moments ago."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code
from stackdeploy.providers.autoscaling.common import creation_tags, group_properties, template_spec

# moto's codes for a launch template it does not know (AWS wraps the same in ValidationError).
_TEMPLATE_NOT_FOUND = frozenset(
    {"InvalidLaunchTemplateId.NotFound", "InvalidLaunchTemplateName.NotFoundException"}
)


def create_request(name: str, props: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "AutoScalingGroupName": name,
        "LaunchTemplate": template_spec(props),
        "MinSize": props["min_size"],
        "MaxSize": props["max_size"],
        "VPCZoneIdentifier": ",".join(props["subnet_ids"]),
        "HealthCheckType": props["health_check_type"],
        # Always explicit: the API's default grace period is 0 (the console's is 300), and 0
        # lets ELB health checks kill instances that are still booting.
        "HealthCheckGracePeriod": props["health_check_grace_period"],
        "DefaultCooldown": props["default_cooldown"],
        # In the create call itself, so an interrupted create is found by its tags.
        "Tags": creation_tags(name, tags),
    }
    if props.get("desired_capacity") is not None:
        request["DesiredCapacity"] = props["desired_capacity"]
    if props["target_group_arns"]:
        request["TargetGroupARNs"] = list(props["target_group_arns"])
    if props["load_balancer_names"]:
        request["LoadBalancerNames"] = list(props["load_balancer_names"])
    return request


def update_request(group: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateAutoScalingGroup fields that differ from the group as it is now."""
    current = group_properties(group)
    request: dict[str, Any] = {}
    sizes = ("min_size", "max_size", "desired_capacity")
    if any(props[k] is not None and props[k] != current[k] for k in sizes):
        # All sizes together: AWS checks min <= desired <= max against the values sent, so
        # moving the whole range (1-2 to 5-8) in one call never passes through an invalid one.
        request["MinSize"] = props["min_size"]
        request["MaxSize"] = props["max_size"]
        if props["desired_capacity"] is not None:
            request["DesiredCapacity"] = props["desired_capacity"]
    if (props["launch_template_id"], props["launch_template_version"]) != (
        current["launch_template_id"],
        current["launch_template_version"],
    ):
        request["LaunchTemplate"] = template_spec(props)
    if sorted(props["subnet_ids"]) != current["subnet_ids"]:
        request["VPCZoneIdentifier"] = ",".join(props["subnet_ids"])
    if (props["health_check_type"], props["health_check_grace_period"]) != (
        current["health_check_type"],
        current["health_check_grace_period"],
    ):
        request["HealthCheckType"] = props["health_check_type"]
        request["HealthCheckGracePeriod"] = props["health_check_grace_period"]
    if props["default_cooldown"] != current["default_cooldown"]:
        request["DefaultCooldown"] = props["default_cooldown"]
    return request


def _message(error: BaseException) -> str:
    if not isinstance(error, ClientError):
        return ""
    return str(error.response.get("Error", {}).get("Message", ""))


def not_yet_visible(error: BaseException) -> bool:
    """A launch template, target group or load balancer created moments ago is unknown to
    Auto Scaling for a few seconds."""
    code, message = error_code(error), _message(error).lower()
    if code in _TEMPLATE_NOT_FOUND:
        return True
    if code != "ValidationError":
        return False
    # "... The specified launch template, with template ID lt-..., does not exist."
    # "Provided Target Groups may not be valid. Please ensure they exist and try again."
    # "Provided Load Balancers may not be valid. Please ensure they exist and try again."
    template_missing = "launch template" in message and (
        "does not exist" in message or "not found" in message
    )
    return template_missing or "please ensure they exist" in message


def profile_not_propagated(error: BaseException) -> bool:
    """The template's instance profile, created moments ago, has not reached Auto Scaling yet:
    "You must use a valid fully-formed launch template. Value (...) for parameter
    iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name" (IAM: up to ~2 min).
    """
    return error_code(error) == "ValidationError" and (
        "invalid iam instance profile" in _message(error).lower()
    )
