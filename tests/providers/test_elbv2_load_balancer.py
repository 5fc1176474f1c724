"""Application load balancer behaviour the contract suite cannot show on moto, where a load
balancer is active at once, deleted at once and never protected: provisioning and failed
states, the delete wait, deletion protection, create retries, and batched reads."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ProviderError
from stackdeploy.events import Retrying, Waiting
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.providers.base import ResourceContext
from stackdeploy.specs.elbv2.load_balancer import LOAD_BALANCER as SPEC
from tests.conftest import FAST
from tests.providers.cases_elbv2 import LOAD_BALANCER, answer_error, fail_next, rewrite
from tests.providers.harness import REGION, STACK, ContractRun


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(LOAD_BALANCER, clients, aws)


@pytest.fixture
def patient(aws: str) -> ContractRun:
    """Like run, with a visibility window long enough for a few retries on a busy machine."""
    timing = replace(FAST, visibility_deadline=5.0)
    clients = ClientFactory(endpoint_url=aws, default_region=REGION, timing=timing)
    return ContractRun(LOAD_BALANCER, clients, aws)


def _create(run: ContractRun, **changes: Any) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    props = run.canonical({**LOAD_BALANCER.properties(run.prerequisites), **changes})
    return ctx, run.provider.create(ctx, props)


def _states(run: ContractRun, states: list[dict[str, str]]) -> None:
    """The next DescribeLoadBalancers answers report these states, then moto's own."""
    pending = list(states)

    def change(parsed: dict[str, Any]) -> None:
        if pending:
            state = pending.pop(0)
            for balancer in parsed.get("LoadBalancers", []):
                balancer["State"] = state

    rewrite(run.clients, "DescribeLoadBalancers", change)


def _waits(run: ContractRun) -> list[Waiting]:
    return [e for e in run.events.events if isinstance(e, Waiting)]


def test_create_waits_while_provisioning(run: ContractRun) -> None:
    _states(run, [{"Code": "provisioning"}, {"Code": "provisioning"}])
    _, created = _create(run)
    assert [e.status for e in _waits(run)] == ["provisioning", "provisioning"]
    assert created.properties["dns_name"]
    assert created.properties["arn_suffix"].startswith("app/contract-subject/")


def test_failed_provisioning_raises_with_aws_reason(run: ContractRun) -> None:
    _states(run, [{"Code": "failed", "Reason": "Not enough IP space in subnet"}])
    with pytest.raises(ProviderError) as raised:
        _create(run)
    assert "failed to provision: Not enough IP space in subnet" in raised.value.message
    assert raised.value.address == "subject"


def test_create_retries_while_a_new_subnet_is_not_visible(patient: ContractRun) -> None:
    fail_next(patient.clients, "CreateLoadBalancer", "SubnetNotFound", times=2)
    _create(patient)
    retries = [e for e in patient.events.events if isinstance(e, Retrying)]
    assert [e.code for e in retries] == ["SubnetNotFound", "SubnetNotFound"]


def test_a_name_taken_outside_the_stack_is_explained(run: ContractRun) -> None:
    fail_next(run.clients, "CreateLoadBalancer", "DuplicateLoadBalancerName")
    with pytest.raises(ProviderError) as raised:
        _create(run)
    assert raised.value.code == "DuplicateLoadBalancerName"
    assert "contract-subject" in raised.value.message


def test_protected_load_balancer_is_not_deleted_and_says_what_to_do(run: ContractRun) -> None:
    ctx, created = _create(run, deletion_protection=True)
    assert created.properties["deletion_protection"] is True
    # moto ignores the protection; AWS refuses with this code.
    answer_error(run.clients, "DeleteLoadBalancer", lambda _: "OperationNotPermitted")
    with pytest.raises(ProviderError) as raised:
        run.provider.delete(ctx, created)
    assert raised.value.code == "OperationNotPermitted"
    assert "deletion_protection: false" in (raised.value.hint or "")
    assert run.provider.read(REGION, created.physical_id) is not None
    note = SPEC.delete_note({"deletion_protection": True})
    assert note is not None
    assert "deletion_protection: false" in note


def test_delete_waits_until_the_load_balancer_is_gone(run: ContractRun) -> None:
    ctx, created = _create(run)
    listed = [2]

    def still_listed(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not listed[0]:
            return None
        listed[0] -= 1
        balancer = {"LoadBalancerArn": created.physical_id, "State": {"Code": "active"}}
        return AWSResponse("", 200, {}, None), {
            "LoadBalancers": [balancer],
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }

    run.provider.delete(ctx, created)  # moto deletes at once; AWS lists it a little longer
    events = run.clients.client("elbv2", REGION).meta.events
    events.register_first("before-call.elbv2.DescribeLoadBalancers", still_listed)
    run.events.events.clear()
    run.provider.delete(ctx, created)
    assert [e.what for e in _waits(run)] == ["load balancer to be deleted"] * 2


def test_owned_load_balancers_are_read_in_a_few_calls(run: ContractRun) -> None:
    _create(run)
    run.logical_id = "second"
    _create(run, name="contract-second")
    # Someone else's load balancer: listed and its tags read, nothing more.
    boto3.client(
        "elbv2", region_name=REGION, endpoint_url=run.prerequisites.endpoint
    ).create_load_balancer(
        Name="someone-elses", Subnets=LOAD_BALANCER.properties(run.prerequisites)["subnet_ids"]
    )
    run.clients.stats.calls.clear()
    owned = run.provider.read_owned(REGION, STACK)
    assert sorted(o.logical_id or "" for o in owned) == ["second", "subject"]
    calls = dict(run.clients.stats.calls)
    assert calls == {
        "elbv2.DescribeLoadBalancers": 1,
        "elbv2.DescribeTags": 1,
        "elbv2.DescribeLoadBalancerAttributes": 2,
    }


def test_read_many_leaves_out_deleted_load_balancers(run: ContractRun) -> None:
    ctx, kept = _create(run)
    run.logical_id = "gone"
    _, gone = _create(run, name="contract-gone")
    run.provider.delete(ctx, gone)
    found = run.provider.read_many(REGION, [kept.physical_id, gone.physical_id])
    assert list(found) == [kept.physical_id]


def test_protection_and_idle_timeout_change_in_place(run: ContractRun) -> None:
    ctx, created = _create(run)
    raw = {**LOAD_BALANCER.properties(run.prerequisites), "deletion_protection": True}
    raw["idle_timeout"] = 400
    change = make_plan(run.stack_with(raw), run.live_state(created)).change("subject")
    assert change.action is Action.UPDATE
    assert [c.path for c in change.changes] == ["deletion_protection", "idle_timeout"]
    updated = run.provider.update(ctx, created, change.after or {}, change.changes)
    assert (updated.properties["deletion_protection"], updated.properties["idle_timeout"]) == (
        True,
        400,
    )


def test_unmanaged_security_groups_are_left_to_aws(run: ContractRun) -> None:
    """Without security_group_ids AWS picks the VPC's default group: never a change."""
    raw = dict(LOAD_BALANCER.properties(run.prerequisites))
    raw.pop("security_group_ids")
    ctx = run.context()
    created = run.provider.create(ctx, run.canonical(raw))
    change = make_plan(run.stack_with(raw), run.live_state(created)).change("subject")
    assert change.action is Action.NOOP
