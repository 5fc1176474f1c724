"""The provider contract every resource type implements.

- read_owned / read_many return live resources in canonical (spec) shape; a missing resource
  is simply absent, never an exception. Reads are batched: one call per type, not per resource.
- create is idempotent: ownership tags go in the create call itself (TagSpecifications) and
  ClientToken is used where the API has one, so an interrupted create is found, not repeated.
- create and update return what a read would return; the executor checks it against the spec.
- delete is idempotent: already gone is success.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from stackdeploy.aws.errors import is_not_found
from stackdeploy.aws.session import ClientFactory
from stackdeploy.aws.timing import Timing
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.events import EventSink
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.specs.base import (
    OWNERSHIP_TAG_ID,
    OWNERSHIP_TAG_LINEAGE,
    OWNERSHIP_TAG_STACK,
    ResourceType,
)

T = TypeVar("T")


@dataclass(frozen=True)
class ResourceContext:
    """What a provider needs to know about the resource it is working on."""

    stack: str
    logical_id: str
    region: str
    token: str  # idempotency token for this create (stable across retries of the same step)
    events: EventSink
    timing: Timing
    # The properties last applied, from the state record (None when unknown): what AWS does
    # not store, such as an Auto Scaling group's force_delete choice, is read from here.
    applied: dict[str, Any] | None = None
    # The stack's lineage (state record), tagged on every resource it creates; None only
    # outside an apply (reads, tests of a single call).
    lineage: str | None = None
    # For the delete of a resource replaced create-before-destroy: the new one's physical id,
    # to which what still uses the old one may be moved (a security group's instances).
    successor_id: str | None = None
    # The stack marks every resource carries (copy, expiry, lifecycle), as tags.
    marks: Mapping[str, str] = field(default_factory=dict)
    # For a delete, as the plan decided it: the final snapshot to keep (its name), and
    # whether to switch deletion protection off first (an exercise stack's resource).
    keeps: str | None = None
    unprotect: bool = False

    @property
    def address(self) -> str:
        return self.logical_id

    def ownership_tags(self) -> dict[str, str]:
        tags = {OWNERSHIP_TAG_STACK: self.stack, OWNERSHIP_TAG_ID: self.logical_id}
        if self.lineage:
            tags[OWNERSHIP_TAG_LINEAGE] = self.lineage
        return {**tags, **self.marks}


class Provider(ABC):
    """The AWS implementation of one resource type."""

    rtype: ClassVar[ResourceType]

    def __init__(self, clients: ClientFactory) -> None:
        self.clients = clients

    @abstractmethod
    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        """Every resource of this type in `region` tagged as owned by `stack` (one call)."""

    @abstractmethod
    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        """The given resources that still exist, by physical id (one call)."""

    @abstractmethod
    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        """Create the resource with ownership tags and wait until it is usable."""

    @abstractmethod
    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        """Apply in-place changes and return the resource as read back."""

    @abstractmethod
    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        """Delete the resource and wait until AWS no longer blocks what depends on its absence."""

    @abstractmethod
    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        """Write the ownership tags (ctx.ownership_tags()) onto an existing resource, leaving
        its other tags alone: for one adopted from an interrupted create or with --adopt."""

    @abstractmethod
    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        """Remove the ownership and mark tags (CLAIM_TAGS) from a resource that stays in AWS
        (lifecycle.retain_on_delete), leaving its other tags alone; gone already is fine."""

    def holds_data(self, live: LiveResource) -> bool:
        """Whether deleting it would lose data (asked only of data_store types)."""
        return self.rtype.data_store

    def find_claimants(self, region: str, stack: str, logical_id: str) -> list[LiveResource]:
        """Resources in AWS tagged as this stack's `logical_id`, read right before a create
        of a duplicable type (another runner may have made one since the plan)."""
        return [live for live in self.read_owned(region, stack) if live.logical_id == logical_id]

    def read(self, region: str, physical_id: str) -> LiveResource | None:
        return self.read_many(region, [physical_id]).get(physical_id)

    def read_after_write(self, ctx: ResourceContext, physical_id: str) -> LiveResource:
        """Read a resource just created: AWS reads are eventually consistent, so retry briefly."""
        return until_visible(
            ctx,
            lambda: self.read(ctx.region, physical_id),
            what=physical_id,
            operation=f"read {self.rtype.name}",
        )

    @staticmethod
    def ignore_not_found(action: Callable[[], object]) -> None:
        """Run a delete-like call; "already gone" is success."""
        try:
            action()
        except Exception as error:
            if not is_not_found(error):
                raise


class _NotYetVisible(ProviderError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is not visible yet after its creation")


def until_visible(
    ctx: ResourceContext, read: Callable[[], T | None], *, what: str, operation: str
) -> T:
    """`read()` retried within the visibility window while it finds nothing: a resource
    created moments ago may not show in AWS's reads yet."""
    found: list[T] = []

    def attempt() -> None:
        value = read()
        if value is None:
            raise _NotYetVisible(what)
        found.append(value)

    retry_while(
        attempt,
        codes=set(),
        matches=lambda error: isinstance(error, _NotYetVisible),
        deadline=ctx.timing.visibility_deadline,
        timing=ctx.timing,
        events=ctx.events,
        operation=operation,
    )
    return found[-1]
