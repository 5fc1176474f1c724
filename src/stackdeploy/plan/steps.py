"""Turn a plan into a DAG of steps the executor walks: create, update and delete steps.

A replacement is two steps. Delete-then-create: the old resource goes first (its dependents'
deletions before it), then the new one is created. Create-then-delete: the new one is created,
dependents re-point to it, then the old one is deleted.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import networkx as nx

from stackdeploy.errors import DeployError
from stackdeploy.plan.types import Action, Plan, ResourceChange
from stackdeploy.specs.base import ReplaceStrategy
from stackdeploy.specs.registry import RESOURCE_TYPES


class StepKind(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    FORGET = "forget"  # untag and drop from the state (lifecycle.retain_on_delete)


@dataclass(frozen=True)
class Step:
    address: str
    kind: StepKind
    replacing: bool = False  # part of a replacement

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.address}"

    def __str__(self) -> str:
        return self.key


def _steps_for(change: ResourceChange) -> list[Step]:
    address, action = change.address, change.action
    if action is Action.CREATE:
        return [Step(address, StepKind.CREATE)]
    if action is Action.UPDATE:
        return [Step(address, StepKind.UPDATE)]
    if action is Action.DELETE:
        return [Step(address, StepKind.DELETE)]
    if action is Action.FORGET:
        return [Step(address, StepKind.FORGET)]
    if action is Action.REPLACE:
        return [Step(address, StepKind.DELETE, True), Step(address, StepKind.CREATE, True)]
    return []


def build_steps(plan: Plan) -> nx.DiGraph[str]:
    """The step DAG. Node keys are Step.key; each node carries `step` and `seconds`."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    changes = {c.address: c for c in plan.changes}
    apply_step: dict[str, str] = {}
    delete_step: dict[str, str] = {}
    for change in plan.changes:
        rtype = RESOURCE_TYPES.get(change.type)
        seconds = rtype.typical_create_seconds if rtype else 2.0
        for step in _steps_for(change):
            graph.add_node(step.key, step=step, seconds=seconds)
            if step.kind in (StepKind.DELETE, StepKind.FORGET):
                # A retained resource is forgotten in the order it would have been deleted:
                # after what depends on it.
                delete_step[change.address] = step.key
            else:
                apply_step[change.address] = step.key

    for change in plan.changes:
        if change.address in apply_step:
            for dependency in change.depends_on:
                if dependency in apply_step:
                    graph.add_edge(apply_step[dependency], apply_step[change.address])
    for first, then in plan.deletion_edges:
        if first in delete_step and then in delete_step:
            graph.add_edge(delete_step[first], delete_step[then])
    for change in plan.changes:
        if change.action is not Action.REPLACE:
            continue
        old, new = delete_step[change.address], apply_step[change.address]
        if change.replace_strategy is ReplaceStrategy.CREATE_THEN_DELETE:
            graph.add_edge(new, old)
            # Dependents re-point to the new resource before the old one goes.
            for other in changes.values():
                if change.address in other.depends_on and other.address in apply_step:
                    graph.add_edge(apply_step[other.address], old)
        else:
            graph.add_edge(old, new)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return graph
    keys = [edge[0] for edge in cycle]
    raise DeployError(
        "the plan's steps form a cycle: " + " -> ".join(keys), hint=_cycle_hint(keys, changes)
    )


def _cycle_hint(keys: list[str], changes: dict[str, ResourceChange]) -> str:
    """What to do about a cycle: only a replacement in it can be split over two runs."""
    addresses = {key.split(":", 1)[1] for key in keys}  # Step.key: "<kind>:<address>"
    if any(changes[a].action is Action.REPLACE for a in addresses if a in changes):
        return (
            "a replacement conflicts with the order AWS needs; apply it in two runs "
            "(first remove the dependency, then replace)"
        )
    return (
        "these resources must each be deleted before the other: their properties in AWS name "
        "each other, or the state recorded such dependencies; delete one of them by hand "
        "(or remove the reference with an apply) and run the command again"
    )


def critical_path_priority(graph: nx.DiGraph[str]) -> dict[str, float]:
    """For each step, the longest total duration from it to the end: long poles go first."""
    remaining: dict[str, float] = {}
    for key in reversed(list(nx.topological_sort(graph))):
        tail = max((remaining[s] for s in graph.successors(key)), default=0.0)
        remaining[key] = graph.nodes[key]["seconds"] + tail
    return remaining
