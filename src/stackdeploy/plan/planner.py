"""make_plan: (desired stack, live state) -> Plan. A pure function, tested with data cases."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from stackdeploy.errors import ConfigError, ConfigErrors, SourceLocation
from stackdeploy.graph.build import build_graph, topological_order
from stackdeploy.model.live import LiveResource, LiveState
from stackdeploy.model.refs import Lookup, Token, substitute
from stackdeploy.model.stack import Guards, Resource, Stack
from stackdeploy.model.values import UNKNOWN
from stackdeploy.plan.custody import (
    Custody,
    exercise_unprotects,
    foreign_claim,
    keep_what_kept_ones_use,
    left_alone,
    refused_custody,
    with_custody,
)
from stackdeploy.plan.deletion import deletion_edges
from stackdeploy.plan.derived import derived_values
from stackdeploy.plan.diff import after_attributes, diff_properties, stable_text
from stackdeploy.plan.guards import (
    guards_of,
    ignoring,
    prevented,
    retain_what_retained_ones_use,
    retained,
    with_guards,
    without_ignored,
)
from stackdeploy.plan.names import (
    alternate_generated_name,
    explain_alternated,
    fixed_name_clash,
    keep_generated_name,
)
from stackdeploy.plan.reasons import change_reasons, replacement_reason
from stackdeploy.plan.types import (
    Action,
    LeftAlone,
    Plan,
    Reason,
    ResourceChange,
)
from stackdeploy.specs.base import ReplaceStrategy, ResourceType
from stackdeploy.specs.iam.policy import canonical_policies
from stackdeploy.specs.registry import RESOURCE_TYPES

_UNPROTECTED = "deletion protection is switched off first"


@dataclass(frozen=True)
class PriorState:
    """What the state record remembers about earlier applies (a cache, never the only truth)."""

    applied: Mapping[str, dict[str, Any]] = field(default_factory=dict)  # last applied props
    dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The lifecycle guards recorded at each resource's last apply (none: not guarded).
    guards: Mapping[str, Guards] = field(default_factory=dict)


def make_plan(
    stack: Stack,
    live: LiveState,
    *,
    account: str = "",
    destroy: bool = False,
    targets: Collection[str] = (),
    prior: PriorState | None = None,
    lookups: Mapping[str, Any] | None = None,
    custody: Custody | None = None,
) -> Plan:
    prior = prior or PriorState()
    custody = custody or Custody()
    lookups = dict(lookups or {})
    derived = derived_values(stack, lookups, account)
    graph = build_graph(stack)
    _check_targets(stack, live, targets)
    changes: dict[str, ResourceChange] = {}
    attributes: dict[str, dict[str, Any]] = {}
    refused: dict[str, list[ConfigError]] = {}
    kept: dict[str, LiveResource] = {}  # found, but left alone

    if not destroy:
        for logical_id in topological_order(graph):
            resource = stack.resources[logical_id]
            depends_on = tuple(sorted(graph.predecessors(logical_id)))
            resolve = resolver(attributes, derived, lookups, resource.region)
            found = live.resources.get(logical_id)
            refused[logical_id] = []
            if found is not None and not custody.may_adopt(found):
                refused[logical_id].append(foreign_claim(stack, logical_id, found))
                kept[logical_id], found = found, None
            change, attrs = _plan_resource(resource, found, resolve, prior, depends_on)
            if found is not None:
                change = with_custody(change, found, custody, live.lineage, stack.marks())
                change = with_guards(change, resource, prior.guards)
                refused[logical_id] += refused_custody(stack, change, found, custody)
                refused[logical_id] += _name_clash(stack, resource, change, found)
            changes[logical_id] = change
            attributes[logical_id] = attrs
            if change.action is Action.UPDATE and found is not None:
                refused[logical_id] += _refused_update(stack, change, found)

    reason = Reason.DESTROY if destroy else Reason.REMOVED
    leftovers = [(a, f, reason) for a, f in live.resources.items() if a not in changes]
    leftovers += [(f"{f.logical_id}~{f.physical_id}", f, Reason.DUPLICATE) for f in live.duplicates]
    left: dict[str, LeftAlone] = {}
    guarded: dict[str, tuple[Guards, bool]] = {}
    for address, found, why in leftovers:
        refusal = custody.refusal(found)
        if refusal is not None:
            kept[address] = found
            left[address] = left_alone(address, found, refusal)
            continue
        applied = prior.applied.get(address) if why is not Reason.DUPLICATE else None
        reasons = (why, Reason.FORCED) if custody.forced(found) else (why,)
        changes[address] = _delete(stack.name, address, found, reasons, applied)
        if why is not Reason.DUPLICATE:  # an extra copy is no guarded resource
            guarded[address] = guards_of(stack, address, prior.guards, destroy=destroy)
            if guarded[address][0].retain_on_delete:
                changes[address] = retained(changes[address])
    retain_what_retained_ones_use(changes, live)
    keep_what_kept_ones_use(changes, kept, left, live)

    edges = deletion_edges(stack, live, prior.dependencies)
    if targets:
        keep = _targeted(graph, edges, set(targets), destroy)
        changes = {a: c for a, c in changes.items() if c.logical_id in keep}
        left = {a: entry for a, entry in left.items() if a.split("~", 1)[0] in keep}
    for address, guard_error in prevented(stack, changes, guarded):
        refused.setdefault(address, []).append(guard_error)
    errors = [
        error for address in sorted(refused) if address in changes for error in refused[address]
    ]
    if errors:
        raise ConfigErrors(errors)
    outputs = (
        {}
        if destroy
        else _resolve_outputs(stack, resolver(attributes, derived, lookups, stack.region))
    )
    ordered = tuple(changes[address] for address in sorted(changes))
    addresses = set(changes)
    return Plan(
        stack=stack.name,
        region=stack.region,
        account=account,
        destroy=destroy,
        changes=ordered,
        outputs=outputs,
        deletion_edges=tuple(sorted((a, b) for a, b in edges if a in addresses and b in addresses)),
        live_digest=live_digest(live),
        # The stack file's own warnings too, except on destroy, where its settings no longer
        # matter.
        warnings=(() if destroy else stack.warnings) + _warnings(ordered),
        lookups=lookups,
        left_alone=tuple(left[address] for address in sorted(left)),
        derived=derived,
        expires=None if destroy else stack.expires,
        lifecycle=stack.lifecycle,
        source=stack.source_file,
        targets=tuple(sorted(targets)),
    )


def live_digest(live: LiveState) -> str:
    """A fingerprint of live state; a saved plan is refused when it no longer matches."""
    payload = {
        # The proofs too: what the plan may delete depends on them.
        "resources": {
            k: (v.physical_id, v.properties, v.proof.name)
            for k, v in sorted(live.resources.items())
        },
        "duplicates": sorted((d.physical_id, d.proof.name) for d in live.duplicates),
    }
    return hashlib.sha256(stable_text(payload).encode()).hexdigest()


def _check_targets(stack: Stack, live: LiveState, targets: Collection[str]) -> None:
    known = set(stack.resources) | set(live.resources)
    for target in targets:
        if target not in known:
            raise ConfigError(
                f"--target {target}: no resource with that logical id in {stack.source_file} "
                "or in AWS",
                location=SourceLocation(stack.source_file),
                hint=f"logical ids: {', '.join(sorted(known)) or 'none'}",
            )


def _targeted(
    graph: nx.DiGraph[str], edges: set[tuple[str, str]], targets: set[str], destroy: bool
) -> set[str]:
    """Targets plus what they need: dependencies to apply, or dependents to destroy first."""
    keep = set(targets)
    for target in targets:
        if destroy:
            deletion: nx.DiGraph[str] = nx.DiGraph(list(edges))
            # a -> b in deletion edges means a goes first; dependents of a target go with it.
            if target in deletion:
                keep |= nx.ancestors(deletion, target)
            if target in graph:
                keep |= nx.descendants(graph, target)
        elif target in graph:
            keep |= nx.ancestors(graph, target)
    return keep


def resolver(
    attributes: Mapping[str, Mapping[str, Any]],
    derived: Mapping[str, Mapping[str, Any]],
    lookups: Mapping[str, Any],
    region: str,
) -> Callable[[Token], Any]:
    """Resolve references from planned attributes (or values known before create) and
    lookups from refreshed values."""

    def resolve(token: Token) -> Any:
        if isinstance(token, Lookup):
            return lookups.get(token.scoped(region), UNKNOWN)
        known = derived.get(token.target, {})
        if token.attribute in known:  # what it will be, even before it is planned or exists
            return known[token.attribute]
        return attributes.get(token.target, {}).get(token.attribute, UNKNOWN)

    return resolve


def _plan_resource(
    resource: Resource,
    found: LiveResource | None,
    resolve: Callable[[Token], Any],
    prior: PriorState,
    depends_on: tuple[str, ...],
) -> tuple[ResourceChange, dict[str, Any]]:
    rtype = RESOURCE_TYPES[resource.type]
    desired: dict[str, Any] = canonical_policies(substitute(resource.properties, resolve))
    common = {
        "address": resource.logical_id,
        "type": resource.type,
        "region": resource.region,
        "after": desired,
        "depends_on": depends_on,
    }
    if found is None:
        reason = Reason.MISSING if resource.logical_id in prior.applied else Reason.NEW
        change = ResourceChange(action=Action.CREATE, reasons=(reason,), **common)  # type: ignore[arg-type]
        return change, after_attributes(rtype, desired, None, recreated=True)

    generated = desired
    if found.type == resource.type:
        desired = keep_generated_name(rtype, resource, desired, found)
    base = {
        **common,
        "after": desired,
        "physical_id": found.physical_id,
        "before": found.properties,
    }
    # Global services (IAM) are recorded in the stack's region whatever a resource says.
    moved = found.region != resource.region and not rtype.global_service
    if found.type != resource.type or moved:
        reason = Reason.TYPE_CHANGED if found.type != resource.type else Reason.MOVED
        change, desired = _replacement(rtype, resource, generated, found, base, reason, diff=False)
        return change, after_attributes(rtype, desired, None, recreated=True)

    # Ignored properties keep what AWS holds, unless the resource is replaced: a new one gets
    # what the file says.
    ignored = resource.lifecycle.ignore_changes
    kept = ignoring(rtype, desired, found.properties, ignored)
    changes = without_ignored(diff_properties(rtype, kept, found.properties), ignored)
    in_place = {**base, "after": kept}
    if not changes:
        change = ResourceChange(action=Action.NOOP, reasons=(), **in_place)  # type: ignore[arg-type]
        return change, dict(found.properties)
    forcing = [c for c in changes if c.forces_replacement]
    if forcing:
        reason = replacement_reason(forcing)
        change, desired = _replacement(rtype, resource, generated, found, base, reason, diff=True)
        return change, after_attributes(rtype, desired, found.properties, recreated=True)
    applied = prior.applied.get(resource.logical_id)
    if applied is not None:  # what was applied, seen through the same ignore_changes
        applied = ignoring(rtype, applied, found.properties, ignored)
    change = ResourceChange(
        action=Action.UPDATE,
        reasons=change_reasons(changes, applied),
        changes=tuple(changes),
        **in_place,  # type: ignore[arg-type]
    )
    return change, after_attributes(rtype, kept, found.properties, recreated=False)


def _replacement(
    rtype: ResourceType,
    resource: Resource,
    generated: dict[str, Any],
    found: LiveResource,
    base: dict[str, Any],
    reason: Reason,
    *,
    diff: bool,
) -> tuple[ResourceChange, dict[str, Any]]:
    """A replacement of `found`, and the properties its successor gets. When both exist for a
    while (create before destroy), a generated name takes its other form (plan/names.py)."""
    desired = base["after"]
    alternates = rtype.replace_strategy is ReplaceStrategy.CREATE_THEN_DELETE
    if alternates:
        desired = alternate_generated_name(rtype, resource, generated, found)
    changes = diff_properties(rtype, desired, found.properties) if diff else []
    if alternates:
        changes = explain_alternated(rtype, resource, changes)
    change = ResourceChange(
        action=Action.REPLACE,
        reasons=(reason,),
        notes=(rtype.replace_warning,) if rtype.replace_warning else (),
        changes=tuple(changes),
        replace_strategy=rtype.replace_strategy,
        **{**base, "after": desired},
    )
    return change, desired


def _name_clash(
    stack: Stack, resource: Resource, change: ResourceChange, found: LiveResource
) -> list[ConfigError]:
    rtype = RESOURCE_TYPES[resource.type]
    clash = fixed_name_clash(rtype, resource, change, found)
    if clash is None or rtype.name_property is None:
        return []
    name = rtype.name_property
    return [
        ConfigError(
            clash,
            location=stack.property_location(resource.logical_id, (name,)),
            hint=f"give it another {name} (or leave {name} out, and stackdeploy names it), or "
            "undo the change that forces the replacement",
            address=resource.logical_id,
        )
    ]


def _refused_update(stack: Stack, change: ResourceChange, found: LiveResource) -> list[ConfigError]:
    """What AWS would refuse about an update given what it holds (ResourceType.update_checks),
    reported at the fields of the stack file before anything is changed."""
    return [
        ConfigError(
            issue.message,
            location=stack.property_location(issue.logical_id, issue.path),
            hint=issue.hint,
            address=change.address,
        )
        for check in RESOURCE_TYPES[change.type].update_checks
        for issue in check(change.address, change.after or {}, found.properties)
    ]


def _delete(
    stack: str,
    address: str,
    found: LiveResource,
    reasons: tuple[Reason, ...],
    applied: dict[str, Any] | None,
) -> ResourceChange:
    rtype = RESOURCE_TYPES.get(found.type)
    unprotect = exercise_unprotects(found)
    # What the last apply recorded, else what AWS holds (destroyed by name, without state).
    known = applied if applied is not None else found.properties
    note = rtype.delete_note(known) if rtype and not unprotect else None
    notes: tuple[str, ...] = (note,) if note else ()
    if unprotect:
        notes += (f"{_UNPROTECTED}: the stack is an exercise (stackdeploy:lifecycle=exercise)",)
    keeps = None
    if rtype is not None and rtype.kept_on_delete is not None:
        keeps = rtype.kept_on_delete(stack, found.logical_id or address, found.properties, applied)
    if keeps:
        notes += (f"keeps its final snapshot {keeps} (in {found.region})",)
    return ResourceChange(
        address=address,
        type=found.type,
        region=found.region,
        action=Action.DELETE,
        reasons=reasons,
        physical_id=found.physical_id,
        before=found.properties,
        notes=notes,
        keeps=keeps,
        unprotect=unprotect,
    )


def _resolve_outputs(stack: Stack, resolve: Callable[[Token], Any]) -> dict[str, Any]:
    resolved: dict[str, Any] = substitute(stack.outputs, resolve)
    return resolved


def _warnings(changes: tuple[ResourceChange, ...]) -> tuple[str, ...]:
    return tuple(
        f"{change.address}: {note}"
        for change in changes
        if change.action is not Action.NOOP
        for note in change.notes
    )
