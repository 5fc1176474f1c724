"""execute_plan: carry out exactly the plan shown, step by step, readiness-driven.

Each step resolves its references from what has already been applied, calls the provider,
records the result in state at once (so a crash loses nothing), and checks that AWS reports
what was asked. A failure skips only the steps that depend on it.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stackdeploy.aws.errors import AWS_ERRORS, as_provider_error, name_taken
from stackdeploy.aws.timing import Timing
from stackdeploy.discovery.state import Intent, StateWriter
from stackdeploy.errors import DeployError, InconsistentResultError
from stackdeploy.events import (
    EventSink,
    Interrupted,
    StepFailed,
    StepFinished,
    StepSkipped,
    StepStarted,
    current_address,
)
from stackdeploy.graph.build import ordering_dependencies
from stackdeploy.graph.walk import Outcome, walk
from stackdeploy.model.live import LiveResource, LiveState
from stackdeploy.model.refs import Lookup, Token, substitute
from stackdeploy.model.stack import Stack
from stackdeploy.model.values import UNKNOWN, contains_unknown
from stackdeploy.plan.custody import marks_to_write
from stackdeploy.plan.diff import diff_properties
from stackdeploy.plan.guards import ignoring, without_ignored
from stackdeploy.plan.steps import Step, StepKind, build_steps, critical_path_priority
from stackdeploy.plan.types import Action, Plan, ResourceChange
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.specs.base import ReplaceStrategy
from stackdeploy.specs.iam.policy import canonical_policies
from stackdeploy.specs.registry import RESOURCE_TYPES


@dataclass
class ApplyResult:
    done: dict[str, int] = field(
        default_factory=lambda: {"create": 0, "update": 0, "delete": 0, "forget": 0}
    )
    replaced: int = 0
    failures: dict[str, BaseException] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures and not self.interrupted


class _Executor:
    def __init__(
        self,
        plan: Plan,
        stack: Stack,
        live: LiveState,
        providers: Mapping[str, Provider],
        state: StateWriter,
        events: EventSink,
        timing: Timing,
        recheck: bool,
    ) -> None:
        self.plan, self.stack, self.providers = plan, stack, providers
        self.state, self.events, self.timing = state, events, timing
        self.changes = {change.address: change for change in plan.changes}
        self.found: dict[str, LiveResource] = dict(live.resources)
        for duplicate in live.duplicates:
            self.found[f"{duplicate.logical_id}~{duplicate.physical_id}"] = duplicate
        # Every physical id the plan saw per logical id: a create re-checks AWS for others.
        self.seen: dict[str, set[str]] = {}
        for found in [*live.resources.values(), *live.duplicates]:
            self.seen.setdefault(found.logical_id or "", set()).add(found.physical_id)
        self.recheck = recheck
        # Attributes dependents resolve their references against; updated as steps finish.
        self.attributes: dict[str, dict[str, Any]] = {}
        for address, found in live.resources.items():
            record = state.record.resources.get(address)
            applied = record.applied if record else None
            self.attributes[address] = _attributes(found.type, applied, found.properties)
        self._lock = threading.Lock()

    def context(self, change: ResourceChange) -> ResourceContext:
        record = self.state.record.resources.get(change.logical_id)
        marks = self.stack.marks()
        found = self.found.get(change.address)
        if found is not None:  # an expiry removed is written as "" over the one it had
            marks = {**marks_to_write(found, marks), **marks}
        return ResourceContext(
            stack=self.stack.name,
            logical_id=change.logical_id,
            region=change.region,
            token=uuid.uuid4().hex,
            events=self.events,
            timing=self.timing,
            applied=record.applied if record else None,
            lineage=self.state.record.lineage,
            marks=marks,
            keeps=change.keeps,
            unprotect=change.unprotect,
        )

    def _token_value(self, token: Token, region: str) -> Any:
        if isinstance(token, Lookup):
            # The value read when the plan was made: apply does exactly what was shown.
            return self.plan.lookups.get(token.scoped(region), UNKNOWN)
        derived = self.plan.derived.get(token.target, {})
        if token.attribute in derived:  # what it will be once applied, as the plan derived it
            return derived[token.attribute]
        with self._lock:
            return self.attributes.get(token.target, {}).get(token.attribute, UNKNOWN)

    def resolve(self, address: str) -> dict[str, Any]:
        resource = self.stack.resources[address]
        resolved: dict[str, Any] = canonical_policies(
            substitute(resource.properties, lambda token: self._token_value(token, resource.region))
        )
        name_property = RESOURCE_TYPES[resource.type].name_property
        planned = self.changes.get(address)
        if resource.generated_name and name_property and planned and planned.after:
            # The planner may have chosen the generated name's other form (see plan/names.py).
            resolved[name_property] = planned.after.get(name_property, resolved[name_property])
        if contains_unknown(resolved):
            unresolved = [k for k, v in resolved.items() if contains_unknown(v)]
            raise DeployError(
                f"cannot resolve {', '.join(unresolved)}: a referenced value is still unknown",
                address=address,
            )
        return resolved

    def run_step(self, step: Step) -> None:
        change = self.changes[step.address]
        token = current_address.set(step.address)
        started = time.monotonic()
        self.events(StepStarted(step.address, step.kind.value, step.replacing))
        try:
            physical_id = self._dispatch(step, change)
        except BaseException as error:
            self.events(
                StepFailed(step.address, step.kind.value, time.monotonic() - started, str(error))
            )
            if isinstance(error, AWS_ERRORS):
                raise as_provider_error(error, step.address) from error
            raise
        finally:
            current_address.reset(token)
        self.events(
            StepFinished(
                step.address,
                step.kind.value,
                time.monotonic() - started,
                physical_id,
                step.replacing,
            )
        )

    def _dispatch(self, step: Step, change: ResourceChange) -> str | None:
        provider = self.providers[change.type]
        ctx = self.context(change)
        if step.kind is StepKind.DELETE:
            found = self.found[step.address]
            provider = self.providers[found.type]
            successor = None
            if step.replacing and change.replace_strategy is ReplaceStrategy.CREATE_THEN_DELETE:
                with self._lock:
                    successor = self.attributes.get(step.address, {}).get("id")
            # The old resource is deleted where it is, even when the stack moved it elsewhere.
            where = dataclasses.replace(ctx, region=found.region, successor_id=successor)
            provider.delete(where, found)
            self.state.forget(change.logical_id, found.physical_id)
            return found.physical_id
        if step.kind is StepKind.FORGET:
            # Retained: it stays in AWS, no longer claimed by this stack or its state.
            found = self.found[step.address]
            where = dataclasses.replace(ctx, region=found.region)
            self.providers[found.type].remove_ownership(where, found)
            self.state.forget(change.logical_id, found.physical_id)
            return found.physical_id
        props = self.resolve(step.address)
        declared = self.stack.resources[step.address]
        ignored: tuple[str, ...] = ()
        if step.kind is StepKind.CREATE:
            result = self._create(provider, ctx, props)
        else:
            found = self.found[step.address]
            # What lifecycle.ignore_changes names keeps what AWS holds (plan/guards.py).
            ignored = declared.lifecycle.ignore_changes
            props = ignoring(provider.rtype, props, found.properties, ignored)
            if change.retag:
                provider.write_ownership(ctx, found)
            changes = without_ignored(
                diff_properties(provider.rtype, props, found.properties), ignored
            )
            result = provider.update(ctx, found, props, changes) if changes else found
        with self._lock:
            self.attributes[step.address] = _attributes(change.type, props, result.properties)
        self.state.record_resource(
            step.address,
            type_name=change.type,
            region=change.region,
            physical_id=result.physical_id,
            dependencies=sorted(ordering_dependencies(self.stack, declared)),
            applied=props,
            guards=declared.lifecycle.guards(),
        )
        self._check_consistent(change, props, result, ignored)
        return result.physical_id

    def _create(
        self, provider: Provider, ctx: ResourceContext, props: dict[str, Any]
    ) -> LiveResource:
        """Create, with the intent recorded first (so a run that dies before the result is
        recorded finds the resource by its name next time) and, for duplicable types when
        no account-wide lock keeps other runners out, a last look for a copy made since."""
        rtype = provider.rtype
        if self.recheck and rtype.duplicable:
            self._refuse_if_claimed(provider, ctx)
        name = props.get(rtype.name_property) if rtype.name_property else None
        intent = Intent(
            type=rtype.name,
            region=ctx.region,
            name=name if isinstance(name, str) else None,
            token=ctx.token,
        )
        self.state.record_intent(ctx.logical_id, intent)
        try:
            return provider.create(ctx, props)
        except Exception as error:
            if name_taken(error):  # AWS refused it: the name is someone else's, nothing made
                self.state.drop_intent(ctx.logical_id)
            raise

    def _refuse_if_claimed(self, provider: Provider, ctx: ResourceContext) -> None:
        known = self.seen.get(ctx.logical_id, set())
        claimants = [
            found
            for found in provider.find_claimants(ctx.region, ctx.stack, ctx.logical_id)
            if found.physical_id not in known
        ]
        if claimants:
            first = claimants[0]
            lineage = first.owner.lineage
            same = lineage is not None and lineage == ctx.lineage
            who = "this stack's lineage" if same else f"lineage {lineage or 'none'}"
            raise DeployError(
                f"{provider.rtype.name} {first.physical_id} appeared in AWS for this logical id "
                f"since the plan was made ({who}): another run is applying this stack",
                address=ctx.address,
                hint="nothing was created; run plan again once the other run is done "
                "(share state and its lock with --state-bucket to keep runs apart)",
            )

    def _check_consistent(
        self,
        change: ResourceChange,
        props: dict[str, Any],
        result: LiveResource,
        ignored: tuple[str, ...] = (),
    ) -> None:
        """Terraform's post-apply check: AWS must now report what we asked for."""
        rtype = RESOURCE_TYPES[change.type]
        mismatches = without_ignored(diff_properties(rtype, props, result.properties), ignored)
        if mismatches:
            details = "; ".join(
                f"{m.path}: asked {m.after!r}, got {m.before!r}" for m in mismatches
            )
            raise InconsistentResultError(
                f"provider produced an inconsistent result ({details})",
                address=change.address,
                hint="the resource was recorded; the next plan shows what still differs",
            )

    def outputs(self) -> dict[str, Any]:
        resolved: dict[str, Any] = substitute(
            self.stack.outputs, lambda token: self._token_value(token, self.stack.region)
        )
        return {k: (None if contains_unknown(v) else v) for k, v in resolved.items()}


