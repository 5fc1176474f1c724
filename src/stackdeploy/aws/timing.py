"""How long to retry and how often to poll. One object, injected; tests scale it down."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

_UNSCALED = frozenset({"poll_factor", "retry_min_attempts", "wait_min_attempts"})


@dataclass(frozen=True)
class Timing:
    retry_initial: float = 0.25  # first backoff after a throttle or 5xx
    retry_max: float = 10.0  # cap of a single backoff
    retry_deadline: float = 180.0  # give up on throttling/5xx after this long
    # ...but never before this many attempts: a slow endpoint must not turn two throttles in a
    # row into a failure just because the calls themselves ate the deadline.
    retry_min_attempts: int = 8
    wait_min_attempts: int = 4  # the same floor for retry_while (dependency/visibility waits)
    consistency_deadline: float = 120.0  # IAM roles and profiles: up to ~2 min to propagate
    # An EC2 resource created moments ago but not yet visible to another API: seconds on AWS.
    # Short, so a typo'd literal id fails fast instead of retrying for minutes.
    visibility_deadline: float = 20.0
    dependency_deadline: float = 600.0  # DependencyViolation while AWS releases ENIs
    poll_initial: float = 1.0  # first wait between polls of a pending resource
    poll_factor: float = 1.5
    poll_max: float = 10.0  # so a NAT gateway ready at 90 s is seen within 10 s
    poll_timeout: float = 1800.0

    def scaled(self, factor: float) -> Timing:
        """Every duration multiplied by factor (tests run the same code at a faster clock)."""
        changes = {
            f.name: getattr(self, f.name) * factor for f in fields(self) if f.name not in _UNSCALED
        }
        return replace(self, **changes)


DEFAULT_TIMING = Timing()
