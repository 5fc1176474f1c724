"""Helpers the RDS providers share: clients, paged describes, tags and ownership.

DescribeDBInstances returns each instance's tags (TagList), so instances are found in one
paginated call. DescribeDBSubnetGroups and DescribeDBParameterGroups return no tags and take
no tag filter, so the groups a stack owns are found by reading each listed group's tags with
ListTagsForResource: one call per group is unavoidable there (run a few at a time), and
AWS's own default groups are skipped without one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code, is_not_found
from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.specs.base import OWNERSHIP_TAG_ID, OWNERSHIP_TAG_STACK, RESERVED_TAG_PREFIXES

AwsTags = list[dict[str, str]]
T = TypeVar("T")
PAGE_SIZE = 100  # the most records RDS describe calls return per page
# Parallel ListTagsForResource calls: a handful, so a large account's groups do not starve
# the other types' reads of RDS's request rate.
TAG_READERS = 8


def rds(clients: ClientFactory, region: str) -> RetryingClient:
    return clients.client("rds", region)


def paged(client: RetryingClient, method: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every page of an RDS describe call (they page with Marker)."""
    items: list[dict[str, Any]] = client.paginate(
        method, key, input_token="Marker", output_token="Marker", MaxRecords=PAGE_SIZE, **kwargs
    )
    return items


def aws_tags(tags: Mapping[str, str]) -> AwsTags:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def tag_map(tags: Sequence[Mapping[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tags or []}


def owner_of(tags: Sequence[Mapping[str, str]] | None) -> tuple[str | None, str | None]:
    """(stack, logical id) from the ownership tags."""
    found = tag_map(tags)
    return found.get(OWNERSHIP_TAG_STACK), found.get(OWNERSHIP_TAG_ID)


def owned_by(tags: Sequence[Mapping[str, str]] | None, stack: str) -> bool:
    return owner_of(tags)[0] == stack


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in tags.items() if not k.startswith(RESERVED_TAG_PREFIXES)}


def sync_tags(
    client: RetryingClient, arn: str, desired: Mapping[str, str], live: Mapping[str, str]
) -> None:
    """Make a resource's tags equal `desired` for the keys it manages: user tags plus the
    reserved ones it passes (ownership tags are always restored, never removed)."""
    stale = sorted(k for k in live if k not in desired and not k.startswith(RESERVED_TAG_PREFIXES))
    changed = {k: v for k, v in desired.items() if live.get(k) != v}
    if stale:
        client.remove_tags_from_resource(ResourceName=arn, TagKeys=stale)
    if changed:
        client.add_tags_to_resource(ResourceName=arn, Tags=aws_tags(changed))


def remove_tags(
    client: RetryingClient, arn: str, keys: Sequence[str], live: Mapping[str, str]
) -> None:
    present = sorted(k for k in keys if k in live)
    if present:
        client.remove_tags_from_resource(ResourceName=arn, TagKeys=present)


def tags_of(client: RetryingClient, arn: str) -> AwsTags | None:
    """A resource's tags, or None when it is gone."""
    try:
        return list(client.list_tags_for_resource(ResourceName=arn).get("TagList") or [])
    except Exception as error:
        if is_not_found(error):
            return None
        raise


def read_each(items: Sequence[T], read_one: Callable[[T], Any]) -> list[Any]:
    """`read_one` for each item, a few at a time, in order."""
    if len(items) <= 1:
        return [read_one(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(TAG_READERS, len(items))) as pool:
        return list(pool.map(read_one, items))


def owned_groups(
    client: RetryingClient,
    groups: list[dict[str, Any]],
    arn_key: str,
    stack: str | None,
) -> list[tuple[dict[str, Any], AwsTags]]:
    """The groups (with their tags) owned by `stack`, or all that still exist when None."""
    tags = read_each([g[arn_key] for g in groups], lambda arn: tags_of(client, arn))
    return [
        (group, found)
        for group, found in zip(groups, tags, strict=True)
        if found is not None and (stack is None or owned_by(found, stack))
    ]


def arn_region(arn: str) -> str | None:
    """The region of an ARN (arn:aws:rds:<region>:...), None for anything else."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" else None


def delete_group(
    provider: Provider,
    ctx: ResourceContext,
    *,
    delete: Callable[[], object],
    in_use_code: str,
    operation: str,
    in_use: str,
    hint: str,
) -> None:
    """Delete a subnet or parameter group, retrying while a database deleted moments ago
    still counts as using it; gone already is success; still used at the deadline is a
    ProviderError saying `in_use`, with `hint`."""
    try:
        retry_while(
            lambda: provider.ignore_not_found(delete),
            codes={in_use_code},
            deadline=ctx.timing.dependency_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation=operation,
        )
    except ClientError as error:
        if error_code(error) == in_use_code:
            raise ProviderError(in_use, code=in_use_code, hint=hint, address=ctx.address) from error
        raise
