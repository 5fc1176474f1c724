"""Which resources must be deleted before which: reference, state and AWS-rule edges.

Deletion order cannot come from the stack file alone: a resource removed from the file, or
found only by its tags after the state was lost, still holds references. So the edges are the
union of (1) references in live properties, at the paths each type declares (a subnet's
vpc_id holds its VPC's id; see specs/references.py), never a value that merely equals another
resource's id, (2) dependencies recorded in state, (3) the stack's own graph, and (4) ordering
rules AWS enforces without any reference between the two resources (declared per type as
delete_after).
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx

from stackdeploy.graph.build import ordering_dependencies
from stackdeploy.model.live import LiveResource, LiveState
from stackdeploy.model.stack import Stack
from stackdeploy.plan.uses import UsedResources
from stackdeploy.specs.registry import RESOURCE_TYPES


def deletion_edges(
    stack: Stack, live: LiveState, recorded: Mapping[str, tuple[str, ...]]
) -> set[tuple[str, str]]:
    """Edges (a, b) meaning a must be deleted before b, among resources that exist."""
    present: dict[str, LiveResource] = dict(live.resources)
    for duplicate in live.duplicates:
        present[f"{duplicate.logical_id}~{duplicate.physical_id}"] = duplicate
    used = UsedResources(present)
    edges: set[tuple[str, str]] = set()

    def add(first: str, then: str) -> None:
        if first != then and first in present and then in present:
            edges.add((first, then))

    for address, found in present.items():
        for dependency in used.used_by(found):
            add(address, dependency)
        for dependency in recorded.get(address.split("~")[0], ()):
            add(address, dependency)
    for logical_id, resource in stack.resources.items():
        for dependency in ordering_dependencies(stack, resource):
            add(logical_id, dependency)

    graph: nx.DiGraph[str] = nx.DiGraph(list(edges))
    graph.add_nodes_from(present)
    for address, found in sorted(present.items()):
        rtype = RESOURCE_TYPES.get(found.type)
        if rtype is None:
            continue
        for other, other_found in sorted(present.items()):
            if other_found.type in rtype.delete_after and not nx.has_path(graph, address, other):
                graph.add_edge(other, address)  # other goes first
                edges.add((other, address))
    return edges
