"""The saved-plan file (`plan -o`): everything needed to rebuild a Plan exactly. The public
JSON (`plan --json`) is report/plan_json.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stackdeploy.model.values import UNKNOWN, Unknown
from stackdeploy.plan.types import (
    Action,
    LeftAlone,
    Plan,
    PropertyChange,
    Reason,
    ResourceChange,
    StackInput,
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


def _key_orders(value: Any, orders: list[list[str]]) -> list[list[str]]:
    """Every mapping's keys in their order, depth first: the file is written with sorted keys,
    and the plan shows properties in the order the stack's types declare them."""
    if isinstance(value, dict):
        orders.append(list(value))
        for item in value.values():
            _key_orders(item, orders)
    elif isinstance(value, list | tuple):
        for item in value:
            _key_orders(item, orders)
    return orders


class _OrderMismatch(Exception):
    pass


def _reordered(value: Any, orders: Iterator[list[str]]) -> Any:
    if isinstance(value, dict):
        keys = next(orders, None)
        if keys is None or sorted(keys) != sorted(value):
            raise _OrderMismatch
        return {key: _reordered(value[key], orders) for key in keys}
    if isinstance(value, list):
        return [_reordered(item, orders) for item in value]
    return value


def _with_key_order(value: Any, orders: list[list[str]] | None) -> Any:
    """`value` with its mappings' keys in the saved order (as read when there is none, or it
    does not fit: a plan saved before the order was kept)."""
    if orders is None:
        return value
    try:
        return _reordered(value, iter(orders))
    except _OrderMismatch:
        return value


def _property_changes(change: ResourceChange) -> list[list[Any]]:
    return [[pc.path, pc.before, pc.after, pc.forces_replacement, pc.note] for pc in change.changes]


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
                    "changes": _property_changes(c),
                    "key_order": _key_orders([c.before, c.after, _property_changes(c)], []),
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


def _change_from_file(c: dict[str, Any]) -> ResourceChange:
    before, after, changes = _with_key_order(
        [c["before"], c["after"], c["changes"]], c.get("key_order")
    )
    return ResourceChange(
        address=c["address"],
        type=c["type"],
        region=c["region"],
        action=Action(c["action"]),
        reasons=tuple(Reason[r] for r in c["reasons"]),
        physical_id=c["physical_id"],
        before=before,
        after=after,
        changes=tuple(PropertyChange(*pc) for pc in changes),
        replace_strategy=ReplaceStrategy(c["replace_strategy"]) if c["replace_strategy"] else None,
        depends_on=tuple(c["depends_on"]),
        notes=tuple(c["notes"]),
        retag=bool(c.get("retag", False)),
        keeps=c.get("keeps"),
        unprotect=bool(c.get("unprotect", False)),
    )


def plan_from_file(data: dict[str, Any]) -> Plan:
    data = _decode(data)
    changes = tuple(_change_from_file(c) for c in data["changes"])
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
