"""Stacks as things in the account: listing them, destroying one by name, sweeping the
expired ones. Built on the tag scan of discovery/inventory.py and the ordinary destroy plan:
a stack destroyed by name is an empty stack of that name, planned over every region its tags
were found in, so it is torn down in AWS's order with the usual custody rules
(plan/custody.py): what its state or lineage proves its own goes, data stores of a durable
stack found by tags alone are left alone and named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from stackdeploy.apply.engine import Permissions, PlannedRun, Workspace, plan_stack
from stackdeploy.discovery.inventory import scan
from stackdeploy.errors import DeployError
from stackdeploy.model.arns import GLOBAL, name_of
from stackdeploy.model.inventory import KeptSnapshot, StackEntry, Tagged, group_by_stack
from stackdeploy.model.stack import Stack
from stackdeploy.pricing.estimate import RULES, estimate_resources
from stackdeploy.pricing.neighbours import RunningResource
from stackdeploy.pricing.public import amount
from stackdeploy.providers.rds.db_instance import DbInstanceProvider
from stackdeploy.specs.base import OWNERSHIP_TAG_ID, OWNERSHIP_TAG_STACK
from stackdeploy.specs.registry import RESOURCE_TYPES

# What a priced resource's cost depends on beyond itself: an Auto Scaling group's instance
# type is its launch template's, an instance's public address its subnet's setting.
_COST_NEIGHBOURS = frozenset({"aws.ec2.launch_template", "aws.ec2.subnet"})


@dataclass
class Account:
    """What a scan found: the stacks by name, and where it looked."""

    stacks: dict[str, StackEntry]
    regions: list[str]
    found: list[Tagged]


def list_stacks(ws: Workspace, regions: Collection[str], *, with_cost: bool = True) -> Account:
    """Every stack that owns something in `regions` (or IAM), with where its state record
    is (this machine's state folder, or the state bucket) and, with `with_cost`, its hourly
    cost."""
    found = scan(ws.clients, regions)
    stacks = group_by_stack(found)
    if stacks:  # one listing of the state backend (this folder or the state bucket)
        for name, region in ws.state_keys():
            if name in stacks:
                stacks[name].state.append(ws.store_for(name, region).location)
    if with_cost and stacks:
        _estimate_costs(ws, stacks, found)
    return Account(stacks, sorted(regions), found)


def _estimate_costs(ws: Workspace, stacks: dict[str, StackEntry], found: list[Tagged]) -> None:
    """Each stack's hourly cost, from one batched read per priced type and region."""
    wanted: dict[tuple[str, str], dict[str, Tagged]] = defaultdict(dict)
    for item in found:
        named = name_of(item.arn)
        if named is None or item.region == GLOBAL:
            continue
        if named.kind in RULES or named.kind in _COST_NEIGHBOURS:
            wanted[(named.kind, item.region)][named.physical_id] = item
    running: dict[str, list[RunningResource]] = defaultdict(list)
    for (kind, region), items in sorted(wanted.items()):
        for physical_id, live in ws.providers[kind].read_many(region, sorted(items)).items():
            tags = items[physical_id].tags
            stack = tags.get(OWNERSHIP_TAG_STACK, "")
            address = tags.get(OWNERSHIP_TAG_ID) or physical_id
            running[stack].append(
                RunningResource(f"{address}@{region}", kind, region, live.properties, physical_id)
            )
    for name, entry in stacks.items():
        entry.hourly_cost = amount(estimate_resources(running.get(name, [])).hourly, 4)


def stack_to_destroy(name: str, account: Account, home_region: str) -> tuple[Stack, set[str]]:
    """The empty stack whose destroy plan removes stack `name`, and the regions it owns
    something in. Its home (where its state record lives, and IAM is read) is `home_region`
    when the stack has anything there, else the first region it has anything in."""
    entry = account.stacks.get(name)
    if entry is None:
        raise DeployError(
            f"no stack named {name} owns anything in {describe_regions(account.regions)} "
            "(or in IAM)",
            hint="deploy ls lists the stacks found; --all-regions looks in every enabled region",
        )
    regions = set(entry.aws_regions)
    home = home_region if home_region in regions or not regions else sorted(regions)[0]
    exercise = entry.lifecycle == "exercise"
    return Stack.named(name, home, "exercise" if exercise else "durable"), regions | {home}


def plan_destroy_by_name(
    ws: Workspace,
    account: Account,
    stack: Stack,
    regions: Collection[str],
    permissions: Permissions,
) -> PlannedRun:
    """The destroy plan of a stack found by its tags. Types read by name (IAM roles and
    instance profiles, buckets) are also read by the names the scan found them under: one
    given a name of its own, not `<stack>-...`, is found though no state or file names it."""
    return plan_stack(
        ws,
        stack,
        destroy=True,
        permissions=permissions,
        regions=regions,
        names=_names_found(account, stack),
    )


def _names_found(account: Account, stack: Stack) -> dict[tuple[str, str], dict[str, str]]:
    names: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for item in account.found:
        named = name_of(item.arn)
        if item.tags.get(OWNERSHIP_TAG_STACK) != stack.name or named is None:
            continue
        rtype = RESOURCE_TYPES.get(named.kind)
        logical_id = item.tags.get(OWNERSHIP_TAG_ID)
        if rtype is None or not rtype.discover_by_name or not logical_id:
            continue
        region = stack.region if rtype.global_service else item.region
        if region is None or region == GLOBAL:
            region = stack.region
        names[(named.kind, region)][named.physical_id] = logical_id
    return dict(names)


def describe_regions(regions: Collection[str]) -> str:
    listed = sorted(regions)
    if len(listed) > 3:
        return f"{len(listed)} regions"
    return ", ".join(listed) if listed else "no region"


def kept_snapshots(
    entry: StackEntry, run: PlannedRun, *, force_owned: bool = False
) -> tuple[list[KeptSnapshot], list[KeptSnapshot]]:
    """The final snapshots the stack holds, as (proven its own, tagged only): those this
    destroy keeps and those listed with the stack's lineage are its own; one tagged for the
    stack without it (a tag anyone may write) counts only with --force-owned, as a
    resource would (plan/custody.py)."""
    kept = {(s.region, s.name): s for s in entry.snapshots}
    planned = {(c.region, c.keeps) for c in run.plan.changes if c.keeps}
    for region, name in planned:
        kept.setdefault((region, name), KeptSnapshot(name, region, ""))
    proven: list[KeptSnapshot] = []
    unproven: list[KeptSnapshot] = []
    for key, snapshot in sorted(kept.items()):
        ours = key in planned or (
            snapshot.lineage is not None and snapshot.lineage == run.live.lineage
        )
        (proven if ours or force_owned else unproven).append(snapshot)
    return proven, unproven


def delete_snapshots(ws: Workspace, snapshots: Iterable[KeptSnapshot]) -> list[str]:
    """Delete kept final snapshots; the names deleted (one already gone counts as deleted)."""
    provider = ws.providers["aws.rds.db_instance"]
    assert isinstance(provider, DbInstanceProvider)
    deleted = []
    for snapshot in snapshots:
        provider.delete_kept_snapshot(snapshot.region, snapshot.name)
        deleted.append(snapshot.name)
    return deleted


def expired_stacks(
    account: Account, now: datetime, older_than: int | None
) -> list[tuple[StackEntry, str]]:
    """(stack, why) for every stack to sweep: expired, or (with `older_than` seconds) made
    longer ago than that and without an expiry of its own."""
    chosen = []
    for name in sorted(account.stacks):
        entry = account.stacks[name]
        expires = entry.expires()
        if entry.expired(now):
            assert expires is not None
            chosen.append((entry, f"expired {expires:%Y-%m-%d %H:%M} UTC"))
        elif expires is None and older_than is not None and entry.older_than(older_than, now):
            created = entry.created()
            assert created is not None
            chosen.append((entry, f"no expiry, made {created:%Y-%m-%d %H:%M} UTC"))
    return chosen
