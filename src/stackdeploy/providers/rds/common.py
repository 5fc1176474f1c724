"""Helpers the RDS providers share: clients, paged describes, tags and ownership.

DescribeDBInstances returns each instance's tags (TagList), so instances are found in one
paginated call. DescribeDBSubnetGroups and DescribeDBParameterGroups return no tags and take
no tag filter, so the groups a stack owns are found by reading each listed group's tags with
ListTagsForResource: one call per group is unavoidable there (run a few at a time), and
AWS's own default groups are skipped without one. GroupProvider holds what the two group
providers share.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code
from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.ownership import is_made_for, owned_by, split_tags
from stackdeploy.providers.tagging_api import (
    AwsTags,
    aws_tags,
    or_none,
    read_concurrently,
    tag_map,
)
from stackdeploy.specs.base import CLAIM_TAGS, RESERVED_TAG_PREFIXES

PAGE_SIZE = 100  # the most records RDS describe calls return per page


def rds(clients: ClientFactory, region: str) -> RetryingClient:
    return clients.client("rds", region)


def paged(client: RetryingClient, method: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every page of an RDS describe call (they page with Marker)."""
    items: list[dict[str, Any]] = client.paginate(
        method, key, input_token="Marker", output_token="Marker", MaxRecords=PAGE_SIZE, **kwargs
    )
    return items


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
    found = or_none(client.list_tags_for_resource, ResourceName=arn)
    return None if found is None else list(found.get("TagList") or [])


def arn_region(arn: str) -> str | None:
    """The region of an ARN (arn:aws:rds:<region>:...), None for anything else."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" else None


class GroupProvider(Provider):
    """A DB subnet or parameter group: the name is the physical id; groups are found by
    listing them all (one paged describe) and reading each listed group's tags; a name already
    taken is adopted only when it is this resource's own interrupted create."""

    kind: ClassVar[str]  # "DB subnet group", in messages
    list_method: ClassVar[str]  # "describe_db_subnet_groups"
    list_key: ClassVar[str]  # "DBSubnetGroups"
    name_key: ClassVar[str]  # "DBSubnetGroupName"
    arn_key: ClassVar[str]  # "DBSubnetGroupArn"
    exists_code: ClassVar[str]  # the refusal of a create whose name is taken

    @staticmethod
    @abstractmethod
    def aws_own(name: str) -> bool:
        """Whether a group is one of AWS's defaults (never a stack's: skipped unread)."""

    @abstractmethod
    def properties(
        self, client: RetryingClient, group: dict[str, Any], tags: dict[str, str]
    ) -> dict[str, Any] | None:
        """The group in spec shape, with its user `tags`; None when it is gone."""

    def _read(
        self, region: str, stack: str | None, names: Sequence[str] = ()
    ) -> list[LiveResource]:
        """The groups (named `names`, when given) owned by `stack`, or all when None."""
        client = rds(self.clients, region)
        groups = [
            group
            for group in paged(client, self.list_method, self.list_key)
            if not self.aws_own(str(group[self.name_key]))
            and (not names or group[self.name_key] in names)
        ]

        def read_one(group: dict[str, Any]) -> LiveResource | None:
            tags = tags_of(client, group[self.arn_key])
            if tags is None or (stack is not None and not owned_by(tags, stack)):
                return None
            user, owner = split_tags(tags)
            properties = self.properties(client, group, user)
            if properties is None:
                return None  # deleted since it was listed
            name = str(group[self.name_key])
            return LiveResource.tagged(self.rtype.name, name, region, properties, owner)

        return read_concurrently(groups, read_one)

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        return self._read(region, stack)

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        if not physical_ids:
            return {}
        return {live.physical_id: live for live in self._read(region, None, physical_ids)}

    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        rds(self.clients, ctx.region).add_tags_to_resource(
            ResourceName=str(live.properties["arn"]), Tags=aws_tags(ctx.ownership_tags())
        )

    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        client = rds(self.clients, ctx.region)
        arn = str(live.properties["arn"])
        self.ignore_not_found(
            lambda: client.remove_tags_from_resource(ResourceName=arn, TagKeys=[*CLAIM_TAGS])
        )

    def own_leftover(self, ctx: ResourceContext, name: str, error: ClientError) -> LiveResource:
        """After a create refused with `exists_code`: the group, if this resource's own
        interrupted create made it; anyone else's is a ProviderError."""
        found = self._read(ctx.region, ctx.stack, [name])
        if not found or not is_made_for(found[0].owner, ctx):
            raise ProviderError(
                f"a {self.kind} named '{name}' already exists in {ctx.region} and this stack "
                "does not own it",
                code=self.exists_code,
                hint="give this group another name, or delete the existing one if it is a leftover",
                address=ctx.address,
            ) from error
        return found[0]

    @staticmethod
    def sync_group_tags(
        client: RetryingClient, ctx: ResourceContext, live: LiveResource, props: dict[str, Any]
    ) -> None:
        arn = str(live.properties["arn"])
        current = tag_map(client.list_tags_for_resource(ResourceName=arn).get("TagList"))
        sync_tags(client, arn, {**props["tags"], **ctx.ownership_tags()}, current)


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
