"""What the S3 modules share: clients, error codes, tags, and the AWS shape of filters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ownership import is_made_for, owner_from_map
from stackdeploy.providers.tagging_api import aws_tags, tag_map

US_EAST_1 = "us-east-1"
# force_destroy lives in a tag of ours: it is not an S3 setting, yet a destroy must know it
# even when the state record is lost, and a change to it must show in the plan.
FORCE_DESTROY_TAG = "stackdeploy:force-destroy"
NO_SUCH_BUCKET = "NoSuchBucket"


def code_of(error: BaseException) -> str:
    return error_code(error) if isinstance(error, ClientError) else ""


def region_of_location(constraint: str | None) -> str:
    """GetBucketLocation's answer as a region: none means us-east-1, EU is eu-west-1."""
    if not constraint:
        return US_EAST_1
    return "eu-west-1" if constraint == "EU" else constraint


def desired_tags(ctx: ResourceContext, props: Mapping[str, Any]) -> dict[str, str]:
    """The whole tag set a bucket should carry: the user's, ownership and force_destroy."""
    tags = {**props.get("tags", {}), **ctx.ownership_tags()}
    if props.get("force_destroy"):
        tags[FORCE_DESTROY_TAG] = "true"
    return tags


def made_for(tags: Mapping[str, str], ctx: ResourceContext) -> bool:
    """Whether a bucket's tags say it is the one `ctx` creates (an interrupted earlier run's)."""
    return is_made_for(owner_from_map(tags), ctx)


def aws_filter(prefix: str, tags: Mapping[str, str]) -> dict[str, Any]:
    """A lifecycle or replication Filter: a prefix, one tag, or both under And."""
    if not tags:
        return {"Prefix": prefix}
    if len(tags) == 1 and not prefix:
        return {"Tag": aws_tags(tags)[0]}
    combined: dict[str, Any] = {"Tags": aws_tags(tags)}
    if prefix:
        combined["Prefix"] = prefix
    return {"And": combined}


def filter_from_aws(rule: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """(prefix, tags) of a rule's Filter (or of a legacy rule's top-level Prefix)."""
    found = rule.get("Filter")
    if not isinstance(found, Mapping):
        return str(rule.get("Prefix") or ""), {}
    combined = found.get("And") or {}
    prefix = found.get("Prefix", combined.get("Prefix", "")) or ""
    tags = [found["Tag"]] if "Tag" in found else combined.get("Tags", [])
    return str(prefix), tag_map(tags)
