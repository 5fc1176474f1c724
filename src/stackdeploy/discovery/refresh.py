"""Batched refresh: one tag-filtered read per (resource type, region), in parallel.

Resources are found by their ownership tags, so a lost or stale state record costs nothing;
ids the state knows but the tag query missed (tags removed by hand) and names an interrupted
create recorded are read by id, again in one call per type. Each resource found gets the
proof that it is the stack's own (model.live.Proof); the planner decides what that allows.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from stackdeploy.aws.errors import AWS_ERRORS, as_provider_error
from stackdeploy.discovery.state import StateRecord
from stackdeploy.model.live import LiveResource, LiveState, Proof
from stackdeploy.providers.base import Provider


@dataclass(frozen=True)
class _Wanted:
    """What one (type, region) read looks for beyond the ownership tags."""

    recorded: tuple[str, ...] = ()  # physical ids the state records
    named: Mapping[str, str] = field(default_factory=dict)  # declared name -> logical id
    intended: Mapping[str, str] = field(default_factory=dict)  # intent's name -> logical id


def _read_type(provider: Provider, region: str, stack: str, wanted: _Wanted) -> list[LiveResource]:
    """Resources of one type in one region: by tag, then by recorded id or name.

    A resource found only by a declared name counts only when its ownership tags name this
    stack and the logical id that declares it: a same-named resource someone else made is
    never adopted. One found by the name an intent recorded counts when it carries no
    ownership tags at all (the run died between the create and a separate tagging call).
    """
    try:
        found = provider.read_owned(region, stack)
        seen = {live.physical_id for live in found}
        missing = sorted({*wanted.recorded, *wanted.named, *wanted.intended} - seen)
        if missing:
            for physical_id, live in provider.read_many(region, missing).items():
                owner = live.owner
                declared = wanted.named.get(physical_id)
                intended = wanted.intended.get(physical_id)
                if (
                    physical_id in wanted.recorded
                    or (owner.stack == stack and owner.logical_id in (declared, intended))
                    or (intended is not None and owner.stack is None)
                ):
                    found.append(live)
        return found
    except AWS_ERRORS as error:
        raised = as_provider_error(error)
        raised.message = f"refreshing {provider.rtype.name} in {region}: {raised.message}"
        raise raised from error


def discover(
    stack: str,
    regions: Iterable[str],
    providers: Mapping[str, Provider],
    state: StateRecord,
    *,
    home_region: str,
    named: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
    types: Collection[str] | None = None,
    max_workers: int = 8,
) -> LiveState:
    """Everything found for `stack` in `regions` (plus the regions its state mentions), each
    with the proof that it is the stack's own (see model.live.Proof).

    Resources of global services are recorded and discovered under `home_region`. `named`
    maps (type, region) to {declared physical name: logical id} for discover_by_name types.
    `types` limits the read to those types (None: every type there is).
    """
    named = named or {}
    recorded: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in state.resources.values():
        recorded[(record.type, record.region)].append(record.physical_id)
    intended: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for address, intent in state.intents.items():
        if intent.name:
            intended[(intent.type, intent.region)][intent.name] = address
    all_regions = sorted(set(regions) | {region for _, region in [*recorded, *intended]})
    jobs = [
        (type_name, region)
        for type_name in sorted(providers)
        if types is None or type_name in types
        # Global services (IAM) answer the same in every region: ask once, in the home region.
        for region in ([home_region] if providers[type_name].rtype.global_service else all_regions)
    ]
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        futures = {
            job: pool.submit(
                _read_type,
                providers[job[0]],
                job[1],
                stack,
                _Wanted(tuple(recorded.get(job, [])), named.get(job, {}), intended.get(job, {})),
            )
            for job in jobs
        }
        results = {job: future.result() for job, future in futures.items()}
    return assemble(results, state)


def stack_lineage(found: Iterable[LiveResource], state: StateRecord) -> str | None:
    """The state's lineage; with no state record (lost, or never written), the one lineage
    every resource tagged for the stack agrees on. Several lineages mean several copies of
    the stack (or hand-made tags): none is chosen, and all are left to --adopt."""
    if state.lineage is not None:
        return state.lineage
    lineages = {r.owner.lineage for r in found if r.owner.stack == state.stack}
    lineages.discard(None)
    return lineages.pop() if len(lineages) == 1 else None


def _proof(resource: LiveResource, address: str, state: StateRecord, lineage: str | None) -> Proof:
    owner = resource.owner
    tagged_ours = owner.stack == state.stack
    record = state.resources.get(address)
    if record is not None and record.physical_id == resource.physical_id:
        return Proof.RECORDED if tagged_ours else Proof.UNTAGGED
    intent = state.intents.get(address)
    if (
        intent is not None
        and intent.name == resource.physical_id
        and intent.type == resource.type
        and (owner.stack is None or (tagged_ours and owner.logical_id == address))
    ):
        return Proof.INTENT
    if tagged_ours and lineage is not None and owner.lineage == lineage:
        return Proof.LINEAGE
    return Proof.TAGS if tagged_ours else Proof.UNTAGGED


def assemble(
    results: Mapping[tuple[str, str], list[LiveResource]], state: StateRecord
) -> LiveState:
    """One LiveState from per-type reads: each resource named and given its proof; where
    several claim one logical id, the best-proven holds it and the others are duplicates."""
    by_physical_id = {record.physical_id: address for address, record in state.resources.items()}
    by_intent = {intent.name: address for address, intent in state.intents.items() if intent.name}
    everything = [resource for _, found in sorted(results.items()) for resource in found]
    live = LiveState(lineage=stack_lineage(everything, state))
    ranked: dict[str, list[LiveResource]] = defaultdict(list)
    for resource in sorted(everything, key=lambda r: r.physical_id):
        address = (
            resource.logical_id
            if resource.owner.stack == state.stack and resource.logical_id
            else by_physical_id.get(resource.physical_id) or by_intent.get(resource.physical_id)
        )
        if address is None:
            continue  # neither tagged as ours nor recorded: never touched without import
        proof = _proof(resource, address, state, live.lineage)
        ranked[address].append(dataclasses.replace(resource, logical_id=address, proof=proof))
    strength = list(Proof)
    for address, claimants in sorted(ranked.items()):
        claimants.sort(key=lambda r: strength.index(r.proof))  # stable: by physical id next
        live.resources[address] = claimants[0]
        live.duplicates.extend(claimants[1:])
    return live
