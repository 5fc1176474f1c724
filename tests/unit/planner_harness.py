"""Turns a planner data case (YAML: stack, live, expectations) into inputs and checks.

Live resources are written compactly: `like_desired: true` builds their properties from the
desired ones (references resolved to the other live resources' ids), then `set` overrides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stackdeploy.config.loader import LoadOptions, load_stack
from stackdeploy.model.live import LiveResource, LiveState, Owner, Proof
from stackdeploy.model.refs import Ref, substitute
from stackdeploy.model.stack import Guards, Stack
from stackdeploy.plan.custody import Custody
from stackdeploy.plan.planner import PriorState, make_plan
from stackdeploy.plan.types import Plan

CASES = Path(__file__).parent / "plan_cases"


def load_case(path: Path, tmp_path: Path) -> dict[str, Any]:
    case: dict[str, Any] = yaml.safe_load(path.read_text())
    stack_file = tmp_path / "stack.yaml"
    stack_file.write_text(case["stack"])
    case["loaded"] = load_stack(stack_file, LoadOptions())
    return case


def live_state(case: dict[str, Any], stack: Stack) -> LiveState:
    entries: dict[str, dict[str, Any]] = case.get("live") or {}
    ids = {address: entry["id"] for address, entry in entries.items()}
    state = LiveState()
    for address, entry in entries.items():
        logical_id = entry.get("logical_id", address)
        properties: dict[str, Any] = {}
        if entry.get("like_desired"):
            declared = stack.resources[logical_id].properties

            def resolve(ref: Ref) -> Any:
                return ids.get(ref.target, f"missing-{ref.target}")

            properties = substitute(declared, resolve)
        properties.update(entry.get("set") or {})
        properties["id"] = entry["id"]
        resource = LiveResource(
            type=entry.get("type") or stack.resources[logical_id].type,
            physical_id=entry["id"],
            region=entry.get("region") or _declared_region(stack, logical_id),
            properties=properties,
            logical_id=logical_id,
            # How discovery would have proven it ours (model.live.Proof); recorded by default.
            proof=Proof[str(entry.get("proof", "recorded")).upper()],
            # The stack marks its tags carry, e.g. {"stackdeploy:expires": "2026-..."}.
            owner=Owner(marks=tuple(sorted((entry.get("marks") or {}).items()))),
        )
        if entry.get("duplicate"):
            state.duplicates.append(resource)
        else:
            state.resources[logical_id] = resource
    return state


def custody(case: dict[str, Any]) -> Custody:
    """The user's flags and which found resources hold data: `custody: {adopt, force_owned,
    holding_data: [physical ids]}`."""
    given = case.get("custody") or {}
    return Custody(
        adopt=given.get("adopt", False),
        force_owned=given.get("force_owned", False),
        holding_data=frozenset(given.get("holding_data", [])),
    )


def prior_state(case: dict[str, Any]) -> PriorState:
    """What the state recorded: `applied`, `dependencies`, and `guards` ({logical id:
    {prevent_destroy, retain_on_delete}} as of the last apply)."""
    return PriorState(
        applied=case.get("applied") or {},
        dependencies={k: tuple(v) for k, v in (case.get("dependencies") or {}).items()},
        guards={k: Guards(**v) for k, v in (case.get("guards") or {}).items()},
    )


def _declared_region(stack: Stack, logical_id: str) -> str:
    declared = stack.resources.get(logical_id)
    return declared.region if declared else stack.region


def plan_of_case(path: Path, tmp_path: Path, *, account: str = "") -> Plan:
    """The plan a data case makes (a case expecting errors raises them)."""
    case = load_case(path, tmp_path)
    stack = case["loaded"]
    if "expires" in case:  # the expiry apply gives the stack (see apply/engine.py)
        stack = stack.model_copy(update={"expires": case["expires"]})
    live = live_state(
        {**case, "live": {k: v for k, v in (case.get("live") or {}).items() if v}}, stack
    )
    return make_plan(
        stack,
        live,
        account=account,
        destroy=case.get("destroy", False),
        targets=case.get("targets") or (),
        prior=prior_state(case),
        custody=custody(case),
    )
