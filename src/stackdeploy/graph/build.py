"""The dependency graph of a stack: an edge A -> B means B needs A first."""

from __future__ import annotations

import itertools
from collections import defaultdict

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
    """Whether a reference at `path` sits in a policy statement's Resource or Condition."""
    return any(
        part == "Statement" and index + 2 < len(path) and path[index + 2] in _NAMING_ELEMENTS
        for index, part in enumerate(path)
    )


def ordering_dependencies(stack: Stack, resource: Resource) -> set[str]:
    """The logical ids `resource` must come after: its depends_on and its references' targets,
    except where a policy merely names a resource whose ARN is known before it exists (a
    replication role naming the buckets whose replication names the role)."""
    return set(resource.depends_on) | {
        ref.target
        for ref, path in find_refs(resource.properties)
        if not (_names_only(path) and known_before_create(stack, ref))
    }


def build_graph(stack: Stack) -> nx.DiGraph[str]:
    """Nodes are logical ids; edges come from references and depends_on. Cycles are errors."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    for logical_id, resource in stack.resources.items():
        graph.add_node(logical_id, type=resource.type)
    for logical_id, resource in stack.resources.items():
        for dependency in sorted(ordering_dependencies(stack, resource)):
            if dependency in stack.resources:
                graph.add_edge(dependency, logical_id)
    check_acyclic(graph, stack)
    _add_ordering_rules(graph, stack)
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
    resource = stack.resources[group]
    if resource.type != SECURITY_GROUP or stack.resources[peer].type != SECURITY_GROUP:
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
