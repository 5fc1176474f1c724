"""The workflows the CLI runs: plan, apply, destroy, with state, locking and refresh."""

from __future__ import annotations

import dataclasses
import shlex
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from stackdeploy.apply.executor import ApplyResult, execute_plan
from stackdeploy.apply.expiry import with_expiry
from stackdeploy.apply.group_users import check_group_users
from stackdeploy.apply.key_files import check_private_key_files
from stackdeploy.apply.stack_outputs import StackOutputs, consumers_of
from stackdeploy.aws.session import ClientFactory
from stackdeploy.discovery.lookups import resolve_lookups
from stackdeploy.discovery.refresh import discover
from stackdeploy.discovery.state import (
    StateBackend,
    StateRecord,
    StateStore,
    StateWriter,
    UnlockCommand,
    new_lineage,
    state_key,
)
from stackdeploy.discovery.state_s3 import S3StateStore
from stackdeploy.discovery.zones import check_zones
from stackdeploy.errors import StalePlanError
from stackdeploy.events import EventSink
from stackdeploy.graph.build import ordering_dependencies
from stackdeploy.model.live import LiveState, Proof
from stackdeploy.model.stack import Stack
from stackdeploy.plan.custody import Custody
from stackdeploy.plan.planner import PriorState, live_digest, make_plan
from stackdeploy.plan.types import Action, Plan
from stackdeploy.providers.base import Provider
from stackdeploy.providers.registry import make_providers
from stackdeploy.specs.registry import RESOURCE_TYPES


@dataclass
class Workspace:
    """Everything a command needs to talk to one AWS target."""

    clients: ClientFactory
    state_dir: Path
    # "bucket" or "bucket/prefix": state in S3, shared by a team or CI, instead of state_dir.
    state_bucket: str | None = None

    def __post_init__(self) -> None:
        self.providers: dict[str, Provider] = make_providers(self.clients)

    @property
    def shared_lock(self) -> bool:
        """Whether the stack's lock lives in the account (S3), keeping out runners on other
        machines; a local lock only keeps out runs on this one."""
        return self.state_bucket is not None

    @property
    def events(self) -> EventSink:
        """The clients' event sink, so the retries of the providers' waits are counted in
        the API stats along with the clients' own."""
        return self.clients.events

    def store(self, stack: Stack) -> StateBackend:
        return self._store(stack.name, stack.region, self._unlock_command(stack))

    def store_for(self, name: str, region: str) -> StateBackend:
        """The state of stack `name` whose home is `region`, in this workspace's backend
        (another stack's, read for its outputs: no file of its own to name)."""
        return self._store(name, region, self._unlock_command(Stack.named(name, region)))

    def _store(self, name: str, region: str, unlock: UnlockCommand) -> StateBackend:
        account = self.clients.account_id()
        if self.state_bucket:
            bucket, _, prefix = self.state_bucket.partition("/")
            return S3StateStore(
                self.clients.client("s3", region),
                bucket,
                prefix,
                stack=name,
                account=account,
                region=region,
                endpoint=self.clients.endpoint_url,
                unlock=unlock,
            )
        return StateStore(
            self.state_dir, name, account, region, self.clients.endpoint_url, unlock=unlock
        )

    def state_keys(self, name: str | None = None) -> list[tuple[str, str]]:
        """(stack, home region) of every state record in this backend for this account and
        endpoint (of stack `name` only, when given): one listing, no record read."""
        account, endpoint = self.clients.account_id(), self.clients.endpoint_url
        head, tail = state_key("{stack}", account, "{region}", endpoint).split("{region}")
        head = head.removeprefix("state/{stack}/")
        if self.state_bucket:
            bucket, _, prefix = self.state_bucket.partition("/")
            base = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
            where = f"{base}state/{name}/" if name else f"{base}state/"
            s3 = self.clients.client("s3", self.clients.default_region)
            listed = s3.paginate(
                "list_objects_v2",
                "Contents",
                input_token="ContinuationToken",
                output_token="NextContinuationToken",
                Bucket=bucket,
                Prefix=where,
            )
            paths = [item["Key"].removeprefix(base) for item in listed]
        else:
            folder = self.state_dir / "state"
            pattern = f"{name}/*.json" if name else "*/*.json"
            paths = [str(p.relative_to(self.state_dir)) for p in folder.glob(pattern)]
        found = []
        for path in sorted(paths):
            parts = path.split("/")
            if len(parts) != 3 or not parts[2].startswith(head) or not parts[2].endswith(tail):
                continue
            region = parts[2].removeprefix(head).removesuffix(tail)
            if region and "@" not in region:
                found.append((parts[1], region))
        return found

    def _unlock_command(self, stack: Stack) -> UnlockCommand:
        """`deploy unlock` naming this stack's state as the refused command did: its stack
        file (or, for a stack destroyed by name, --stack NAME and its home region)."""

        def command(lock_id: str) -> str:
            if stack.by_name:
                words = ["--stack", stack.name, lock_id, "--region", stack.region]
            else:
                words = [stack.source_file, lock_id]
                if stack.copy_name:
                    words += ["--copy", stack.copy_name]
            if self.state_bucket:
                words += ["--state-bucket", self.state_bucket]
            return shlex.join(["deploy", "unlock", *words])

        return command


