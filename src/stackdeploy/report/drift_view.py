"""`deploy drift` as text and as JSON."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from stackdeploy.plan.diff import stable_text
from stackdeploy.plan.drift import Baseline, Drift, PropertyDrift, ResourceDrift
from stackdeploy.report.plan_view import Line
from stackdeploy.report.values import show

DRIFT_FORMAT_VERSION = "1"
_BASELINE = {Baseline.APPLIED: "last apply", Baseline.DECLARED: "stack file"}


def drift_lines(drift: Drift, source: str) -> Iterator[Line]:
    where = f"stack {drift.stack} ({drift.region}, account {drift.account})"
    if not drift.has_drift:
        yield [
            ("No drift. ", "bold green"),
            (f"AWS matches what the last apply of {where} recorded ", ""),
            (f"({drift.compared} resources compared).", "dim"),
        ]
        return
    count = len(drift.resources)
    yield [
        (f"Drift in {where}: ", "bold"),
        (f"{count} of {drift.compared} resources changed outside stackdeploy.", ""),
    ]
    for resource in drift.resources:
        yield []
        yield from _resource_lines(resource, drift.region)
    yield []
    yield [
        (f"deploy plan {source}", "bold"),
        (" shows what an apply changes back; ", ""),
        (f"deploy apply {source}", "bold"),
        (" restores it.", ""),
    ]


def _resource_lines(resource: ResourceDrift, stack_region: str) -> Iterator[Line]:
    where = f", {resource.region}" if resource.region != stack_region else ""
    header: Line = [
        ("  - " if resource.deleted else "  ~ ", "bold red" if resource.deleted else "bold yellow"),
        (resource.address, "bold"),
        (f" ({resource.type}{where}) [{resource.physical_id}]", "dim"),
    ]
    if resource.deleted:
        yield [*header, (" deleted outside stackdeploy (recorded, no longer in AWS)", "red")]
        return
    compared = _BASELINE[resource.baseline]
    note = (
        " (the state records no apply of it: an edit of the file not yet applied looks alike)"
        if resource.baseline is Baseline.DECLARED
        else ""
    )
    yield [*header, (f" changed outside stackdeploy; {compared} → AWS{note}", "")]
    for change in resource.changes:
        yield from _change_lines(change)


def _change_lines(change: PropertyDrift) -> Iterator[Line]:
    expected, live = change.expected, change.live
    if isinstance(expected, list) and isinstance(live, list):
        yield [(f"      ~ {change.path}:", "yellow")]
        want, have = Counter(map(stable_text, expected)), Counter(map(stable_text, live))
        for item in expected:
            if want[stable_text(item)] > have.get(stable_text(item), 0):
                want[stable_text(item)] -= 1
                yield [
                    (f"          - {show(item)}", "red"),
                    ("   # recorded, gone from AWS", "dim"),
                ]
        want = Counter(map(stable_text, expected))
        for item in live:
            if have[stable_text(item)] > want.get(stable_text(item), 0):
                have[stable_text(item)] -= 1
                yield [(f"          + {show(item)}", "green"), ("   # added outside", "dim")]
        return
    yield [(f"      ~ {change.path} = {_shown(expected)} → {_shown(live)}", "yellow")]


def _shown(value: Any) -> str:
    return "(none)" if value is None else show(value)


def drift_to_public(drift: Drift) -> dict[str, Any]:
    """The `deploy drift --json` document: stable keys, sorted addresses, no timestamps."""
    return {
        "format_version": DRIFT_FORMAT_VERSION,
        "stack": drift.stack,
        "region": drift.region,
        "account": drift.account,
        "has_drift": drift.has_drift,
        "compared": drift.compared,
        "resources": [
            {
                "address": resource.address,
                "type": resource.type,
                "region": resource.region,
                "physical_id": resource.physical_id,
                "status": "deleted" if resource.deleted else "changed",
                "baseline": resource.baseline.value,
                "changes": [
                    {"path": c.path, "expected": c.expected, "live": c.live}
                    for c in resource.changes
                ],
            }
            for resource in drift.resources
        ],
    }


def dumps_drift(drift: Drift) -> str:
    return json.dumps(drift_to_public(drift), indent=2, sort_keys=True) + "\n"
