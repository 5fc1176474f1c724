"""A resource's lifecycle guards in the plan: ignore_changes, prevent_destroy, retain_on_delete.

- ignore_changes: the listed properties take what AWS holds, so they never show a difference
  and an update sends back what is there (a new resource still gets the file's values).
- retain_on_delete: a delete (destroy, removal from the file) becomes a forget: the resource's
  stackdeploy:* tags are removed and the state forgets it; what it uses is kept the same way.
- prevent_destroy: a plan that would delete or replace it stops before anything changes.

Once a resource is gone from the file, only the guards the state recorded at its last apply
protect it; a destroy honours both those and the file's. Pure: no AWS here.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from stackdeploy.errors import ConfigError, SourceLocation
from stackdeploy.model.live import LiveResource, LiveState
from stackdeploy.model.stack import IGNORE_ALL, Guards, Resource, Stack
from stackdeploy.plan.custody import kept_for
from stackdeploy.plan.types import Action, PropertyChange, Reason, ResourceChange
from stackdeploy.specs.base import ResourceType

RETAINED = "retained: untagged and forgotten, not deleted"
NO_GUARDS = Guards()


def ignoring(
    rtype: ResourceType, desired: dict[str, Any], live: Mapping[str, Any], paths: Sequence[str]
) -> dict[str, Any]:
    """`desired` with every ignored property path holding what AWS holds, so that neither a
    diff nor an update touches it. A value AWS never returns whole (write-only, compared by
    digest) stays as desired; without_ignored drops its change instead."""
    if not paths:
        return desired
    opaque = rtype.write_only | rtype.digest_properties
    if tuple(paths) == (IGNORE_ALL,):
        return {
            name: copy.deepcopy(live[name]) if name in live and name not in opaque else value
            for name, value in desired.items()
        }
    result = copy.deepcopy(desired)
    for path in paths:
        parts = path.split(".")
        if parts[0] not in opaque:
            _take_live(result, live, parts)
    return result


def _take_live(
    desired: dict[str, Any], live: Mapping[str, Any], parts: list[str], *, top: bool = True
) -> None:
    head, rest = parts[0], parts[1:]
    if not rest:
        if head in live:
            desired[head] = copy.deepcopy(live[head])
        elif top:
            desired[head] = None  # at the top level, None means "not managed"
        else:
            desired.pop(head, None)  # inside a value (a tag): the update must not add it
        return
    inner, have = desired.get(head), live.get(head)
    if isinstance(inner, dict):
        _take_live(inner, have if isinstance(have, dict) else {}, rest, top=False)


def without_ignored(
    changes: Sequence[PropertyChange], paths: Sequence[str]
) -> list[PropertyChange]:
    """The changes left once whole ignored properties are set aside."""
    if tuple(paths) == (IGNORE_ALL,):
        return []
    whole = set(paths)
    return [change for change in changes if change.path not in whole]


def guards_of(
    stack: Stack, address: str, recorded: Mapping[str, Guards], *, destroy: bool
) -> tuple[Guards, bool]:
    """The guards that hold for a delete of `address`, and whether only the state says so.
    Removed from the file, the state's; on destroy, the file's and the state's together
    (a guard removed from the file holds until an apply records that)."""
    kept = recorded.get(address, NO_GUARDS)
    declared = stack.resources.get(address)
    if not destroy or declared is None:
        return kept, kept != NO_GUARDS
    own = declared.lifecycle.guards()
    both = Guards(
        prevent_destroy=own.prevent_destroy or kept.prevent_destroy,
        retain_on_delete=own.retain_on_delete or kept.retain_on_delete,
    )
    return both, both != own


def retained(change: ResourceChange, note: str | None = None) -> ResourceChange:
    """A delete turned into a forget: untagged and dropped from the state, never deleted."""
    return dataclasses.replace(
        change,
        action=Action.FORGET,
        notes=(f"{RETAINED}{note or ' (lifecycle.retain_on_delete)'}",),
        keeps=None,
        unprotect=False,
    )


def retain_what_retained_ones_use(changes: dict[str, ResourceChange], live: LiveState) -> None:
    """Deletes that a retained resource still needs (the VPC of a retained subnet) are
    retained too: deleting them would fail, or break what is kept."""
    found = {**{f"{d.logical_id}~{d.physical_id}": d for d in live.duplicates}, **live.resources}
    keeping: dict[str, LiveResource] = {
        address: found[address]
        for address, change in changes.items()
        if change.action is Action.FORGET and address in found
    }
    deleting = {a: found[a] for a, c in changes.items() if c.action is Action.DELETE and a in found}
    for address, user in sorted(kept_for(keeping, deleting).items()):
        change = changes[address]
        change = dataclasses.replace(change, reasons=(*change.reasons, Reason.USED_BY_RETAINED))
        changes[address] = retained(change, f": {user} is retained and uses it")


def with_guards(
    change: ResourceChange, resource: Resource, recorded: Mapping[str, Guards]
) -> ResourceChange:
    """An existing resource whose guards differ from what the state recorded is updated (in
    the state only), so that the guards hold once it is removed from the file."""
    if change.action not in (Action.NOOP, Action.UPDATE):
        return change
    if recorded.get(resource.logical_id, NO_GUARDS) == resource.lifecycle.guards():
        return change
    return dataclasses.replace(
        change, action=Action.UPDATE, reasons=(*change.reasons, Reason.GUARDS)
    )


def prevented(
    stack: Stack,
    changes: Mapping[str, ResourceChange],
    guarded: Mapping[str, tuple[Guards, bool]],
) -> list[tuple[str, ConfigError]]:
    """Deletes and replacements of resources that prevent_destroy guards, each refused at its
    guard. A replacement follows the file (remove the guard there to replace on purpose); a
    delete follows guards_of, given in `guarded` with whether only the state holds them."""
    refusals = []
    for address, change in sorted(changes.items()):
        declared = stack.resources.get(address)
        if change.action is Action.REPLACE and declared is not None:
            guards, recorded_only = declared.lifecycle.guards(), False
        elif change.action is Action.DELETE and address in guarded:
            guards, recorded_only = guarded[address]
        else:
            continue
        if guards.prevent_destroy:
            refusals.append((address, _refusal(stack, change, recorded_only)))
    return refusals


def _refusal(stack: Stack, change: ResourceChange, recorded_only: bool) -> ConfigError:
    address = change.logical_id
    if address not in stack.resources:
        where = SourceLocation(stack.source_file)
    elif recorded_only:  # the file no longer says it: the resource itself
        where = stack.location(("resources", address))
    else:
        where = stack.location(("resources", address, "lifecycle", "prevent_destroy"))
    what = f"{address} ({change.type} {change.physical_id})"
    origin = " (recorded in the state at its last apply)" if recorded_only else ""
    if change.action is Action.REPLACE:
        forcing = ", ".join(change.replace_paths()) or change.reasons[0].value
        message = (
            f"{what} is protected by lifecycle.prevent_destroy: this plan would replace it "
            f"(delete it and create a new one: {forcing})"
        )
        hint = (
            "undo the change that forces the replacement; to replace it on purpose, remove "
            "prevent_destroy from its lifecycle block first"
        )
    elif Reason.DESTROY in change.reasons:
        message = (
            f"{what} is protected by lifecycle.prevent_destroy{origin}: the stack is being "
            "destroyed"
        )
        hint = (
            f"to destroy it, remove prevent_destroy from its lifecycle block in "
            f"{stack.source_file} and apply first (the state records it), then destroy; to "
            "keep it in AWS instead, set retain_on_delete: true"
        )
    else:
        message = (
            f"{what} is protected by lifecycle.prevent_destroy{origin}: it is no longer in the "
            "stack file, so this plan would delete it"
        )
        hint = (
            f"put it back in {stack.source_file} without prevent_destroy and apply first, "
            "then remove it; or give it retain_on_delete: true (apply) to keep it in AWS "
            "when it is removed"
        )
    return ConfigError(message, location=where, hint=hint, address=address)
