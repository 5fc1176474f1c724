"""Plans as JSON: a deterministic public format (`plan --json`) and the saved-plan file."""

from __future__ import annotations

import json
from typing import Any

from stackdeploy.model.values import UNKNOWN, Unknown, contains_unknown
from stackdeploy.plan.types import (
    Action,
    LeftAlone,
    Plan,
    PropertyChange,
    Reason,
    ResourceChange,
    StackInput,
)
from stackdeploy.pricing.estimate import estimate_plan
from stackdeploy.pricing.public import plan_cost_to_public
from stackdeploy.specs.base import ReplaceStrategy

PUBLIC_FORMAT_VERSION = "1"
_UNKNOWN_MARK = {"$unknown": True}


def _public_value(value: Any) -> Any:
    """UNKNOWN becomes null in public JSON; `after_unknown` lists where."""
    if value is UNKNOWN:
        return None
    if isinstance(value, dict):
        return {k: _public_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_public_value(v) for v in value]
    return value


def _unknown_paths(value: dict[str, Any] | None) -> list[str]:
    return sorted(k for k, v in (value or {}).items() if contains_unknown(v))


def plan_to_public(plan: Plan) -> dict[str, Any]:
    """The `deploy plan --json` document: stable keys, sorted addresses, no timestamps."""
    return {
        "format_version": PUBLIC_FORMAT_VERSION,
        "stack": plan.stack,
        "region": plan.region,
        "account": plan.account,
        "destroy": plan.destroy,
        "has_changes": plan.has_changes(),
        "summary": plan.summary(),
        "resource_changes": [
            {
                "address": change.address,
                "type": change.type,
                "region": change.region,
                "action": change.action.value,
                "reasons": [reason.name.lower() for reason in change.reasons],
                "physical_id": change.physical_id,
                "replace_paths": change.replace_paths(),
                "changes": [
                    {
                        "path": pc.path,
                        "before": _public_value(pc.before),
                        "after": _public_value(pc.after),
                        "after_unknown": contains_unknown(pc.after),
                        "forces_replacement": pc.forces_replacement,
                        "note": pc.note,
                    }
                    for pc in change.changes
                ],
                "before": _public_value(change.before),
                "after": _public_value(change.after),
                "after_unknown": _unknown_paths(change.after),
                "notes": list(change.notes),
                "retag": change.retag,
                "keeps": change.keeps,
                "unprotect": change.unprotect,
            }
            for change in plan.changes
        ],
        "outputs": {
            name: {"value": _public_value(value), "unknown": contains_unknown(value)}
            for name, value in sorted(plan.outputs.items())
        },
        "warnings": list(plan.warnings),
        "inputs": [_input(read) for read in plan.inputs],
        "left_alone": [_left_alone_to_json(entry) for entry in plan.left_alone],
        "cost": plan_cost_to_public(estimate_plan(plan)),
        "expires": plan.expires,
        "lifecycle": plan.lifecycle,
    }


def _left_alone_to_json(entry: LeftAlone) -> dict[str, str]:
    return {
        "address": entry.address,
        "type": entry.type,
        "region": entry.region,
        "physical_id": entry.physical_id,
        "reason": entry.reason,
    }


def dumps_public(plan: Plan) -> str:
    return json.dumps(plan_to_public(plan), indent=2, sort_keys=True) + "\n"


def _encode(value: Any) -> Any:
    if isinstance(value, Unknown):
        return dict(_UNKNOWN_MARK)
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if value == _UNKNOWN_MARK:
        return UNKNOWN
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def plan_to_file(plan: Plan) -> dict[str, Any]:
    """Everything needed to rebuild the Plan exactly (for `apply PLANFILE`)."""
    encoded: dict[str, Any] = _encode(
        {
            "stack": plan.stack,
            "region": plan.region,
            "account": plan.account,
            "destroy": plan.destroy,
            "live_digest": plan.live_digest,
            "lookups": plan.lookups,
            "warnings": list(plan.warnings),
            "deletion_edges": [list(edge) for edge in plan.deletion_edges],
            "outputs": plan.outputs,
            "left_alone": [_left_alone_to_json(entry) for entry in plan.left_alone],
            "source": plan.source,
            "derived": plan.derived,
            "expires": plan.expires,
            "lifecycle": plan.lifecycle,
            "targets": list(plan.targets),
            "inputs": [_input(read) for read in plan.inputs],
            "changes": [
                {
                    "address": c.address,
                    "type": c.type,
                    "region": c.region,
                    "action": c.action.value,
                    "reasons": [r.name for r in c.reasons],
                    "physical_id": c.physical_id,
                    "before": c.before,
                    "after": c.after,
                    "changes": [
                        [pc.path, pc.before, pc.after, pc.forces_replacement, pc.note]
                        for pc in c.changes
                    ],
                    "replace_strategy": c.replace_strategy.value if c.replace_strategy else None,
                    "depends_on": list(c.depends_on),
                    "notes": list(c.notes),
                    "retag": c.retag,
                    "keeps": c.keeps,
                    "unprotect": c.unprotect,
                }
                for c in plan.changes
            ],
        }
    )
    return encoded


def plan_from_file(data: dict[str, Any]) -> Plan:
    data = _decode(data)
    changes = tuple(
        ResourceChange(
            address=c["address"],
            type=c["type"],
            region=c["region"],
            action=Action(c["action"]),
            reasons=tuple(Reason[r] for r in c["reasons"]),
            physical_id=c["physical_id"],
            before=c["before"],
            after=c["after"],
            changes=tuple(PropertyChange(*pc) for pc in c["changes"]),
            replace_strategy=ReplaceStrategy(c["replace_strategy"])
            if c["replace_strategy"]
            else None,
            depends_on=tuple(c["depends_on"]),
            notes=tuple(c["notes"]),
            retag=bool(c.get("retag", False)),
            keeps=c.get("keeps"),
            unprotect=bool(c.get("unprotect", False)),
        )
        for c in data["changes"]
    )
    return Plan(
        stack=data["stack"],
        region=data["region"],
        account=data["account"],
        destroy=data["destroy"],
        changes=changes,
        outputs=data["outputs"],
        deletion_edges=tuple((a, b) for a, b in data["deletion_edges"]),
        live_digest=data["live_digest"],
        lookups=data.get("lookups", {}),
        warnings=tuple(data["warnings"]),
        left_alone=tuple(LeftAlone(**entry) for entry in data.get("left_alone", [])),
        source=str(data.get("source", "")),
        derived=data.get("derived", {}),
        expires=data.get("expires"),
        lifecycle=str(data.get("lifecycle", "durable")),
        targets=tuple(data.get("targets", [])),
        inputs=tuple(StackInput(**read) for read in data.get("inputs", [])),
    )


def _input(read: StackInput) -> dict[str, str]:
    return {"stack": read.stack, "output": read.output, "where": read.where}