@dataclass
class PlannedRun:
    """A plan together with what it was computed from."""

    stack: Stack
    plan: Plan
    live: LiveState
    store: StateBackend
    record: StateRecord


def declared_names(stack: Stack) -> dict[tuple[str, str], dict[str, str]]:
    """{(type, region): {name: logical id}} for types whose AWS name is their id."""
    named: dict[tuple[str, str], dict[str, str]] = {}
    for logical_id, resource in stack.resources.items():
        rtype = RESOURCE_TYPES[resource.type]
        name = resource.properties.get(rtype.name_property or "")
        if rtype.discover_by_name and isinstance(name, str) and "${" not in name:
            region = stack.region if rtype.global_service else resource.region
            named.setdefault((resource.type, region), {})[name] = logical_id
    return named


def discover_stack(
    workspace: Workspace,
    stack: Stack,
    record: StateRecord,
    *,
    destroy: bool,
    regions: Collection[str] = (),
    names: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
) -> LiveState:
    """What the stack owns in AWS. A plan reads the types the stack declares or the state
    records (a resource of another type could only be a leftover of a lost state file); a
    destroy reads every type, so a teardown finds everything the stack's tags claim."""
    types = None
    if not destroy:
        types = {r.type for r in stack.resources.values()}
        types |= {r.type for r in record.resources.values()}
    return discover(
        stack.name,
        stack.regions() | set(regions),
        workspace.providers,
        record,
        home_region=stack.region,
        named={**declared_names(stack), **(names or {})},
        types=types,
    )


@dataclass(frozen=True)
class Permissions:
    """What the user allowed beyond the default (see plan/custody.py)."""

    adopt: bool = False  # take over resources the tags claim but nothing proves ours
    force_owned: bool = False  # delete them, and data stores found by their tags alone


def _holding_data(workspace: Workspace, live: LiveState) -> frozenset[str]:
    """Physical ids of found data stores that the state does not vouch for and that hold
    data (a bucket only when it has objects): only the state may delete those."""
    candidates = [
        found
        for found in [*live.resources.values(), *live.duplicates]
        if RESOURCE_TYPES[found.type].data_store and not found.proof.in_state
    ]
    return frozenset(
        found.physical_id
        for found in candidates
        if workspace.providers[found.type].holds_data(found)
    )


def plan_stack(
    workspace: Workspace,
    stack: Stack,
    *,
    destroy: bool = False,
    targets: Collection[str] = (),
    permissions: Permissions = Permissions(),
    expires_in: int | None = None,
    regions: Collection[str] = (),
    names: Mapping[tuple[str, str], Mapping[str, str]] | None = None,
) -> PlannedRun:
    """Refresh and plan. `expires_in`: seconds from now the stack expires (apply/expiry.py;
    0: never), instead of what the file or AWS says. `regions`: where to look beyond the
    stack's own regions (a stack destroyed by name, found there by its tags); `names`: the
    names, by (type, region), of resources its tags were found on, for types read by name
    ({name: logical id}, as declared names are)."""
    store = workspace.store(stack)
    record = store.load()
    if not destroy:
        check_zones(stack, workspace.clients)
    live = discover_stack(workspace, stack, record, destroy=destroy, regions=regions, names=names)
    if not destroy:
        stack = with_expiry(stack, live, expires_in)
    prior = PriorState(
        applied={k: r.applied for k, r in record.resources.items() if r.applied is not None},
        dependencies={k: tuple(r.dependencies) for k, r in record.resources.items()},
        guards={k: r.guards for k, r in record.resources.items() if r.guards is not None},
    )
    outputs = StackOutputs(workspace, stack)
    custody = Custody(
        adopt=permissions.adopt,
        force_owned=permissions.force_owned,
        holding_data=_holding_data(workspace, live),
    )
    plan = make_plan(
        stack,
        live,
        account=workspace.clients.account_id(),
        destroy=destroy,
        targets=targets,
        prior=prior,
        lookups={} if destroy else resolve_lookups(stack, workspace.clients, outputs.value),
        custody=custody,
    )
    check_private_key_files(plan, stack, live)
    if not destroy:
        plan = check_group_users(plan, stack, live, workspace.clients)
    if outputs.inputs:
        plan = dataclasses.replace(plan, inputs=outputs.read())
    if destroy and not targets and record.outputs:
        # Only a stack that recorded outputs can be read by another: the others skip the
        # listing (and reading) of every state record in the backend.
        plan = dataclasses.replace(plan, warnings=(*plan.warnings, *consumers_of(workspace, stack)))
    return PlannedRun(stack, plan, live, store, record)


