"""The expiry a run gives the stack: from `--expires-in`, the file, or what AWS holds.

`--expires-in 4h` sets it to four hours from now (`never` clears it); an ISO time in the
file is taken as written; a duration in the file (`expires_after: 4h`) counts from the first
apply, so once the stack carries an expiry a plan keeps it rather than moving it at every
run; with neither, what the resources carry is kept, so that a plain apply never undoes an
extension made with `--expires-in`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from stackdeploy.config.lifecycle import expiry_at
from stackdeploy.model.live import LiveState
from stackdeploy.model.stack import Stack
from stackdeploy.specs.base import MARK_TAG_EXPIRES

NEVER = 0  # `--expires-in never`: seconds of 0 clear the expiry


def live_expiry(live: LiveState) -> str | None:
    """The latest expiry the stack's resources carry (None when none does)."""
    found = [
        value
        for resource in [*live.resources.values(), *live.duplicates]
        for key, value in resource.owner.marks
        if key == MARK_TAG_EXPIRES and value
    ]
    return max(found) if found else None  # ISO 8601 UTC texts sort as times do


def with_expiry(
    stack: Stack, live: LiveState, expires_in: int | None, now: datetime | None = None
) -> Stack:
    """`stack` with the expiry this run applies (Stack.expires; None: it never expires)."""
    moment = now or datetime.now(UTC)
    if expires_in is not None:
        expires = None if expires_in == NEVER else expiry_at(moment, expires_in)
    elif stack.expires is not None:
        expires = stack.expires
    elif stack.expires_after_seconds is not None:
        expires = live_expiry(live) or expiry_at(moment, stack.expires_after_seconds)
    else:
        expires = live_expiry(live)
    return stack.model_copy(update={"expires": expires})
