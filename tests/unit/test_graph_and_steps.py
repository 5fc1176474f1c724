"""The walker's scheduling and the step DAG's ordering of replacements and deletions."""

from __future__ import annotations

import threading
import time

import networkx as nx
import pytest

from stackdeploy.errors import DeployError
from stackdeploy.graph.walk import Outcome, walk
from stackdeploy.plan.steps import build_steps, critical_path_priority
from stackdeploy.plan.types import Action, Plan, Reason, ResourceChange
from stackdeploy.specs.base import ReplaceStrategy


def chain(*edges: tuple[str, str]) -> nx.DiGraph[str]:
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_edges_from(edges)
    return graph


def test_failure_skips_only_descendants() -> None:
    graph = chain(("a", "b"), ("b", "c"), ("x", "y"))
    visited: list[str] = []

    def visit(node: str) -> None:
        if node == "b":
            raise RuntimeError("boom")
        visited.append(node)

    result = walk(graph, visit, parallelism=2)
    assert result.outcomes == {
        "a": Outcome.DONE,
        "b": Outcome.FAILED,
        "c": Outcome.SKIPPED,
        "x": Outcome.DONE,
        "y": Outcome.DONE,
    }
    assert "c" not in visited
    assert str(result.errors["b"]) == "boom"


def test_nodes_start_when_their_own_dependencies_finish_not_by_level() -> None:
    """`fast2` depends only on `fast1`; it must not wait for the slow node at its level."""
    graph = chain(("fast1", "fast2"), ("root", "slow"), ("root", "fast1"))
    finished: dict[str, float] = {}
    start = time.monotonic()

    def visit(node: str) -> None:
        time.sleep(0.3 if node == "slow" else 0.01)
        finished[node] = time.monotonic() - start

    walk(graph, visit, parallelism=4)
    assert finished["fast2"] < finished["slow"]


def test_long_poles_start_first_under_a_concurrency_cap() -> None:
    graph = chain(("nat", "route"))
    graph.add_nodes_from(["a", "b", "c"])
    order: list[str] = []
    lock = threading.Lock()

    def visit(node: str) -> None:
        with lock:
            order.append(node)

    priority = {"nat": 100.0, "route": 1.0, "a": 1.0, "b": 1.0, "c": 1.0}
    walk(graph, visit, parallelism=1, priority=priority)
    assert order[0] == "nat"


def change(address: str, action: Action, **kwargs: object) -> ResourceChange:
    return ResourceChange(
        address=address,
        type=str(kwargs.pop("type", "aws.ec2.subnet")),
        region="us-west-2",
        action=action,
        reasons=(Reason.CHANGED,),
        **kwargs,  # type: ignore[arg-type]
    )


def plan_of(*changes: ResourceChange, edges: tuple[tuple[str, str], ...] = ()) -> Plan:
    return Plan("s", "us-west-2", "1", False, tuple(changes), deletion_edges=edges)


def test_delete_then_create_replacement_orders_dependents() -> None:
    plan = plan_of(
        change("subnet", Action.REPLACE, replace_strategy=ReplaceStrategy.DELETE_THEN_CREATE),
        change(
            "nat",
            Action.REPLACE,
            type="aws.ec2.nat_gateway",
            depends_on=("subnet",),
            replace_strategy=ReplaceStrategy.DELETE_THEN_CREATE,
        ),
        edges=(("nat", "subnet"),),
    )
    order = list(nx.topological_sort(build_steps(plan)))
    assert order.index("delete:nat") < order.index("delete:subnet") < order.index("create:subnet")
    assert order.index("create:subnet") < order.index("create:nat")


def test_create_then_delete_repoints_dependents_before_deleting_the_old() -> None:
    plan = plan_of(
        change(
            "eip",
            Action.REPLACE,
            type="aws.ec2.eip",
            replace_strategy=ReplaceStrategy.CREATE_THEN_DELETE,
        ),
        change("rt", Action.UPDATE, type="aws.ec2.route_table", depends_on=("eip",)),
    )
    order = list(nx.topological_sort(build_steps(plan)))
    assert order.index("create:eip") < order.index("update:rt") < order.index("delete:eip")


def test_a_cycle_of_deletes_is_not_blamed_on_a_replacement() -> None:
    """Issue 7, item 3: a destroy plans no replacement, so the hint must not speak of one."""
    plan = plan_of(
        change("asg", Action.DELETE, type="aws.autoscaling.group"),
        change("lt", Action.DELETE, type="aws.ec2.launch_template"),
        edges=(("asg", "lt"), ("lt", "asg")),
    )
    with pytest.raises(DeployError) as raised:
        build_steps(plan)
    assert "the plan's steps form a cycle" in raised.value.message
    assert "replace" not in (raised.value.hint or "")
    assert "delete one of them by hand" in (raised.value.hint or "")


def test_a_cycle_through_a_replacement_says_to_split_it_over_two_runs() -> None:
    plan = plan_of(
        change("subnet", Action.REPLACE, replace_strategy=ReplaceStrategy.DELETE_THEN_CREATE),
        change("nat", Action.DELETE, type="aws.ec2.nat_gateway"),
        edges=(("nat", "subnet"), ("subnet", "nat")),
    )
    with pytest.raises(DeployError) as raised:
        build_steps(plan)
    assert "apply it in two runs" in (raised.value.hint or "")


def test_critical_path_priority_sums_durations() -> None:
    plan = plan_of(
        change("eip", Action.CREATE, type="aws.ec2.eip"),
        change("nat", Action.CREATE, type="aws.ec2.nat_gateway", depends_on=("eip",)),
        change("other", Action.CREATE, type="aws.ec2.eip"),
    )
    priority = critical_path_priority(build_steps(plan))
    assert priority["create:eip"] > priority["create:other"]
    assert priority["create:eip"] == pytest.approx(2.0 + 100.0)


def test_public_nat_gateway_is_created_after_the_internet_gateway(tmp_path: object) -> None:
    """No reference links them, but AWS fails a public NAT gateway without an attached IGW."""
    from pathlib import Path

    from stackdeploy.config.loader import load_stack
    from stackdeploy.model.live import LiveState
    from stackdeploy.plan.planner import make_plan

    stack = load_stack(Path(__file__).parents[2] / "stacks" / "vpc-public-private.yaml")
    plan = make_plan(stack, LiveState())
    assert "internet_gateway" in plan.change("nat_gateway").depends_on
    order = list(nx.topological_sort(build_steps(plan)))
    assert order.index("create:internet_gateway") < order.index("create:nat_gateway")


def test_cancel_lets_running_nodes_finish_and_starts_nothing_new() -> None:
    graph = chain(("a", "b"))
    cancel = threading.Event()
    visited: list[str] = []

    def visit(node: str) -> None:
        visited.append(node)
        cancel.set()  # Ctrl-C while "a" runs

    result = walk(graph, visit, parallelism=2, cancel=cancel)
    assert visited == ["a"]
    assert result.outcomes == {"a": Outcome.DONE, "b": Outcome.SKIPPED}
    assert result.cancelled
