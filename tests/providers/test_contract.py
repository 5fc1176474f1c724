"""Every provider honours the contract the planner and executor rely on."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.model.live import Owner
from stackdeploy.plan.diff import diff_properties
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.registry import PROVIDER_CLASSES
from tests.providers.cases_autoscaling import CASES as AUTOSCALING_CASES
from tests.providers.cases_compute import CASES as COMPUTE_CASES
from tests.providers.cases_dynamodb import CASES as DYNAMODB_CASES
from tests.providers.cases_ec2 import CASES as EC2_CASES
from tests.providers.cases_ec2_gateways import CASES as GATEWAY_CASES
from tests.providers.cases_ec2_routing import CASES as ROUTING_CASES
from tests.providers.cases_elb import CASES as ELB_CASES
from tests.providers.cases_elbv2 import CASES as ELBV2_CASES
from tests.providers.cases_iam import CASES as IAM_CASES
from tests.providers.cases_kms import CASES as KMS_CASES
from tests.providers.cases_rds import CASES as RDS_CASES
from tests.providers.cases_s3 import CASES as S3_CASES
from tests.providers.harness import REGION, STACK, ContractRun

CASES = (
    EC2_CASES
    + GATEWAY_CASES
    + ROUTING_CASES
    + IAM_CASES
    + COMPUTE_CASES
    + AUTOSCALING_CASES
    + ELB_CASES
    + ELBV2_CASES
    + KMS_CASES
    + DYNAMODB_CASES
    + RDS_CASES
    + S3_CASES
)
IDS = [case.id for case in CASES]


@pytest.fixture(params=CASES, ids=IDS)
def run(request: pytest.FixtureRequest, clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(request.param, clients, aws)


def _create(run: ContractRun) -> tuple[ResourceContext, dict[str, Any], Any]:
    ctx = run.context()
    props = run.canonical(run.case.properties(run.prerequisites))
    return ctx, props, run.provider.create(ctx, props)


def test_every_registered_type_has_a_case() -> None:
    assert set(PROVIDER_CLASSES) <= {case.type_name for case in CASES}


def test_create_then_read_equals_spec(run: ContractRun) -> None:
    _, props, created = _create(run)
    assert diff_properties(run.rtype, props, created.properties) == []
    read = run.provider.read(REGION, created.physical_id)
    assert read is not None
    assert diff_properties(run.rtype, props, read.properties) == []
    assert read.properties["id"] == created.physical_id


def test_created_resource_is_found_by_ownership_tags(run: ContractRun) -> None:
    """A create whose state write was lost is adopted on the next run, not duplicated."""
    _, _, created = _create(run)
    owned = run.provider.read_owned(REGION, STACK)
    assert [(o.physical_id, o.logical_id) for o in owned] == [(created.physical_id, "subject")]
    plan = make_plan(
        run.stack_with(run.case.properties(run.prerequisites)), run.live_state(owned[0])
    )
    assert plan.change("subject").action is Action.NOOP


def test_read_of_missing_resource_is_absent(run: ContractRun) -> None:
    _, _, created = _create(run)
    run.provider.delete(run.context(), created)
    assert run.provider.read(REGION, created.physical_id) is None
    assert run.provider.read_owned(REGION, STACK) == []


def test_delete_twice_is_fine(run: ContractRun) -> None:
    _, _, created = _create(run)
    run.provider.delete(run.context(), created)
    run.provider.delete(run.context(), created)


def test_in_place_change_is_an_update_that_reads_back(run: ContractRun) -> None:
    ctx, _, created = _create(run)
    raw_changed = run.case.in_place_change(
        run.prerequisites, run.case.properties(run.prerequisites)
    )
    plan = make_plan(run.stack_with(raw_changed), run.live_state(created))
    change = plan.change("subject")
    assert change.action is Action.UPDATE
    updated = run.provider.update(ctx, created, change.after or {}, change.changes)
    assert updated.physical_id == created.physical_id
    assert diff_properties(run.rtype, change.after or {}, updated.properties) == []


def test_create_only_change_plans_a_replacement(run: ContractRun) -> None:
    if run.case.replacing_change is None:
        assert not run.rtype.create_only, "a type with create-only properties needs a case"
        return
    _, _, created = _create(run)
    raw_changed = run.case.replacing_change(
        run.prerequisites, run.case.properties(run.prerequisites)
    )
    change = make_plan(run.stack_with(raw_changed), run.live_state(created)).change("subject")
    assert change.action is Action.REPLACE
    assert change.replace_paths()
    assert set(change.replace_paths()) <= run.rtype.create_only


def test_case_changes_are_meaningful(run: ContractRun) -> None:
    """Guard the suite itself: each case's changes must really differ from its base."""
    base = run.case.properties(run.prerequisites)
    assert run.case.in_place_change(run.prerequisites, base) != base
    if run.case.replacing_change is not None:
        assert run.case.replacing_change(run.prerequisites, base) != base


def test_ownership_tags_are_written_onto_an_adopted_resource(run: ContractRun) -> None:
    """--adopt and an interrupted create's intent rewrite the ownership tags (the lineage
    among them) of a resource that exists, and leave its own tags as they were."""
    _, props, created = _create(run)
    adopting = dataclasses.replace(run.context(), lineage="adopted-lineage")
    run.provider.write_ownership(adopting, created)
    read = run.provider.read(REGION, created.physical_id)
    assert read is not None
    assert read.owner == Owner(STACK, "subject", "adopted-lineage")
    assert diff_properties(run.rtype, props, read.properties) == []
    [found] = run.provider.read_owned(REGION, STACK)
    assert found.owner.lineage == "adopted-lineage"


def test_a_retained_resource_loses_only_its_stackdeploy_tags(run: ContractRun) -> None:
    """lifecycle.retain_on_delete: the resource stays, untagged for the stack (no plan, `ls`
    or sweep finds it as the stack's any more), with its own tags and properties as they
    were; untagging twice, or something already gone, is fine."""
    ctx, props, created = _create(run)
    run.provider.remove_ownership(ctx, created)
    read = run.provider.read(REGION, created.physical_id)
    assert read is not None
    assert read.owner == Owner()
    assert diff_properties(run.rtype, props, read.properties) == []
    assert run.provider.read_owned(REGION, STACK) == []
    run.provider.remove_ownership(ctx, created)
    run.provider.delete(ctx, created)
    run.provider.remove_ownership(ctx, created)
