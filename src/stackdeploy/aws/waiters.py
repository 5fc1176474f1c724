"""Polling with backoff: short first polls, growing to a cap, bounded by a timeout.

boto3's waiters poll at a fixed 15-30 s, which adds half a poll period to every slow
resource on the critical path; these start at about a second.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)
from tenacity.wait import wait_base

from stackdeploy.aws.errors import error_code
from stackdeploy.aws.session import jittered, sleep
from stackdeploy.aws.timing import Timing
from stackdeploy.errors import WaitTimeoutError
from stackdeploy.events import EventSink, Waiting, current_address
from stackdeploy.events import Retrying as RetryingEvent


def wait_until(
    check: Callable[[], tuple[bool, str]],
    *,
    what: str,
    timing: Timing,
    events: EventSink,
    timeout: float | None = None,
) -> None:
    """Poll `check` until it returns (True, status). `check` raises to fail fast."""
    limit = timing.poll_timeout if timeout is None else timeout
    start = time.monotonic()
    delay = timing.poll_initial
    while True:
        done, status = check()
        if done:
            return
        elapsed = time.monotonic() - start
        if elapsed > limit:
            raise WaitTimeoutError(
                f"timed out after {elapsed:.0f}s waiting for {what} (last status: {status})",
                address=current_address.get(),
                hint="the resource may still become ready; run apply again to pick it up",
            )
        events(Waiting(current_address.get(), what, status, elapsed))
        sleep(jittered(delay))
        delay = min(delay * timing.poll_factor, timing.poll_max)


class _Backoff(wait_base):
    def __init__(self, timing: Timing) -> None:
        self.timing = timing

    def __call__(self, retry_state: RetryCallState) -> float:
        delay = self.timing.poll_initial * self.timing.poll_factor ** (
            retry_state.attempt_number - 1
        )
        return jittered(min(delay, self.timing.poll_max))


def retry_while(
    action: Callable[[], object],
    *,
    codes: frozenset[str] | set[str],
    deadline: float,
    timing: Timing,
    events: EventSink,
    operation: str,
    matches: Callable[[BaseException], bool] | None = None,
) -> None:
    """Repeat `action` while it fails with one of `codes` (e.g. DependencyViolation while AWS
    releases network interfaces), for at most `deadline` seconds (and at least
    `timing.wait_min_attempts` tries, so a slow endpoint still gets a second look)."""

    def retryable(error: BaseException) -> bool:
        return error_code(error) in codes or (matches is not None and matches(error))

    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        code = error_code(error) if error else ""
        events(RetryingEvent(current_address.get(), operation, code, state.attempt_number, delay))

    retrying = Retrying(
        retry=retry_if_exception(retryable),
        wait=_Backoff(timing),
        stop=stop_after_delay(deadline) & stop_after_attempt(timing.wait_min_attempts),
        before_sleep=before_sleep,
        reraise=True,
    )
    for attempt in retrying:
        with attempt:
            action()
