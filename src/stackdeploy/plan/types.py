"""Plan values: what will change, how, and why."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from stackdeploy.specs.base import ReplaceStrategy


class Action(enum.Enum):
    NOOP = "no-op"
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    # Untag it and drop it from the state, leave it in AWS (lifecycle.retain_on_delete).
    FORGET = "forget"


class Reason(enum.Enum):
    NEW = "not yet created"
    MISSING = "recorded as created, but no longer exists in AWS"
    CHANGED = "changed in the stack file"
    DRIFT = "changed outside stackdeploy"
    UNRECORDED = (
        "differs from the stack file (the state does not record what was applied, so an edit "
        "and a change outside stackdeploy look alike)"
    )
    CANNOT_UPDATE = "a property that cannot change in place changed"
    DEPENDENCY_REPLACED = "a resource it depends on is replaced"
    TYPE_CHANGED = "its type changed in the stack file"
    MOVED = "its region changed in the stack file (a resource cannot move between regions)"
    REMOVED = "no longer in the stack file"
    DESTROY = "the stack is being destroyed"
    DUPLICATE = "an extra copy with this logical id (left by an interrupted run)"
    INTERRUPTED = (
        "an interrupted create made it (found by the name the state recorded); "
        "its ownership tags are written"
    )
    ADOPTED = "taken over with --adopt: its ownership tags are rewritten to this stack's lineage"
    FORCED = "not proven to be this stack's own: deleted because of --force-owned"
    MARKED = "its stack marks change (expiry or lifecycle tags)"
    GUARDS = "its lifecycle guards change (recorded in the state; nothing changes in AWS)"
    USED_BY_RETAINED = "a retained resource still uses it"


@dataclass(frozen=True)
class PropertyChange:
    path: str
    before: Any
    after: Any  # may be UNKNOWN
    forces_replacement: bool = False
    note: str | None = None  # why it forces replacement, or a side effect of the update


@dataclass(frozen=True)
class ResourceChange:
    address: str  # the logical id; duplicates get "<id>~<physical id>"
    type: str
    region: str
    action: Action
    reasons: tuple[Reason, ...]
    physical_id: str | None = None
    before: dict[str, Any] | None = None  # live properties
    after: dict[str, Any] | None = None  # desired properties, references resolved or UNKNOWN
    changes: tuple[PropertyChange, ...] = ()
    replace_strategy: ReplaceStrategy | None = None
    depends_on: tuple[str, ...] = ()  # desired dependencies (apply order)
    notes: tuple[str, ...] = ()  # warnings shown with the change
    # Write the ownership tags (stack, logical id, lineage) as part of the change: the
    # resource was adopted from an interrupted create or taken over with --adopt.
    retag: bool = False
    # For a delete: what it leaves behind on purpose, named at plan time (an RDS final
    # snapshot's identifier), so the plan shows the real name and apply keeps exactly it.
    keeps: str | None = None
    # For a delete: switch deletion protection off first (a proven resource of an exercise
    # stack; see plan/custody.py exercise_unprotects).
    unprotect: bool = False

    @property
    def logical_id(self) -> str:
        return self.address.split("~", 1)[0]

    def replace_paths(self) -> list[str]:
        return [change.path for change in self.changes if change.forces_replacement]


@dataclass(frozen=True)
class LeftAlone:
    """A resource found for the stack that the plan does not touch, and why: it cannot be
    proven to be this stack's own (or something such a resource uses is kept for it)."""

    address: str
    type: str
    region: str
    physical_id: str
    reason: str  # --force-owned deletes it anyway


@dataclass(frozen=True, order=True)
class StackInput:
    """An output of another stack the plan read (`${stack:name.output}`), and from where."""

    stack: str
    output: str
    where: str  # its state record: a path, or s3://bucket/key


@dataclass(frozen=True)
class Plan:
    stack: str
    region: str
    account: str
    destroy: bool
    changes: tuple[ResourceChange, ...]
    outputs: dict[str, Any] = field(default_factory=dict)
    # (a, b): a must be deleted before b. Derived from live references, state and config.
    deletion_edges: tuple[tuple[str, str], ...] = ()
    live_digest: str = ""
    warnings: tuple[str, ...] = ()
    # Values of lookups (`${ssm:...}`) as read during refresh, keyed by Lookup.scoped(region).
    lookups: dict[str, Any] = field(default_factory=dict)
    left_alone: tuple[LeftAlone, ...] = ()
    source: str = ""  # the stack file, for the commands the plan suggests
    # Attributes known before their resources exist ({logical id: {attribute: value}}):
    # apply resolves references to them with exactly these values (plan/derived.py).
    derived: dict[str, dict[str, Any]] = field(default_factory=dict)
    expires: str | None = None  # when the stack expires (ISO 8601 UTC), if it does
    lifecycle: str = "durable"  # or "exercise": what a destroy keeps
    # The logical ids --target limited it to (with what they need); empty: the whole stack.
    targets: tuple[str, ...] = ()
    # Outputs of other stacks it read (`${stack:...}`), which its state then records.
    inputs: tuple[StackInput, ...] = ()

    def actionable(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.action is not Action.NOOP]

    def has_changes(self) -> bool:
        return bool(self.actionable())

    def summary(self) -> dict[str, int]:
        counts = Counter(c.action for c in self.changes)
        return {
            "create": counts[Action.CREATE],
            "update": counts[Action.UPDATE],
            "replace": counts[Action.REPLACE],
            "delete": counts[Action.DELETE],
            "forget": counts[Action.FORGET],
            "unchanged": counts[Action.NOOP],
        }

    def change(self, address: str) -> ResourceChange:
        for change in self.changes:
            if change.address == address:
                return change
        raise KeyError(address)
