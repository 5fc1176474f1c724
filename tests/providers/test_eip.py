"""Elastic IP behaviour beyond the contract: release waits while AWS says something (such as a
NAT gateway still being deleted) holds the address, and other errors surface at once."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.events import Retrying
from tests.providers.cases_ec2_gateways import EIP
from tests.providers.harness import REGION, ContractRun, fail_times


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(EIP, clients, aws)


def _ec2(run: ContractRun) -> RetryingClient:
    return run.clients.client("ec2", REGION)


@pytest.mark.parametrize("code", ["InvalidIPAddress.InUse", "AuthFailure"])
def test_release_waits_while_the_address_is_held(run: ContractRun, code: str) -> None:
    ctx = run.context()
    created = run.provider.create(ctx, run.canonical(EIP.properties(run.prerequisites)))
    fail_times(run.clients, "ReleaseAddress", code, times=2)
    run.provider.delete(ctx, created)
    retries = [e for e in run.events.events if isinstance(e, Retrying)]
    assert [(e.operation, e.code) for e in retries] == [("ec2.ReleaseAddress", code)] * 2
    assert run.provider.read(REGION, created.physical_id) is None


def test_release_does_not_retry_other_errors(run: ContractRun) -> None:
    ctx = run.context()
    created = run.provider.create(ctx, run.canonical(EIP.properties(run.prerequisites)))
    fail_times(run.clients, "ReleaseAddress", "UnauthorizedOperation", times=1)
    with pytest.raises(ClientError, match="UnauthorizedOperation"):
        run.provider.delete(ctx, created)
    assert not [e for e in run.events.events if isinstance(e, Retrying)]


def test_reads_back_allocation_and_address(run: ContractRun) -> None:
    created = run.provider.create(run.context(), run.canonical(EIP.properties(run.prerequisites)))
    [address] = run.prerequisites.ec2.describe_addresses(AllocationIds=[created.physical_id])[
        "Addresses"
    ]
    assert created.properties["allocation_id"] == address["AllocationId"] == created.physical_id
    assert created.properties["public_ip"] == address["PublicIp"]
    assert created.properties["domain"] == "vpc"
