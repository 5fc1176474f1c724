"""Helpers shared by the EC2 providers: tags, ownership filters, ARNs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from stackdeploy.aws.session import RetryingClient
from stackdeploy.specs.base import OWNERSHIP_TAG_STACK


def owned_filter(stack: str) -> list[dict[str, Any]]:
    return [{"Name": f"tag:{OWNERSHIP_TAG_STACK}", "Values": [stack]}]


def id_filter(name: str, physical_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Filter by id instead of the *Ids parameter: a missing id is then absent, not an error."""
    return [{"Name": name, "Values": list(physical_ids)}]


def tag_specifications(resource_type: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "ResourceType": resource_type,
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        }
    ]


def sync_tags(
    ec2: RetryingClient, resource_id: str, desired: Mapping[str, str], live: Mapping[str, str]
) -> None:
    """Make a resource's user tags equal `desired`, leaving ownership tags alone."""
    stale = [{"Key": k} for k in live if k not in desired]
    changed = {k: v for k, v in desired.items() if live.get(k) != v}
    if stale:
        ec2.delete_tags(Resources=[resource_id], Tags=stale)
    if changed:
        ec2.create_tags(
            Resources=[resource_id],
            Tags=[{"Key": k, "Value": v} for k, v in sorted(changed.items())],
        )


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def ec2_arn(region: str, owner: str, kind: str, physical_id: str) -> str:
    return f"arn:{partition(region)}:ec2:{region}:{owner}:{kind}/{physical_id}"
