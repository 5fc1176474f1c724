"""Which found resources a plan may take over or delete: tags find, only proof deletes.

Tagging rights are granted far more widely than delete rights, so a resource that merely
carries this stack's tags is adopted at most, never deleted. A delete needs proof that this
stack made the resource: the state record, an intent the state recorded before the create,
or the stack's lineage tag; data stores (databases, tables, keys, buckets with objects)
need the state itself. `--adopt` takes over what the tags claim; `--force-owned` deletes
on tags alone. An exercise stack (its resources tagged stackdeploy:lifecycle=exercise) is
throwaway by declaration: what the state or the lineage proves it made goes even when it
holds data, deletion protection included; tags alone still prove nothing. Pure: no AWS here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from stackdeploy.errors import ConfigError
from stackdeploy.model.live import LiveResource, LiveState, Proof
from stackdeploy.model.stack import Stack
from stackdeploy.plan.types import Action, LeftAlone, Reason, ResourceChange
from stackdeploy.plan.uses import UsedResources
from stackdeploy.specs.base import MARK_TAG_LIFECYCLE

ADOPT = "--adopt"
FORCE_OWNED = "--force-owned"

_NOT_OURS = {
    Proof.TAGS: "tagged for this stack, but not with its lineage (tagged by hand, or made by "
    "another copy of the stack with its own state)",
    Proof.UNTAGGED: "named in the state record, but its tags do not name this stack (an "
    "edited or foreign state record?)",
}
_DATA = "it holds data, and only its tags say this stack made it (the state does not record it)"


@dataclass(frozen=True)
class Custody:
    """What the user allowed beyond the default: `--adopt` and `--force-owned`, and which
    found resources (by physical id) hold data."""

    adopt: bool = False
    force_owned: bool = False
    holding_data: frozenset[str] = frozenset()

    def may_adopt(self, found: LiveResource) -> bool:
        """Whether the plan may treat `found` as the declared resource of its logical id."""
        return found.proof.made_by_this_stack or self.adopt

    def retag(self, found: LiveResource, lineage: str | None) -> bool:
        """Whether adopting `found` must (re)write its ownership tags: taken over with
        --adopt, or made by an interrupted create that did not get to tag it."""
        if not found.proof.made_by_this_stack:
            return True
        tagged = found.owner.stack is not None and found.owner.lineage == lineage
        return found.proof is Proof.INTENT and not tagged

    def unproven(self, found: LiveResource) -> str | None:
        """Why nothing proves `found` is this stack's to delete, or None when something does."""
        if found.proof.in_state:
            return None
        if not found.proof.made_by_this_stack and not self.adopt:
            return _NOT_OURS[found.proof]
        if found.physical_id in self.holding_data and not proven_exercise(found):
            return _DATA
        return None

    def refusal(self, found: LiveResource) -> str | None:
        """Why `found` may not be deleted, or None when it may."""
        return None if self.force_owned else self.unproven(found)

    def forced(self, found: LiveResource) -> bool:
        """Whether only --force-owned allows deleting `found`."""
        return self.force_owned and self.unproven(found) is not None


def proven_exercise(found: LiveResource) -> bool:
    """Whether `found` is part of an exercise stack, and proven this stack's own: its mark
    alone (a tag anyone may write) never turns a data store into something to delete."""
    exercise = dict(found.owner.marks).get(MARK_TAG_LIFECYCLE) == "exercise"
    return exercise and found.proof.made_by_this_stack


def exercise_unprotects(found: LiveResource) -> bool:
    """Whether deleting `found` switches its deletion protection off first: a proven
    resource of an exercise stack. Any other protected resource stops its delete, as the
    user who protected it meant."""
    return proven_exercise(found) and found.properties.get("deletion_protection") is True


def left_alone(address: str, found: LiveResource, reason: str) -> LeftAlone:
    return LeftAlone(
        address=address,
        type=found.type,
        region=found.region,
        physical_id=found.physical_id,
        reason=reason,
    )


