"""Reading the ownership tags (stackdeploy:stack, stackdeploy:id) from AWS's Key/Value tag
lists, the form every service but S3's tagging returns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from stackdeploy.providers.base import ResourceContext
from stackdeploy.specs.base import OWNERSHIP_TAG_ID, OWNERSHIP_TAG_STACK

AwsTagList = Iterable[Mapping[str, str]] | None


def owner_of(aws_tags: AwsTagList) -> tuple[str | None, str | None]:
    """(stack, logical id) from the ownership tags; None where a tag is missing."""
    values = {t.get("Key"): t.get("Value") for t in aws_tags or []}
    return values.get(OWNERSHIP_TAG_STACK), values.get(OWNERSHIP_TAG_ID)


def owned_by(aws_tags: AwsTagList, stack: str) -> bool:
    """Whether the tags say the resource belongs to `stack`."""
    return owner_of(aws_tags)[0] == stack


def made_for(aws_tags: AwsTagList, ctx: ResourceContext) -> bool:
    """Whether the tags say the resource is the very one `ctx` describes (an earlier run's,
    interrupted, or the one being replaced), so it may be adopted."""
    return owner_of(aws_tags) == (ctx.stack, ctx.logical_id)
