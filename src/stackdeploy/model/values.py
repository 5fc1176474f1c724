"""Values that are not known until apply time."""

from __future__ import annotations

from typing import Any


class Unknown:
    """A value AWS will assign during apply, e.g. the id of a VPC that does not exist yet.

    A single instance, UNKNOWN, is used everywhere so identity checks are cheap.
    """

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "(known after apply)"

    def __reduce__(self) -> tuple[type[Unknown], tuple[()]]:
        return (Unknown, ())


UNKNOWN = Unknown()


def contains_unknown(value: Any) -> bool:
    """Whether a (possibly nested) value holds an unknown anywhere."""
    if value is UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False
