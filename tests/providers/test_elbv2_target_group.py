"""Target group behaviour the contract suite does not show: registrations owned by someone
else are never read or compared, targets becoming managed, draining targets, deletes while a
listener still holds the group, and replacements that need a new name."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ProviderError
from stackdeploy.events import Retrying
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.providers.base import ResourceContext
from stackdeploy.specs.base import ReplaceStrategy
from tests.conftest import FAST
from tests.providers.cases_elbv2 import TARGET_GROUP, answer_error, fail_next, rewrite
from tests.providers.harness import REGION, STACK, ContractRun


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(TARGET_GROUP, clients, aws)


@pytest.fixture
def patient(aws: str) -> ContractRun:
    """Like run, with a visibility window long enough for a few retries on a busy machine."""
    timing = replace(FAST, visibility_deadline=5.0)
    clients = ClientFactory(endpoint_url=aws, default_region=REGION, timing=timing)
    return ContractRun(TARGET_GROUP, clients, aws)


def _raw(run: ContractRun, **changes: Any) -> dict[str, Any]:
    raw = {**TARGET_GROUP.properties(run.prerequisites), **changes}
    return {k: v for k, v in raw.items() if v is not None}


def _create(run: ContractRun, **changes: Any) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    return ctx, run.provider.create(ctx, run.canonical(_raw(run, **changes)))


def _plain(run: ContractRun) -> Any:
    return boto3.client("elbv2", region_name=REGION, endpoint_url=run.prerequisites.endpoint)


def test_registrations_made_by_others_are_never_read(run: ContractRun) -> None:
    _, created = _create(run, targets=None)
    # An Auto Scaling group registers its instances into the group.
    _plain(run).register_targets(
        TargetGroupArn=created.physical_id,
        Targets=[{"Id": run.prerequisites.running_instance_id()}],
    )
    run.clients.stats.calls.clear()
    [owned] = run.provider.read_owned(REGION, STACK)
    assert "targets" not in owned.properties
    assert "elbv2.DescribeTargetHealth" not in run.clients.stats.calls
    plan = make_plan(run.stack_with(_raw(run, targets=None)), run.live_state(owned))
    assert plan.change("subject").action is Action.NOOP


def test_targets_become_managed_in_place(run: ContractRun) -> None:
    ctx, created = _create(run, targets=None)
    change = make_plan(run.stack_with(_raw(run)), run.live_state(created)).change("subject")
    assert change.action is Action.UPDATE
    assert [c.path for c in change.changes] == ["targets"]
    updated = run.provider.update(ctx, created, change.after or {}, change.changes)
    instance = run.prerequisites.running_instance_id()
    assert updated.properties["targets"] == [{"id": instance, "port": 80}]
    assert updated.properties["tags"] == {"app": "web", "suite": "contract"}
    # From now on refresh reads the registrations.
    [owned] = run.provider.read_owned(REGION, STACK)
    assert owned.properties["targets"] == [{"id": instance, "port": 80}]


def test_draining_targets_count_as_deregistered(run: ContractRun) -> None:
    ctx, created = _create(run)
    old = run.prerequisites.running_instance_id()
    new = run.prerequisites.running_instance_id("b")

    def draining(parsed: dict[str, Any]) -> None:
        # AWS lists a deregistered target as draining for the deregistration delay.
        ids = {d["Target"]["Id"] for d in parsed["TargetHealthDescriptions"]}
        if old not in ids:
            parsed["TargetHealthDescriptions"].append(
                {"Target": {"Id": old, "Port": 80}, "TargetHealth": {"State": "draining"}}
            )

    rewrite(run.clients, "DescribeTargetHealth", draining)
    raw = _raw(run, targets=[{"id": new}])
    change = make_plan(run.stack_with(raw), run.live_state(created)).change("subject")
    updated = run.provider.update(ctx, created, change.after or {}, change.changes)
    assert updated.properties["targets"] == [{"id": new, "port": 80}]


def test_registering_retries_while_an_instance_is_not_running_yet(patient: ContractRun) -> None:
    fail_next(patient.clients, "RegisterTargets", "InvalidTarget", times=2)
    _, created = _create(patient)
    assert created.properties["targets"]
    retries = [e.code for e in patient.events.events if isinstance(e, Retrying)]
    assert retries == ["InvalidTarget", "InvalidTarget"]


def test_delete_waits_out_a_listener_just_deleted(patient: ContractRun) -> None:
    ctx, created = _create(patient)
    fail_next(patient.clients, "DeleteTargetGroup", "ResourceInUse", times=2)
    patient.provider.delete(ctx, created)
    assert patient.provider.read(REGION, created.physical_id) is None


def test_delete_of_a_group_still_in_use_is_explained(run: ContractRun) -> None:
    ctx, created = _create(run)
    answer_error(run.clients, "DeleteTargetGroup", lambda _: "ResourceInUse")
    with pytest.raises(ProviderError) as raised:
        run.provider.delete(ctx, created)
    assert raised.value.code == "ResourceInUse"
    assert "listener" in (raised.value.hint or "")


def test_a_replacement_is_created_first_under_the_other_form_of_its_name(
    run: ContractRun,
) -> None:
    ctx, created = _create(run)
    change = make_plan(run.stack_with(_raw(run, port=8080)), run.live_state(created)).change(
        "subject"
    )
    assert change.action is Action.REPLACE
    assert change.replace_strategy is ReplaceStrategy.CREATE_THEN_DELETE
    port = next(c for c in change.changes if c.path == "port")
    assert port.forces_replacement
    old_name = created.properties["name"]
    assert (change.after or {})["name"] == f"{old_name}-2"
    # The old name is taken while the old group exists: AWS refuses a second group under it.
    with pytest.raises(ProviderError) as raised:
        run.provider.create(ctx, {**(change.after or {}), "name": old_name})
    assert raised.value.code == "DuplicateTargetGroupName"
    assert run.provider.create(ctx, change.after or {}).properties["port"] == 8080
