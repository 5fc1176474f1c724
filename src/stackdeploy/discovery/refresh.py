"""Batched refresh: one tag-filtered read per (resource type, region), in parallel.

Resources are found by their ownership tags, so a lost or stale state record costs nothing;
ids the state knows but the tag query missed (tags removed by hand) are read by id, again in
one call per type.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import BotoCoreError, ClientError

from stackdeploy.aws.errors import as_provider_error
from stackdeploy.discovery.state import StateRecord
from stackdeploy.model.live import LiveResource, LiveState
from stackdeploy.providers.base import Provider


def _read_type(
    provider: Provider,
    region: str,
    stack: str,
    known_ids: list[str],
    named: Mapping[str, str],
) -> list[LiveResource]:
    """Owned resources of one type in one region: by tag, then by recorded id or declared name.

    A resource found only by a declared name counts only when its ownership tag names the
    logical id that declares it: a same-named resource someone else made is never adopted.
    """
    try:
        found = provider.read_owned(region, stack)
        seen = {live.physical_id for live in found}
        missing = sorted({*known_ids, *named} - seen)
        if missing:
            for physical_id, live in provider.read_many(region, missing).items():
                if physical_id in known_ids or live.logical_id == named.get(physical_id):
                    found.append(live)
        return found
    except (ClientError, BotoCoreError) as error:
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
    """Everything owned by `stack` in `regions` (plus the regions its state mentions).

    Resources of global services are recorded and discovered under `home_region`. `named`
    maps (type, region) to {declared physical name: logical id} for discover_by_name types.
    `types` limits the read to those types (None: every type there is).
    """
    named = named or {}
    known: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in state.resources.values():
        known[(record.type, record.region)].append(record.physical_id)
    all_regions = sorted(set(regions) | {region for _, region in known})
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
                known.get(job, []),
                named.get(job, {}),
            )
            for job in jobs
        }
        results = {job: future.result() for job, future in futures.items()}
    return _assemble(results, state)


def _assemble(
    results: Mapping[tuple[str, str], list[LiveResource]], state: StateRecord
) -> LiveState:
    by_physical_id = {record.physical_id: address for address, record in state.resources.items()}
    live = LiveState()
    for (_, _), found in sorted(results.items()):
        for resource in sorted(found, key=lambda r: r.physical_id):
            logical_id = resource.logical_id or by_physical_id.get(resource.physical_id)
            if logical_id is None:
                continue  # neither tagged as ours nor recorded: never touched without import
            if resource.logical_id is None:  # found by id only: name it after the state record
                resource = dataclasses.replace(resource, logical_id=logical_id)  # noqa: PLW2901
            holder = live.resources.get(logical_id)
            if holder is None:
                live.resources[logical_id] = resource
                continue
            # Two resources claim one logical id: keep the one the state records.
            recorded = state.resources.get(logical_id)
            if recorded is not None and recorded.physical_id == resource.physical_id:
                live.duplicates.append(holder)
                live.resources[logical_id] = resource
            else:
                live.duplicates.append(resource)
    return live
