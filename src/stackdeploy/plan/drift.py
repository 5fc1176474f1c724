"""Drift: what changed in AWS outside stackdeploy since the last apply, property by property.

The baseline of a resource is what its last apply recorded in the state (`applied`); for one
the state knows no apply of (found by its tags after a lost state, adopted, imported), it is
what the stack file declares, references resolved from what AWS holds, and the report says
so, since a file edit not yet applied then looks like drift. A resource the state records
that AWS no longer has was deleted outside. Properties under lifecycle.ignore_changes are
never drift. Pure: the refresh is done by the caller (apply/drift.py).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stackdeploy.model.live import LiveResource, LiveState
from stackdeploy.model.refs import substitute
from stackdeploy.model.stack import Stack
from stackdeploy.model.values import contains_unknown
from stackdeploy.plan.diff import diff_properties, stable_text
from stackdeploy.plan.guards import ignoring, without_ignored
from stackdeploy.plan.names import keep_generated_name
from stackdeploy.plan.planner import resolver
from stackdeploy.specs.iam.policy import canonical_policies
from stackdeploy.specs.registry import RESOURCE_TYPES


class Baseline(enum.Enum):
    """What the live resource is compared with."""

    APPLIED = "last_apply"  # the properties its last apply recorded in the state
    DECLARED = "stack_file"  # the state records no apply: what the stack file declares


@dataclass(frozen=True)
class Recorded:
    """What the state record says about one resource."""

    type: str
    region: str
    physical_id: str
    applied: dict[str, Any] | None = None


@dataclass(frozen=True)
class PropertyDrift:
    path: str  # dotted inside mappings: tags.team
    expected: Any  # recorded (or declared) value
    live: Any  # what AWS holds now


@dataclass(frozen=True)
class ResourceDrift:
    address: str
    type: str
    region: str
    physical_id: str
    baseline: Baseline
    deleted: bool = False  # recorded, but AWS no longer has it
    changes: tuple[PropertyDrift, ...] = ()


@dataclass(frozen=True)
class Drift:
    stack: str
    region: str
    account: str
    resources: tuple[ResourceDrift, ...]  # only those that drifted, by address
    compared: int  # how many resources were compared

    @property
    def has_drift(self) -> bool:
        return bool(self.resources)


def find_drift(
    stack: Stack,
    live: LiveState,
    recorded: Mapping[str, Recorded],
    *,
    account: str = "",
    lookups: Mapping[str, Any] | None = None,
    derived: Mapping[str, Mapping[str, Any]] | None = None,
) -> Drift:
    """Every recorded or declared resource compared with what AWS holds."""
    lookups, derived = lookups or {}, derived or {}
    drifted: list[ResourceDrift] = []
    compared = 0
    for address in sorted(set(recorded) | set(stack.resources)):
        record = recorded.get(address)
        found = live.resources.get(address)
        if record is not None and (found is None or found.physical_id != record.physical_id):
            drifted.append(_deleted(address, record))
            compared += 1
            continue
        if found is None:
            continue  # declared, never made: nothing to compare
        if record is not None and record.applied is not None:
            baseline, expected = Baseline.APPLIED, record.applied
        elif address in stack.resources:
            baseline = Baseline.DECLARED
            expected = _declared(stack, address, found, live, lookups, derived)
        else:
            continue  # neither applied nor declared: no baseline
        compared += 1
        changes = _changes(stack, address, found, expected)
        if changes:
            drifted.append(
                ResourceDrift(
                    address,
                    found.type,
                    found.region,
                    found.physical_id,
                    baseline,
                    changes=tuple(changes),
                )
            )
    return Drift(stack.name, stack.region, account, tuple(drifted), compared)


def _deleted(address: str, record: Recorded) -> ResourceDrift:
    return ResourceDrift(
        address, record.type, record.region, record.physical_id, Baseline.APPLIED, deleted=True
    )


def _declared(
    stack: Stack,
    address: str,
    found: LiveResource,
    live: LiveState,
    lookups: Mapping[str, Any],
    derived: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """What the file declares, references resolved from what AWS holds now."""
    resource = stack.resources[address]
    held = {logical_id: found.properties for logical_id, found in live.resources.items()}
    resolve = resolver(held, derived, lookups, resource.region)
    desired: dict[str, Any] = canonical_policies(substitute(resource.properties, resolve))
    return keep_generated_name(RESOURCE_TYPES[resource.type], resource, desired, found)


def _changes(
    stack: Stack, address: str, found: LiveResource, expected: dict[str, Any]
) -> list[PropertyDrift]:
    rtype = RESOURCE_TYPES[found.type]
    declared = stack.resources.get(address)
    ignored = declared.lifecycle.ignore_changes if declared is not None else ()
    expected = ignoring(rtype, expected, found.properties, ignored)
    differences = without_ignored(diff_properties(rtype, expected, found.properties), ignored)
    drifts: list[PropertyDrift] = []
    for difference in differences:
        if contains_unknown(difference.after):
            continue  # names something AWS does not hold: nothing to compare with
        drifts.extend(_split(difference.path, difference.after, difference.before))
    return drifts


def _split(path: str, expected: Any, live: Any) -> list[PropertyDrift]:
    """A mapping (tags) key by key; anything else whole."""
    if not (isinstance(expected, dict) and isinstance(live, dict)):
        return [PropertyDrift(path, expected, live)]
    missing = object()
    found = []
    for key in sorted(set(expected) | set(live)):
        want, have = expected.get(key, missing), live.get(key, missing)
        if want is missing or have is missing:
            found.append(
                PropertyDrift(
                    f"{path}.{key}",
                    None if want is missing else want,
                    None if have is missing else have,
                )
            )
        elif stable_text(want) != stable_text(have):
            found.extend(_split(f"{path}.{key}", want, have))
    return found
