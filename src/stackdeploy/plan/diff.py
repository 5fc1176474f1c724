"""The generic differ: desired vs live properties, driven by the type's declarations."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from stackdeploy.model.values import UNKNOWN, contains_unknown
from stackdeploy.plan.types import PropertyChange
from stackdeploy.specs.base import ResourceType, digest_of


def stable_text(value: Any) -> str:
    """A canonical text of a value, for comparing and sorting (UNKNOWN has a fixed text)."""
    return json.dumps(value, sort_keys=True, default=repr)


def values_equal(desired: Any, live: Any, *, unordered: bool = False) -> bool:
    if contains_unknown(desired):
        return False
    if unordered and isinstance(desired, list) and isinstance(live, list):
        return Counter(stable_text(v) for v in desired) == Counter(stable_text(v) for v in live)
    return stable_text(desired) == stable_text(live)


def diff_properties(
    rtype: ResourceType, desired: dict[str, Any], live: dict[str, Any]
) -> list[PropertyChange]:
    """Property-level changes needed to turn live into desired.

    A desired value of None means "not managed" (AWS chooses), so it is never a change.
    Write-only properties cannot be read back and are not compared here.
    """
    changes = []
    for name in sorted(desired):
        want = desired[name]
        if want is None or name in rtype.write_only:
            continue
        have = live.get(name)
        if name in rtype.digest_properties and isinstance(want, str):
            if digest_of(want) == have:
                continue
        elif values_equal(want, have, unordered=name in rtype.unordered):
            continue
        forces = name in rtype.create_only or _replaces(rtype, name, have, want)
        note = rtype.replace_notes.get(name) if forces else rtype.update_notes.get(name)
        changes.append(PropertyChange(name, have, want, forces, note))
    return changes


def _replaces(rtype: ResourceType, name: str, before: Any, after: Any) -> bool:
    """A change that replaces only in one direction (see ResourceType.replace_when)."""
    rule = rtype.replace_when.get(name)
    return rule is not None and before is not None and rule(before, after)


def after_attributes(
    rtype: ResourceType, resolved: dict[str, Any], live: dict[str, Any] | None, *, recreated: bool
) -> dict[str, Any]:
    """The attributes dependents will see once this resource is applied.

    A resource that is created or replaced gets new AWS-assigned attributes, unknown until
    apply; properties left to AWS (None) are unknown too. An updated resource keeps its
    attributes and takes the desired property values.
    """
    if recreated or live is None:
        unknown = dict.fromkeys(rtype.attributes, UNKNOWN)
        return {**unknown, **{k: (UNKNOWN if v is None else v) for k, v in resolved.items()}}
    return {**live, **{k: v for k, v in resolved.items() if v is not None}}
