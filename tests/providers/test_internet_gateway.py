"""Internet gateway behaviour beyond the contract: the order of a VPC move, the detach retry
while AWS still maps public addresses, and a delete that finds the gateway attached elsewhere."""

from __future__ import annotations

import pytest

from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.events import Retrying
from stackdeploy.model.live import LiveResource
from stackdeploy.providers.base import ResourceContext
from tests.providers.cases_ec2_gateways import INTERNET_GATEWAY
from tests.providers.harness import REGION, ContractRun, fail_times


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(INTERNET_GATEWAY, clients, aws)


def _ec2(run: ContractRun) -> RetryingClient:
    return run.clients.client("ec2", REGION)


def _create(run: ContractRun) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    props = run.canonical(INTERNET_GATEWAY.properties(run.prerequisites))
    return ctx, run.provider.create(ctx, props)


def _record(run: ContractRun, *operations: str) -> list[tuple[str, str]]:
    """(operation, VpcId) of every call of `operations`, in order."""
    calls: list[tuple[str, str]] = []
    for operation in operations:
        _ec2(run).meta.events.register(
            f"provide-client-params.ec2.{operation}",
            lambda params, operation=operation, **_: calls.append((operation, params["VpcId"])),
        )
    return calls


def test_vpc_change_detaches_from_old_then_attaches_to_new(run: ContractRun) -> None:
    ctx, created = _create(run)
    old, new = run.prerequisites.vpc_id(), run.prerequisites.second_vpc_id()
    calls = _record(run, "DetachInternetGateway", "AttachInternetGateway")
    props = run.canonical(
        INTERNET_GATEWAY.in_place_change(
            run.prerequisites, INTERNET_GATEWAY.properties(run.prerequisites)
        )
    )
    updated = run.provider.update(ctx, created, props, [])
    assert calls == [("DetachInternetGateway", old), ("AttachInternetGateway", new)]
    assert updated.properties["vpc_id"] == new


def test_delete_retries_detach_while_public_addresses_are_mapped(run: ContractRun) -> None:
    ctx, created = _create(run)
    fail_times(run.clients, "DetachInternetGateway", "DependencyViolation", times=2)
    run.provider.delete(ctx, created)
    retries = [e for e in run.events.events if isinstance(e, Retrying)]
    assert [(e.operation, e.code) for e in retries] == [
        ("ec2.DetachInternetGateway", "DependencyViolation")
    ] * 2
    assert run.provider.read(REGION, created.physical_id) is None


def test_delete_detaches_from_the_vpc_it_is_attached_to_now(run: ContractRun) -> None:
    ctx, created = _create(run)
    # Someone moved the gateway to another VPC outside stackdeploy.
    raw = run.prerequisites.ec2
    raw.detach_internet_gateway(
        InternetGatewayId=created.physical_id, VpcId=run.prerequisites.vpc_id()
    )
    raw.attach_internet_gateway(
        InternetGatewayId=created.physical_id, VpcId=run.prerequisites.second_vpc_id()
    )
    run.provider.delete(ctx, created)
    assert run.provider.read(REGION, created.physical_id) is None


def test_unattached_gateway_reads_vpc_id_none(run: ContractRun) -> None:
    ctx = run.context()
    created = run.provider.create(ctx, run.canonical({"tags": {"role": "spare"}}))
    assert created.properties["vpc_id"] is None
    run.provider.delete(ctx, created)
    assert run.provider.read(REGION, created.physical_id) is None
