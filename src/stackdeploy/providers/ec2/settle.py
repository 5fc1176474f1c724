"""Reading back a resource whose sub-resources (routes, rules) were just written."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from stackdeploy.aws.waiters import wait_until
from stackdeploy.errors import WaitTimeoutError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.diff import diff_properties
from stackdeploy.providers.base import Provider, ResourceContext


def read_settled(
    provider: Provider,
    ctx: ResourceContext,
    physical_id: str,
    props: dict[str, Any],
    read: Callable[[ResourceContext, str], LiveResource] | None = None,
) -> LiveResource:
    """Read the resource until it reports `props`, for at most the consistency deadline.

    EC2 applies route and rule changes at once, but its Describe calls are eventually
    consistent: a read right after the write can still show the old routes or rules, and
    returning that would fail the executor's consistency check for nothing. When the deadline
    passes the last read is returned.
    """
    reads: list[LiveResource] = []

    def settled() -> tuple[bool, str]:
        live = (read or provider.read_after_write)(ctx, physical_id)
        reads.append(live)
        pending = [c.path for c in diff_properties(provider.rtype, props, live.properties)]
        return not pending, f"{', '.join(pending)} not updated yet" if pending else "settled"

    # On timeout the executor's post-apply check names what still differs.
    with suppress(WaitTimeoutError):
        wait_until(
            settled,
            what=f"{provider.rtype.name} {physical_id} to show the changes",
            timing=ctx.timing,
            events=ctx.events,
            timeout=ctx.timing.visibility_deadline,
        )
    return reads[-1]
