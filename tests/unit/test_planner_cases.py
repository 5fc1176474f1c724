"""Planner data cases: desired + live in, actions and reasons out. No AWS involved."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackdeploy.errors import ConfigErrors
from stackdeploy.model.values import contains_unknown
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.steps import build_steps
from tests.unit.planner_harness import CASES, custody, live_state, load_case, prior_state

CASE_FILES = sorted(CASES.glob("*.yaml"))


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_plan_case(path: Path, tmp_path: Path) -> None:
    case = load_case(path, tmp_path)
    stack = case["loaded"]
    if "expires" in case:  # the expiry apply gives the stack (see apply/engine.py)
        stack = stack.model_copy(update={"expires": case["expires"]})
    live = live_state(
        {**case, "live": {k: v for k, v in (case.get("live") or {}).items() if v}}, stack
    )
    arguments = {
        "destroy": case.get("destroy", False),
        "targets": case.get("targets") or (),
        "prior": prior_state(case),
        "custody": custody(case),
    }
    if "errors" in case:  # the plan stops before anything is changed
        with pytest.raises(ConfigErrors) as raised:
            make_plan(stack, live, **arguments)
        messages = [f"{e.address}: {e.message} ({e.hint})" for e in raised.value.errors]
        assert len(messages) == len(case["errors"]), messages
        for message, expected in zip(messages, case["errors"], strict=True):
            assert expected in message
        # Where each error points (file:line (field)), when the case says.
        where = [str(e.location) for e in raised.value.errors]
        for location, expected in zip(where, case.get("error_locations") or [], strict=False):
            assert location.endswith(expected), (location, expected)
        return
    plan = make_plan(stack, live, **arguments)
    by_address = {change.address: change for change in plan.changes}
    for address, expected in case["expect"].items():
        assert address in by_address, f"{address} missing from plan"
        change = by_address[address]
        assert change.action.value == expected["action"], address
        if "reasons" in expected:
            assert [r.name.lower() for r in change.reasons] == expected["reasons"], address
        if "replace_paths" in expected:
            assert change.replace_paths() == expected["replace_paths"], address
        if "after_unknown" in expected:
            unknown = sorted(k for k, v in (change.after or {}).items() if contains_unknown(v))
            assert unknown == expected["after_unknown"], address
        for key, value in (expected.get("after") or {}).items():
            assert (change.after or {}).get(key) == value, (address, key)
        assert change.retag is expected.get("retag", False), address
        if "unprotect" in expected:
            assert change.unprotect is expected["unprotect"], address
        if "keeps" in expected:
            assert change.keeps == expected["keeps"], address
            assert not expected["keeps"] or any(expected["keeps"] in n for n in change.notes)
    for address in case.get("absent", []):
        assert address not in by_address
    for address, paths in (case.get("changed_paths") or {}).items():
        assert [c.path for c in by_address[address].changes] == paths
    left = {entry.address: entry for entry in plan.left_alone}
    assert sorted(left) == sorted(case.get("left_alone") or {}), "left alone"
    for address, expected in (case.get("left_alone") or {}).items():
        assert expected["because"] in left[address].reason, address
    if "has_changes" in case:
        assert plan.has_changes() is case["has_changes"]
    for first, then in case.get("deletion_edges") or []:
        assert (first, then) in plan.deletion_edges, (first, then)
    for first, then in case.get("no_deletion_edges") or []:
        assert (first, then) not in plan.deletion_edges, (first, then)
    build_steps(plan)  # the executor's step DAG: no cycle
    if "outputs" in case:
        known = {k: v for k, v in plan.outputs.items() if not contains_unknown(v)}
        assert known == case["outputs"]
    for name in case.get("outputs_unknown", []):
        assert contains_unknown(plan.outputs[name])


def test_every_case_states_its_purpose() -> None:
    import yaml

    for path in CASE_FILES:
        assert yaml.safe_load(path.read_text()).get("description"), path.name


def test_every_reason_label_has_a_case() -> None:
    """Each reason a plan can give is shown true by at least one data case."""
    import yaml

    from stackdeploy.plan.types import Reason

    shown = {
        reason
        for path in CASE_FILES
        for expected in (yaml.safe_load(path.read_text()).get("expect") or {}).values()
        for reason in expected.get("reasons", [])
    }
    assert {reason.name.lower() for reason in Reason} - shown == set()
