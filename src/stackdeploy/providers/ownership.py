"""Reading the ownership tags (stackdeploy:stack, :id, :lineage) from AWS's Key/Value tag
lists, the form every service but S3's tagging returns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from stackdeploy.model.live import Owner
from stackdeploy.providers.base import ResourceContext
from stackdeploy.specs.base import (
    MARK_TAGS,
    OWNERSHIP_TAG_ID,
    OWNERSHIP_TAG_LINEAGE,
    OWNERSHIP_TAG_STACK,
    RESERVED_TAG_PREFIXES,
)

AwsTagList = Iterable[Mapping[str, str]] | None


def owner_from_map(tags: Mapping[str, str]) -> Owner:
    """What the ownership tags in a {key: value} map say."""
    return Owner(
        stack=tags.get(OWNERSHIP_TAG_STACK),
        logical_id=tags.get(OWNERSHIP_TAG_ID),
        lineage=tags.get(OWNERSHIP_TAG_LINEAGE),
        marks=tuple(sorted((k, v) for k, v in tags.items() if k in MARK_TAGS)),
    )


def owner_of(aws_tags: AwsTagList) -> Owner:
    """What the ownership tags in an AWS tag list say."""
    return owner_from_map({t.get("Key", ""): t.get("Value", "") for t in aws_tags or []})


def split_tags(aws_tags: AwsTagList) -> tuple[dict[str, str], Owner]:
    """User tags (without ownership and aws: tags) and what the ownership tags say."""
    values = {t["Key"]: t.get("Value", "") for t in aws_tags or []}
    user = {k: v for k, v in values.items() if not k.startswith(RESERVED_TAG_PREFIXES)}
    return user, owner_from_map(values)


def owned_by(aws_tags: AwsTagList, stack: str) -> bool:
    """Whether the tags say the resource belongs to `stack`."""
    return owner_of(aws_tags).stack == stack


def is_made_for(owner: Owner, ctx: ResourceContext) -> bool:
    """Whether the tags say the resource is the very one `ctx` describes, made by this stack's
    lineage (an earlier, interrupted run's create), so a create may adopt it. A resource of
    another copy of the stack (another state, another lineage) is never taken over."""
    return (owner.stack, owner.logical_id, owner.lineage) == (
        ctx.stack,
        ctx.logical_id,
        ctx.lineage,
    )


def made_for(aws_tags: AwsTagList, ctx: ResourceContext) -> bool:
    """is_made_for, from an AWS tag list."""
    return is_made_for(owner_of(aws_tags), ctx)


def describe_owner(owner: Owner) -> str:
    """Who the tags say owns a resource, for error messages."""
    if owner.stack is None:
        return "not tagged by stackdeploy"
    where = f"owned by '{owner.logical_id}' of stack '{owner.stack}'"
    return f"{where}, lineage {owner.lineage}" if owner.lineage else f"{where}, no lineage tag"
