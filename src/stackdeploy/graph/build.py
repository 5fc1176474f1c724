"""The dependency graph of a stack: an edge A -> B means B needs A first."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import networkx as nx

from stackdeploy.errors import GraphError
from stackdeploy.model.refs import Ref, find_refs
from stackdeploy.model.stack import Resource, Stack
from stackdeploy.specs.base import ReplaceStrategy
from stackdeploy.specs.ec2.security_group import TYPE_NAME as SECURITY_GROUP
from stackdeploy.specs.ec2.security_group_rule import TYPE_NAME as SECURITY_GROUP_RULE
from stackdeploy.specs.registry import RESOURCE_TYPES


def known_before_create(stack: Stack, ref: Ref) -> bool:
    """Whether a reference names an attribute known before its resource exists (a bucket's
    ARN from a name that references nothing): it then resolves at plan time."""
    target = stack.resources.get(ref.target)
    if target is None:
        return False
    rtype = RESOURCE_TYPES[target.type]
    derived = rtype.derived_attributes.get(ref.attribute)
    if derived is None:
        return False
    if target.generated_name and rtype.replace_strategy is ReplaceStrategy.CREATE_THEN_DELETE:
        return False  # its name may take its other form in a replacement (plan/names.py)
    return all(
        next(find_refs(target.properties.get(name)), None) is None for name in derived.inputs
    )


# Policy elements that only name resources: IAM does not check that they exist (it does for
# a Principal, and S3 replication needs its destination), so a reference there need not wait.
_NAMING_ELEMENTS = frozenset({"Resource", "NotResource", "Condition"})


def _names_only(path: tuple[str | int, ...]) -> bool:
    """Whether a reference at `path` sits in a policy statement's Resource, NotResource or
    Condition: of a statement in a list, or of the one statement a file may write alone."""
    for index, part in enumerate(path):
        if part != "Statement":
            continue
        element = path[index + 1 : index + 3]
        if element and isinstance(element[0], int):
            element = element[1:]
        if element and element[0] in _NAMING_ELEMENTS:
            return True
    return False


def orders_nothing(stack: Stack, ref: Ref, path: tuple[str | int, ...]) -> bool:
    """Whether a reference at `path` in its resource's properties needs nothing created first:
    it names, where a policy only names resources, an attribute known before create (a
    bucket's ARN). Also when its resource failed validation and the attribute may be such
    (so the loader then claims no cycle through it, and no wrong self-reference)."""
    return _names_only(path) and (
        known_before_create(stack, ref) or _may_be_known_before_create(stack, ref)
    )


def ordering_dependencies(stack: Stack, resource: Resource) -> set[str]:
    """The logical ids `resource` must come after: its depends_on and its references' targets,
    except where a policy merely names a resource whose ARN is known before it exists (a
    replication role naming the buckets whose replication names the role)."""
    return ordering_targets(stack, resource.logical_id, resource.properties, resource.depends_on)


def ordering_targets(
    stack: Stack, owner: str, properties: Any, depends_on: Iterable[str]
) -> set[str]:
    """ordering_dependencies of the resource `owner` declared with these properties, which
    need not be valid (the loader looks for cycles among resources that failed validation
    too). A reference to the owner itself orders nothing: the loader allows only those that
    order nothing anyway (a bucket policy naming the bucket's own ARN)."""
    return set(depends_on) | {
        ref.target
        for ref, path in find_refs(properties)
        if ref.target != owner and not orders_nothing(stack, ref, path)
    }


def _may_be_known_before_create(stack: Stack, ref: Ref) -> bool:
    """Whether a reference to a resource that failed validation may name an attribute known
    before create: the loader then finds no cycle through it (nor a spurious one)."""
    if ref.target not in stack.unvalidated:
        return False
    declared = stack.unvalidated[ref.target]
    return declared is None or ref.attribute in RESOURCE_TYPES[declared].derived_attributes


def build_graph(stack: Stack) -> nx.DiGraph[str]:
    """Nodes are logical ids; edges come from references and depends_on. Cycles are errors."""
    graph = dependency_graph(
        {logical_id: ordering_dependencies(stack, r) for logical_id, r in stack.resources.items()}
    )
    for logical_id, resource in stack.resources.items():
        graph.nodes[logical_id]["type"] = resource.type
    check_acyclic(graph, stack)
    _add_ordering_rules(graph, stack)
    return graph


def dependency_graph(dependencies: Mapping[str, Iterable[str]]) -> nx.DiGraph[str]:
    """Logical id -> what it must come after, as a graph of the given ids (an edge A -> B:
    B needs A first); a dependency on anything else has its own error."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(dependencies)
    for logical_id, needs in dependencies.items():
        graph.add_edges_from((need, logical_id) for need in sorted(needs) if need in dependencies)
    return graph


def _add_ordering_rules(graph: nx.DiGraph[str], stack: Stack) -> None:
    """Edges for create_after rules; skipped where they would contradict a reference."""
    ids_by_type: dict[str, list[str]] = defaultdict(list)
    for logical_id, resource in stack.resources.items():
        ids_by_type[resource.type].append(logical_id)
    for logical_id, resource in sorted(stack.resources.items()):
        rtype = RESOURCE_TYPES[resource.type]
        # Only resources of the types named by the rule, not every pair in the stack; in name
        # order, as the edges added so far decide whether a later one would close a cycle.
        others = sorted(other for name in rtype.create_after for other in ids_by_type[name])
        for other_id in others:
            if other_id != logical_id and not nx.has_path(graph, logical_id, other_id):
                graph.add_edge(other_id, logical_id)


def check_acyclic(graph: nx.DiGraph[str], stack: Stack) -> None:
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return
    path = [edge[0] for edge in cycle] + [cycle[0][0]]
    first = path[0]
    raise GraphError(
        "dependency cycle: " + " -> ".join(path),
        location=stack.location(("resources", first)),
        hint=_groups_hint(stack, path)
        or "break the cycle: remove a reference or a depends_on entry between these resources",
    )


def _groups_hint(stack: Stack, path: list[str]) -> str | None:
    """Security groups whose rules name each other: rule resources are the way out."""
    for peer, group in itertools.pairwise(path):  # `group` needs `peer` first
        direction = _direction_naming(stack, group, peer)
        if direction is None:
            continue
        return (
            f"security group '{group}' lists an {direction} rule naming '{peer}', and '{peer}' "
            f"needs '{group}' first: move "
            f"the {direction} rules of '{group}' into {SECURITY_GROUP_RULE} resources (e.g. "
            f"security_group_id: ${{{group}.id}}, direction: {direction}, "
            f"referenced_security_group_id: ${{{peer}.id}}), which come after both groups, and "
            f"write `{direction}: []` on '{group}'"
        )
    return None


def _direction_naming(stack: Stack, group: str, peer: str) -> str | None:
    """The direction in which security group `group` lists a rule whose peer is `peer`."""
    # A cycle found while loading may run through resources that failed validation.
    resource, other = stack.resources.get(group), stack.resources.get(peer)
    if resource is None or other is None:
        return None
    if resource.type != SECURITY_GROUP or other.type != SECURITY_GROUP:
        return None
    for direction in ("ingress", "egress"):
        for atom in resource.properties.get(direction) or []:
            target = stack.target_of(atom.get("security_group_id"))
            if target is not None and target.logical_id == peer:
                return direction
    return None


def topological_order(graph: nx.DiGraph[str]) -> list[str]:
    """A deterministic topological order (ties broken by name)."""
    return list(nx.lexicographical_topological_sort(graph))