def kept_for(
    kept: Mapping[str, LiveResource], deleting: Mapping[str, LiveResource]
) -> dict[str, str]:
    """Deletes that cannot succeed because a resource left alone still uses them (a declared
    reference names them: someone's instance in a subnet of ours), transitively:
    {address: address of the user}. AWS would refuse them (DependencyViolation) for minutes.
    """
    candidates = UsedResources(deleting)
    users: dict[str, str] = {}
    queue = list(kept.items())
    while queue:
        user, found = queue.pop()
        for used in candidates.used_by(found):
            if used not in users:
                users[used] = user
                queue.append((used, deleting[used]))
    return users


def foreign_claim(stack: Stack, logical_id: str, found: LiveResource) -> ConfigError:
    """A declared resource whose only claimant in AWS cannot be proven this stack's own."""
    return ConfigError(
        f"{found.type} {found.physical_id} claims to be '{logical_id}' of this stack and is left "
        f"alone: {_NOT_OURS[found.proof]}",
        location=stack.location(("resources", logical_id)),
        hint=f"pass {ADOPT} to take it over (its ownership tags are rewritten to this stack's "
        "lineage), or remove its stackdeploy:* tags so that a new one is created",
        address=logical_id,
    )


def marks_to_write(found: LiveResource, marks: Mapping[str, str]) -> dict[str, str]:
    """The mark tags that differ from what `found` carries: the stack's, and "" for a mark it
    no longer has (an expiry removed), since writing a tag is all every service can do alike."""
    have = dict(found.owner.marks)
    cleared = {key: "" for key, value in have.items() if value and key not in marks}
    wanted = {**cleared, **marks}
    return {key: value for key, value in wanted.items() if have.get(key, "") != value}


def with_custody(
    change: ResourceChange,
    found: LiveResource,
    custody: Custody,
    lineage: str | None,
    marks: Mapping[str, str],
) -> ResourceChange:
    """An adopted resource whose ownership tags must be written (an interrupted create, or
    one taken over with --adopt), or whose stack marks change (a new expiry), is updated even
    when nothing else changes."""
    if change.action not in (Action.NOOP, Action.UPDATE):
        return change
    if custody.retag(found, lineage):
        reason = Reason.INTERRUPTED if found.proof is Proof.INTENT else Reason.ADOPTED
    elif marks_to_write(found, marks):
        reason = Reason.MARKED
    else:
        return change
    return dataclasses.replace(
        change, action=Action.UPDATE, retag=True, reasons=(*change.reasons, reason)
    )


def refused_custody(
    stack: Stack, change: ResourceChange, found: LiveResource, custody: Custody
) -> list[ConfigError]:
    """A replacement deletes the old resource: it needs the same proof as any delete."""
    refusal = custody.refusal(found) if change.action is Action.REPLACE else None
    if refusal is None:
        return []
    return [
        ConfigError(
            f"replacing it would delete {found.physical_id}, which is left alone: {refusal}",
            location=stack.location(("resources", change.address)),
            hint=f"pass {FORCE_OWNED} if it is truly this stack's to delete, or change the stack "
            "file so that it can be updated in place",
            address=change.address,
        )
    ]


def keep_what_kept_ones_use(
    changes: dict[str, ResourceChange],
    kept: Mapping[str, LiveResource],
    left: dict[str, LeftAlone],
    live: LiveState,
) -> None:
    """Drop deletes AWS would refuse because a resource left alone still uses them."""
    found = {**{f"{d.logical_id}~{d.physical_id}": d for d in live.duplicates}, **live.resources}
    deleting = {a: found[a] for a, c in changes.items() if c.action is Action.DELETE}
    for address, user in sorted(kept_for(kept, deleting).items()):
        del changes[address]
        left[address] = left_alone(address, found[address], f"{user} is left alone and uses it")
