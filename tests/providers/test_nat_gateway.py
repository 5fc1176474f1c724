"""NAT gateway behaviour the contract suite cannot show on moto, where every NAT gateway is
available at once and deleted at once: pending and failed states, the delete wait, the
create retry while a new Elastic IP is not visible yet, and the idempotency token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.errors import ProviderError
from stackdeploy.events import Retrying, Waiting
from stackdeploy.model.live import LiveResource
from stackdeploy.providers.base import ResourceContext
from tests.providers.cases_ec2_gateways import NAT_GATEWAY
from tests.providers.harness import REGION, STACK, ContractRun, fail_times


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(NAT_GATEWAY, clients, aws)


def _ec2(run: ContractRun) -> RetryingClient:
    return run.clients.client("ec2", REGION)


def _create(run: ContractRun) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    props = run.canonical(NAT_GATEWAY.properties(run.prerequisites))
    return ctx, run.provider.create(ctx, props)


def _rewrite_gateways(run: ContractRun, change: Callable[[dict[str, Any]], None]) -> None:
    """Edit every NAT gateway in DescribeNatGateways responses the provider receives."""

    def handler(parsed: dict[str, Any], **_: Any) -> None:
        for gateway in parsed.get("NatGateways", []):
            change(gateway)

    _ec2(run).meta.events.register("after-call.ec2.DescribeNatGateways", handler)


def _waits(run: ContractRun) -> list[Waiting]:
    return [e for e in run.events.events if isinstance(e, Waiting)]


def _states_then_real(states: list[str]) -> Callable[[dict[str, Any]], None]:
    pending = list(states)

    def change(gateway: dict[str, Any]) -> None:
        if pending:
            gateway["State"] = pending.pop(0)

    return change


def test_create_waits_while_pending(run: ContractRun) -> None:
    _rewrite_gateways(run, _states_then_real(["pending", "pending"]))
    _, created = _create(run)
    assert [e.status for e in _waits(run)] == ["pending", "pending"]
    assert created.properties["public_ip"]


def test_failed_create_raises_with_aws_reason(run: ContractRun) -> None:
    def failed(gateway: dict[str, Any]) -> None:
        gateway.update(
            State="failed",
            FailureCode="Gateway.NotAttached",
            FailureMessage="Network vpc-0abc has no Internet gateway attached",
        )

    _rewrite_gateways(run, failed)
    with pytest.raises(ProviderError) as raised:
        _create(run)
    assert raised.value.code == "Gateway.NotAttached"
    assert "has no Internet gateway attached" in raised.value.message
    assert raised.value.address == "subject"


def test_create_retries_while_new_elastic_ip_is_not_visible(run: ContractRun) -> None:
    fail_times(run.clients, "CreateNatGateway", "InvalidAllocationID.NotFound", times=2)
    _, created = _create(run)
    retries = [e for e in run.events.events if isinstance(e, Retrying)]
    assert [e.code for e in retries] == ["InvalidAllocationID.NotFound"] * 2
    assert run.provider.read(REGION, created.physical_id) is not None


def test_create_sends_client_token_and_ownership_tags(run: ContractRun) -> None:
    sent: list[dict[str, Any]] = []
    _ec2(run).meta.events.register(
        "provide-client-params.ec2.CreateNatGateway",
        lambda params, **_: sent.append(dict(params)),
    )
    ctx, _ = _create(run)
    assert sent[0]["ClientToken"] == ctx.token
    [spec] = sent[0]["TagSpecifications"]
    assert spec["ResourceType"] == "natgateway"
    tags = {t["Key"]: t["Value"] for t in spec["Tags"]}
    assert tags.items() >= {**ctx.ownership_tags(), "az": "a"}.items()


def test_reads_ignore_deleting_and_deleted_gateways(run: ContractRun) -> None:
    _, created = _create(run)
    reported = {"State": ""}
    _rewrite_gateways(run, lambda gateway: gateway.update(reported))
    for state in ("deleting", "deleted", "failed"):
        reported["State"] = state
        assert run.provider.read(REGION, created.physical_id) is None
        assert run.provider.read_owned(REGION, STACK) == []


def test_delete_waits_until_deleted(run: ContractRun) -> None:
    ctx, created = _create(run)
    # moto deletes at once; AWS reports "deleting" for about a minute first.
    _rewrite_gateways(run, _states_then_real(["deleting", "deleting", "deleting"]))
    run.provider.delete(ctx, created)
    waits = _waits(run)
    assert [e.status for e in waits] == ["deleting"] * 3
    assert all(e.what == "NAT gateway to be deleted" for e in waits)
