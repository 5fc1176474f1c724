"""`lifecycle:` and `expires_after:` at the top of a stack file: what the stack is for.

`lifecycle: exercise` declares throwaway semantics once, for a class or a lab: no final
database snapshots, buckets emptied on destroy, KMS keys deleted after the 7-day minimum, no
termination or deletion protection (each type declares its settings in
ResourceType.exercise_settings). `durable`, the default, keeps today's safety.

`expires_after:` is a duration (`30m`, `4h`, `2d`, `1w`: the stack expires that long after
its first apply; a later `apply --expires-in` extends it) or an ISO date or time (`2026-12-20`
is the end of that day, UTC). Every resource then carries `stackdeploy:expires`, and
`deploy sweep` destroys what has expired. Pure: "now" is supplied by apply.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from stackdeploy.specs.base import ResourceType

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$")
_UNIT_SECONDS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_SECONDS = 366 * 86400  # an exercise that lives longer than a year is a mistake


def parse_duration(text: str) -> int | None:
    """Seconds in `4h`-style text, or None when it is no duration."""
    match = _DURATION.match(text)
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def iso_utc(moment: datetime) -> str:
    """The form the expiry tag takes: 2026-12-03T22:00:00Z."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_expiry(value: Any) -> tuple[str | None, int | None]:
    """(absolute expiry, relative seconds) from `expires_after`; raises ValueError."""
    if isinstance(value, date | datetime):  # YAML reads an unquoted date itself
        value = value.isoformat()
    text = str(value).strip()
    seconds = parse_duration(text)
    if seconds is not None:
        if not 0 < seconds <= MAX_SECONDS:
            raise ValueError(f"expires_after must be between 1 minute and a year, not {text}")
        return None, seconds
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"expires_after '{text}' is neither a duration (30m, 4h, 2d, 1w) nor an ISO date "
            "or time (2026-12-20, 2026-12-20T18:00:00Z)"
        ) from None
    if len(text) == 10:  # a date alone: the end of that day
        moment = datetime.combine(moment.date(), time.max, UTC)
    elif moment.tzinfo is None:
        raise ValueError(f"expires_after '{text}' has no time zone: add Z for UTC")
    return iso_utc(moment), None


def expiry_at(now: datetime, seconds: int) -> str:
    return iso_utc(now + timedelta(seconds=seconds))


def exercise_properties(
    rtype: ResourceType, raw: dict[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The properties with the exercise settings filled in, and (property, problem) for each
    one the file sets otherwise."""
    conflicts = [
        (name, f"{name}: {raw[name]!r} contradicts lifecycle: exercise, which sets {value!r}")
        for name, value in rtype.exercise_settings.items()
        if name in raw and raw[name] != value
    ]
    return {**rtype.exercise_settings, **raw}, conflicts
