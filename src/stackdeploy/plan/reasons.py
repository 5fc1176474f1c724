"""Why a resource changes: one place decides the reasons an update or a replacement gives.

A plan that says "changed in the stack file" when nobody touched the file sends the reader
looking for an edit that does not exist; each label must be the true one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stackdeploy.model.values import contains_unknown
from stackdeploy.plan.diff import stable_text
from stackdeploy.plan.types import PropertyChange, Reason


def _reason(change: PropertyChange, applied: dict[str, Any] | None) -> Reason:
    if contains_unknown(change.after):
        return Reason.DEPENDENCY_REPLACED  # its value comes from a resource being replaced
    if applied is None:
        return Reason.UNRECORDED  # nothing says what was applied: file edit or drift alike
    if change.path in applied and stable_text(applied[change.path]) == stable_text(change.after):
        return Reason.DRIFT  # the file still says what was applied: AWS changed
    return Reason.CHANGED


def change_reasons(
    changes: Sequence[PropertyChange], applied: dict[str, Any] | None
) -> tuple[Reason, ...]:
    """The reasons of an in-place update, one per kind of cause, in a fixed order."""
    found = {_reason(change, applied) for change in changes}
    return tuple(reason for reason in Reason if reason in found)


def replacement_reason(forcing: Sequence[PropertyChange]) -> Reason:
    """Why a replacement: a create-only property changed, or only took a value that is
    unknown until a dependency is replaced."""
    if all(contains_unknown(change.after) for change in forcing):
        return Reason.DEPENDENCY_REPLACED
    return Reason.CANNOT_UPDATE
