"""The account's stacks, as their ownership tags tell them: what `deploy ls` lists, what
`destroy --stack` and `sweep` act on.

Discovery (discovery/inventory.py) reads every resource tagged `stackdeploy:stack` with a
few batched calls per region; this module groups what it read by stack and says what each
stack is: its copy, regions, resources by type, when it was made (the time in its lineage),
when it expires, its lifecycle and the final snapshots it kept. Pure: no AWS here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from stackdeploy.model.arns import GLOBAL, SNAPSHOT, name_of
from stackdeploy.specs.base import (
    MARK_TAG_COPY,
    MARK_TAG_EXPIRES,
    MARK_TAG_LIFECYCLE,
    OWNERSHIP_TAG_LINEAGE,
    OWNERSHIP_TAG_STACK,
)

# A lineage made since stacks carry their creation time: 20261203T221900Z-<random>.
_LINEAGE_TIME = re.compile(r"^(\d{8}T\d{6}Z)-")


@dataclass(frozen=True)
class Tagged:
    """One resource the account's tag queries returned: its ARN, tags and region (GLOBAL
    for IAM)."""

    arn: str
    tags: Mapping[str, str]
    region: str


@dataclass(frozen=True)
class KeptSnapshot:
    """A final DB snapshot a destroy kept, tagged as the stack's: it keeps billing."""

    name: str
    region: str
    arn: str
    lineage: str | None = None  # its lineage tag: what proves it the stack's own


@dataclass
class StackEntry:
    """One stack as the account holds it."""

    name: str
    copy: str | None = None
    regions: set[str] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)  # type -> how many
    lineages: set[str] = field(default_factory=set)
    expiries: set[str] = field(default_factory=set)  # "" for "never"
    lifecycle: str = "durable"
    snapshots: list[KeptSnapshot] = field(default_factory=list)
    # Where its state record is, when this machine (or the state bucket) has one.
    state: list[str] = field(default_factory=list)
    hourly_cost: str | None = None  # dollars an hour, when estimated

    @property
    def resources(self) -> int:
        return sum(self.counts.values())

    @property
    def aws_regions(self) -> list[str]:
        """The regions it owns something in (IAM, which is global, is not a region)."""
        return sorted(self.regions - {GLOBAL})

    def created(self) -> datetime | None:
        """When its first apply ran: the earliest time in its lineages, None when no lineage
        records one (stacks made before lineages had times)."""
        times = [when for when in map(lineage_time, self.lineages) if when is not None]
        return min(times) if times else None

    def expires(self) -> datetime | None:
        """Its expiry; the earliest when resources disagree (an apply that failed half way
        through extending it). None when it never expires."""
        times = [parse_time(value) for value in self.expiries if value]
        known = [when for when in times if when is not None]
        return min(known) if known else None

    def expired(self, now: datetime) -> bool:
        expires = self.expires()
        return expires is not None and expires <= now

    def older_than(self, seconds: int, now: datetime) -> bool:
        """Made more than `seconds` ago (False when unknown: never swept on a guess)."""
        created = self.created()
        return created is not None and (now - created).total_seconds() > seconds


def lineage_time(lineage: str) -> datetime | None:
    match = _LINEAGE_TIME.match(lineage)
    return (
        datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) if match else None
    )


def parse_time(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def group_by_stack(found: Iterable[Tagged]) -> dict[str, StackEntry]:
    """Stacks by name, from every tagged resource found; resources that are part of
    another (an instance's volume) are not counted."""
    stacks: dict[str, StackEntry] = {}
    seen: set[str] = set()
    for item in found:
        name = item.tags.get(OWNERSHIP_TAG_STACK)
        named = name_of(item.arn)
        if not name or named is None or item.arn in seen:
            continue
        seen.add(item.arn)
        entry = stacks.setdefault(name, StackEntry(name))
        if named.kind == SNAPSHOT:
            lineage = item.tags.get(OWNERSHIP_TAG_LINEAGE)
            entry.snapshots.append(KeptSnapshot(named.physical_id, item.region, item.arn, lineage))
            continue
        entry.regions.add(item.region)
        entry.counts[named.kind] += 1
        entry.copy = item.tags.get(MARK_TAG_COPY) or entry.copy
        if item.tags.get(OWNERSHIP_TAG_LINEAGE):
            entry.lineages.add(item.tags[OWNERSHIP_TAG_LINEAGE])
        entry.expiries.add(item.tags.get(MARK_TAG_EXPIRES, ""))
        if item.tags.get(MARK_TAG_LIFECYCLE) == "exercise":
            entry.lifecycle = "exercise"
    return stacks


def time_left(expires: datetime | None, now: datetime) -> str:
    """ "never", "expired", or the time left: 3h 20m, 2d 4h, 12m."""
    if expires is None:
        return "never"
    seconds = int((expires - now).total_seconds())
    if seconds <= 0:
        return "expired"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {minutes}m" if hours else f"{max(minutes, 1)}m"
