"""What the IAM providers share: tags, ownership, reads by name, listing the stack's names.

IAM has no batched read and no tag filter: a role or instance profile is read by name, one
(or a few) calls each. Discovery therefore reads the names a stack declares (`read_many`), and
`read_owned` lists the account's names once to find those generated for this stack
(`<stack>-<logical id>`), so a resource whose state record was lost and which was then
removed from the stack file is still found and destroyed. Names given explicitly are found
through the stack file or the state record.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, ClassVar, TypeVar

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import is_not_found
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.concurrency import map_concurrently
from stackdeploy.specs.base import CLAIM_TAGS

T = TypeVar("T")
# IAM's default request quota is low; a few reads at a time keep a refresh fast without
# running into throttling.
READ_WORKERS = 4


def iam_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def tag_value(aws_tags: Iterable[Mapping[str, str]] | None, key: str) -> str | None:
    return next((t.get("Value") for t in aws_tags or [] if t.get("Key") == key), None)


def or_none(call: Callable[[], T]) -> T | None:
    """The result of an IAM read, or None when the entity does not exist (NoSuchEntity)."""
    try:
        return call()
    except ClientError as error:
        if is_not_found(error):
            return None
        raise


def list_all(iam: RetryingClient, method: str, result_key: str, **kwargs: Any) -> list[Any]:
    """Every page of an IAM list call (Marker pagination, largest pages)."""
    return iam.paginate(
        method, result_key, input_token="Marker", output_token="Marker", MaxItems=1000, **kwargs
    )


def generated_names(
    iam: RetryingClient, method: str, result_key: str, name_key: str, stack: str
) -> list[str]:
    """Names in the account that this stack would have generated: `<stack>-...`."""
    prefix = f"{stack}-"
    return sorted(
        item[name_key]
        for item in list_all(iam, method, result_key)
        if str(item[name_key]).startswith(prefix)
    )


def read_each(names: Sequence[str], read_one: Callable[[str], T | None]) -> dict[str, T]:
    """`read_one` for every name, a few at a time; names that do not exist are left out."""
    unique = sorted(set(names))
    found = map_concurrently(unique, read_one, workers=READ_WORKERS)
    return {name: value for name, value in zip(unique, found, strict=True) if value is not None}


def sync_iam_tags(
    tag: Callable[..., object],
    untag: Callable[..., object],
    desired: Mapping[str, str],
    live: Mapping[str, str],
) -> None:
    """Make user tags equal `desired` through an IAM Tag*/Untag* pair; ownership tags stay."""
    stale = sorted(k for k in live if k not in desired)
    changed = {k: v for k, v in desired.items() if live.get(k) != v}
    if stale:
        untag(TagKeys=stale)
    if changed:
        tag(Tags=iam_tags(changed))


def name_taken(ctx: ResourceContext, noun: str, name: str) -> ProviderError:
    return ProviderError(
        f"an IAM {noun} named '{name}' already exists and this stack does not own it",
        code="EntityAlreadyExists",
        address=ctx.address,
        hint=f"IAM names are unique per account, whatever their case: choose another name, "
        f"or delete the existing {noun} if it is a leftover",
    )


def ignoring_not_found(action: Callable[..., object], /, **kwargs: Any) -> None:
    """Call an IAM write whose "already gone" outcome is the one wanted."""
    or_none(partial(action, **kwargs))


def no_longer_exists(ctx: ResourceContext, what: str, name: str, noun: str) -> ProviderError:
    """An update found the entity gone since the plan."""
    return ProviderError(
        f"{what} {name} no longer exists",
        code="NoSuchEntity",
        address=ctx.address,
        hint=f"run plan again: it will create the {noun} anew",
    )


class IamProvider(Provider):
    """Reads by name (IAM has no batched read) and emptied, retried deletes."""

    # The list call that finds the names this stack generated, e.g. ListRoles.
    list_method: ClassVar[str]
    list_key: ClassVar[str]
    name_key: ClassVar[str]

    tag_method: ClassVar[str]  # e.g. tag_role
    name_parameter: ClassVar[str]  # the entity's name parameter, e.g. RoleName

    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        tag = getattr(self.iam(ctx.region), self.tag_method)
        tag(**{self.name_parameter: live.physical_id}, Tags=iam_tags(ctx.ownership_tags()))

    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        untag = getattr(self.iam(ctx.region), self.tag_method.replace("tag_", "untag_", 1))
        self.ignore_not_found(
            lambda: untag(**{self.name_parameter: live.physical_id}, TagKeys=[*CLAIM_TAGS])
        )

    def iam(self, region: str) -> RetryingClient:
        # IAM is global: any region's endpoint answers for the whole account.
        return self.clients.client("iam", region)

    @abstractmethod
    def read_one(
        self, iam: RetryingClient, region: str, name: str, stack: str | None = None
    ) -> LiveResource | None:
        """The entity in canonical form; None if it does not exist (or, given `stack`, is
        not that stack's: nothing more is then read)."""

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        iam = self.iam(region)
        names = generated_names(iam, self.list_method, self.list_key, self.name_key, stack)
        return list(read_each(names, partial(self.read_one, iam, region, stack=stack)).values())

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        return read_each(physical_ids, partial(self.read_one, self.iam(region), region))

    @staticmethod
    def delete_emptied(
        ctx: ResourceContext, operation: str, empty_and_delete: Callable[[], object]
    ) -> None:
        """Run `empty_and_delete` (already gone is done), again while IAM still sees what was
        just removed from the entity (DeleteConflict) for a moment."""
        retry_while(
            lambda: Provider.ignore_not_found(empty_and_delete),
            codes=frozenset({"DeleteConflict"}),
            deadline=ctx.timing.consistency_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation=operation,
        )
