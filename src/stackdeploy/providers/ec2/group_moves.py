"""Moving what still uses a replaced security group to its successor, before the old one is
deleted (AWS refuses to delete a group in use; Terraform users wait 10 minutes for that).

What the stack declares moves through its own planned updates (an instance's
security_group_ids, another group's rule, a launch template's new version). What it does not
declare but owns moves here: instances an Auto Scaling group launched, which carry the
stack's ownership tags (propagated from the group) but keep the old template version's group.
"""

from __future__ import annotations

from typing import Any

from stackdeploy.aws.session import RetryingClient
from stackdeploy.specs.base import OWNERSHIP_TAG_STACK


def instances_using(
    ec2: RetryingClient, group_ids: list[str], stack: str | None = None
) -> list[dict[str, Any]]:
    """Instances not terminated that use one of `group_ids` (of `stack`, when given)."""
    filters: list[dict[str, Any]] = [
        {"Name": "instance.group-id", "Values": group_ids},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
    ]
    if stack is not None:
        filters.append({"Name": f"tag:{OWNERSHIP_TAG_STACK}", "Values": [stack]})
    reservations = ec2.paginate("describe_instances", "Reservations", Filters=filters)
    return [instance for reservation in reservations for instance in reservation["Instances"]]


def move_stack_instances(ec2: RetryingClient, stack: str, old: str, new: str) -> list[str]:
    """Give every instance of `stack` still in group `old` the group `new` instead (its other
    groups kept); returns their ids."""
    moved = []
    for instance in instances_using(ec2, [old], stack):
        groups = [g["GroupId"] for g in instance.get("SecurityGroups", [])]
        wanted = list(dict.fromkeys(new if group == old else group for group in groups))
        ec2.modify_instance_attribute(InstanceId=instance["InstanceId"], Groups=wanted)
        moved.append(str(instance["InstanceId"]))
    return moved
