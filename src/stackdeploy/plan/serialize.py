"""The saved-plan file (`plan -o`): everything needed to rebuild a Plan exactly. The public
JSON (`plan --json`) is report/plan_json.py."""

from __future__ import annotations

from typing import Any

from stackdeploy.model.values import UNKNOWN, Unknown
from stackdeploy.plan.types import (
    Action,
    LeftAlone,
    Plan,
    PropertyChange,
    Reason,
    ResourceChange,
)
from stackdeploy.specs.base import ReplaceStrategy

_UNKNOWN_MARK = {"$unknown": True}


def _left_alone_to_json(entry: LeftAlone) -> dict[str, str]:
    return {
        "address": entry.address,
        "type": entry.type,
        "region": entry.region,
        "physical_id": entry.physical_id,
        "reason": entry.reason,
    }


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
    )