def _record_found(writer: StateWriter, run: PlannedRun) -> None:
    """Make the stack's lineage permanent and record what the plan adopts but the state
    misses (found by lineage after a crash or a lost state; adopted with --adopt)."""
    record = writer.record
    if record.lineage is None and (run.live.lineage or not run.plan.destroy):
        # A destroy never starts a lineage: one that found nothing (looking in the wrong
        # region) would otherwise disown what a later destroy finds with the stack's own.
        record.lineage = run.live.lineage or new_lineage()
    # An intent whose resource was not found made nothing (or what it made is gone).
    seen = {f.logical_id for f in [*run.live.resources.values(), *run.live.duplicates]}
    for address in sorted(set(record.intents) - seen):
        writer.drop_intent(address)
    adopted = {c.address: c.physical_id for c in run.plan.changes if c.action is not Action.DELETE}
    for address, found in sorted(run.live.resources.items()):
        if address in record.resources or adopted.get(address) != found.physical_id:
            continue  # recorded already, or left alone
        if found.proof is Proof.INTENT:
            continue  # the intent stays its proof until its ownership tags are written
        declared = run.stack.resources.get(address)
        writer.record_resource(
            address,
            type_name=found.type,
            region=found.region,
            physical_id=found.physical_id,
            dependencies=sorted(ordering_dependencies(run.stack, declared)) if declared else [],
            applied=None,
            guards=declared.lifecycle.guards() if declared else None,
        )


def apply_planned(
    workspace: Workspace,
    run: PlannedRun,
    *,
    parallelism: int = 10,
    cancel: threading.Event | None = None,
) -> ApplyResult:
    """Execute a plan; the caller holds the stack's lock (see `locked`)."""
    writer = StateWriter(run.store, run.record)
    _record_found(writer, run)
    if not run.plan.destroy:
        writer.set_reads(sorted({read.stack for read in run.plan.inputs}))
    result = execute_plan(
        run.plan,
        run.stack,
        run.live,
        workspace.providers,
        writer,
        events=workspace.events,
        timing=workspace.clients.timing,
        parallelism=parallelism,
        cancel=cancel,
        recheck_before_create=not workspace.shared_lock,
    )
    if run.plan.destroy and result.ok:
        _forget_what_is_gone(writer, run)
        if not writer.record.resources:
            writer.set_outputs({})
    return result


def _forget_what_is_gone(writer: StateWriter, run: PlannedRun) -> None:
    """After a destroy, records of resources no read found (deleted by hand, or long gone)
    go too: what stays recorded is only what the destroy left alone, so a record that
    outlives a destroy always names something that still exists."""
    found = {f.physical_id for f in [*run.live.resources.values(), *run.live.duplicates]}
    for address, record in sorted(writer.record.resources.items()):
        if record.physical_id not in found:
            writer.forget(address, record.physical_id)


def replan_saved(workspace: Workspace, stack: Stack, saved: Plan, source: Path) -> PlannedRun:
    """Refresh and check that nothing changed since the plan in `source` was saved."""
    account = workspace.clients.account_id()
    if saved.account and saved.account != account:
        raise StalePlanError(
            f"the plan in {source} was made for account {saved.account}, "
            f"but these credentials are for {account}",
            hint="use the credentials it was made with, or run deploy plan again",
        )
    store = workspace.store(stack)
    record = store.load()
    live = discover_stack(workspace, stack, record, destroy=saved.destroy)
    if live_digest(live) != saved.live_digest:
        raise StalePlanError(
            f"the plan in {source} is stale: resources in AWS changed since it was made",
            hint="run deploy plan again and review the new plan",
        )
    return PlannedRun(stack, saved, live, store, record)


def pending_actions(plan: Plan) -> int:
    return sum(1 for change in plan.changes if change.action is not Action.NOOP)
