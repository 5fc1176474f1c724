"""How property values read in a plan."""

from __future__ import annotations

import json
from typing import Any

from stackdeploy.model.values import UNKNOWN

KNOWN_AFTER_APPLY = "(known after apply)"


def show(value: Any) -> str:
    """A compact, unambiguous text of a value: strings quoted, unknowns spelled out."""
    if value is UNKNOWN:
        return KNOWN_AFTER_APPLY
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {show(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)
