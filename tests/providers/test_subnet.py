"""Subnet behaviour beyond the contract: the pending wait, public IPs requested at create, and
the delete retry while network interfaces drain."""

from __future__ import annotations

from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.events import Retrying, Waiting
from tests.providers.cases_ec2_gateways import SUBNET
from tests.providers.harness import REGION, ContractRun, fail_times


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(SUBNET, clients, aws)


def _ec2(run: ContractRun) -> RetryingClient:
    return run.clients.client("ec2", REGION)


def test_create_waits_while_pending(run: ContractRun) -> None:
    pending = ["pending"]

    def report_pending(parsed: dict[str, Any], **_: Any) -> None:
        for subnet in parsed.get("Subnets", []):
            if pending:
                subnet["State"] = pending.pop()

    _ec2(run).meta.events.register("after-call.ec2.DescribeSubnets", report_pending)
    run.provider.create(run.context(), run.canonical(SUBNET.properties(run.prerequisites)))
    waits = [e for e in run.events.events if isinstance(e, Waiting)]
    assert [e.status for e in waits] == ["pending"]


def test_public_ip_mapping_requested_at_create(run: ContractRun) -> None:
    raw = {**SUBNET.properties(run.prerequisites), "map_public_ip_on_launch": True}
    created = run.provider.create(run.context(), run.canonical(raw))
    assert created.properties["map_public_ip_on_launch"] is True
    [subnet] = run.prerequisites.ec2.describe_subnets(SubnetIds=[created.physical_id])["Subnets"]
    assert subnet["MapPublicIpOnLaunch"] is True


def test_delete_retries_while_interfaces_drain(run: ContractRun) -> None:
    ctx = run.context()
    created = run.provider.create(ctx, run.canonical(SUBNET.properties(run.prerequisites)))
    fail_times(run.clients, "DeleteSubnet", "DependencyViolation", times=3)
    run.provider.delete(ctx, created)
    retries = [e for e in run.events.events if isinstance(e, Retrying)]
    assert [e.code for e in retries] == ["DependencyViolation"] * 3
    assert run.provider.read(REGION, created.physical_id) is None
