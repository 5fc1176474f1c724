"""Finding a stack's resources through the Resource Groups Tagging API, and the tag and
not-found helpers the reads after it share (the reads run through providers/concurrency.py).

Services whose own list calls carry no tags (KMS ListKeys, DynamoDB ListTables) would need one
tag read per resource in the region, the stack's or not. GetResources filtered by resource
type and the ownership tag returns only the stack's resources, with their tags, in one call
per region (a page holds 100). It is eventually consistent: a resource created seconds ago
may be missing and one just deleted may still be listed, so callers confirm each resource
with the service's own read, and the state record covers the first case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import is_not_found
from stackdeploy.aws.session import ClientFactory
from stackdeploy.providers.concurrency import read_concurrently
from stackdeploy.providers.ownership import owned_by
from stackdeploy.specs.base import OWNERSHIP_TAG_STACK

__all__ = ["read_concurrently"]  # re-exported for the providers that list by tag

T = TypeVar("T")
R = TypeVar("R")
AwsTags = list[dict[str, str]]


def tagged_resources(
    clients: ClientFactory, region: str, resource_type: str, stack: str
) -> dict[str, AwsTags]:
    """ARN -> tags ({Key, Value}) of the resources of `resource_type` ("kms:key",
    "dynamodb:table") in `region` whose ownership tag names `stack`."""
    client = clients.client("resourcegroupstaggingapi", region)
    mappings = client.paginate(
        "get_resources",
        "ResourceTagMappingList",
        input_token="PaginationToken",
        output_token="PaginationToken",
        ResourceTypeFilters=[resource_type],
        TagFilters=[{"Key": OWNERSHIP_TAG_STACK, "Values": [stack]}],
        ResourcesPerPage=100,
    )
    # The filter is checked again: whatever the server did, another stack's is never ours.
    return {
        m["ResourceARN"]: list(m.get("Tags") or [])
        for m in mappings
        if owned_by(m.get("Tags"), stack)
    }


def aws_tags(tags: Mapping[str, str]) -> AwsTags:
    """Tags as most services take them: [{Key, Value}], sorted by key."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def tag_map(tags: Iterable[Mapping[str, str]] | None) -> dict[str, str]:
    """[{Key, Value}] as a mapping."""
    return {t["Key"]: t.get("Value", "") for t in tags or []}


def or_none(call: Callable[..., Any], **kwargs: Any) -> Any:
    """`call(**kwargs)`, or None when AWS answers that the resource does not exist."""
    try:
        return call(**kwargs)
    except ClientError as error:
        if is_not_found(error):
            return None
        raise