def _attributes(
    type_name: str, applied: dict[str, Any] | None, live: dict[str, Any]
) -> dict[str, Any]:
    """What `${resource.x}` resolves against: what AWS reports, plus the write-only
    properties last applied (AWS never returns those, e.g. a key pair's private_key_path)."""
    rtype = RESOURCE_TYPES.get(type_name)
    if rtype is None or not applied:
        return dict(live)
    kept = {name: applied[name] for name in rtype.write_only if applied.get(name) is not None}
    return {**kept, **live}


def execute_plan(
    plan: Plan,
    stack: Stack,
    live: LiveState,
    providers: Mapping[str, Provider],
    state: StateWriter,
    *,
    events: EventSink,
    timing: Timing,
    parallelism: int = 10,
    cancel: threading.Event | None = None,
    recheck_before_create: bool = True,
) -> ApplyResult:
    """Walk the plan's steps. `recheck_before_create`: no account-wide lock keeps another
    runner out, so creates of duplicable types look at AWS once more first."""
    executor = _Executor(plan, stack, live, providers, state, events, timing, recheck_before_create)
    steps = build_steps(plan)

    def visit(key: str) -> None:
        executor.run_step(steps.nodes[key]["step"])

    def acknowledge(running: list[str]) -> None:
        in_flight = [steps.nodes[key]["step"] for key in running]
        events(Interrupted(None, tuple((step.address, step.kind.value) for step in in_flight)))

    walked = walk(
        steps,
        visit,
        parallelism=parallelism,
        priority=critical_path_priority(steps),
        cancel=cancel,
        on_cancel=acknowledge,
    )
    result = ApplyResult(interrupted=walked.interrupted or walked.cancelled)
    for key, outcome in sorted(walked.outcomes.items()):
        step: Step = steps.nodes[key]["step"]
        if outcome is Outcome.DONE:
            result.done[step.kind.value] += 1
        elif outcome is Outcome.FAILED:
            result.failures[step.address] = walked.errors[key]
        else:
            result.skipped.append(step.address)
            because = "the run was interrupted" if result.interrupted else "a dependency failed"
            events(StepSkipped(step.address, step.kind.value, because))
    result.replaced = sum(
        1
        for change in plan.changes
        if change.action is Action.REPLACE
        and all(
            walked.outcomes.get(f"{kind}:{change.address}") is Outcome.DONE
            for kind in ("delete", "create")
        )
    )
    result.skipped = sorted(set(result.skipped))
    if not plan.destroy and not result.failures and not result.interrupted:
        result.outputs = executor.outputs()
        state.set_outputs(result.outputs)
    return result
