"""A 5xx whose body is an HTML page (from a proxy or a load balancer in front of the endpoint)
is a server error like any other: reads are retried, creates that a repeat would duplicate
are not, and the user reads what happened instead of "internal error"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.parsers import ResponseParserError

from stackdeploy.aws.errors import as_provider_error
from stackdeploy.aws.session import ClientFactory
from stackdeploy.cli.main import main
from tests.conftest import FAST, REGION
from tests.proxy import CountingProxy

NETWORK = """\
stack: paged
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
"""


@pytest.fixture
def proxy(aws: str) -> Iterator[CountingProxy]:
    with CountingProxy(aws) as running:
        yield running


@pytest.fixture
def clients(proxy: CountingProxy) -> ClientFactory:
    return ClientFactory(endpoint_url=proxy.url, default_region=REGION, timing=FAST)


def test_a_read_answered_by_an_error_page_is_retried(
    proxy: CountingProxy, clients: ClientFactory
) -> None:
    proxy.error_page_after_forwarding("ec2.DescribeVpcs", times=2)
    assert clients.client("ec2").describe_vpcs()["Vpcs"]
    assert proxy.count("ec2.DescribeVpcs") == 3
    assert clients.stats.retries["ec2.DescribeVpcs"] == 2


def test_a_create_answered_by_an_error_page_is_sent_once_and_explained(
    proxy: CountingProxy, clients: ClientFactory
) -> None:
    proxy.error_page_after_forwarding("ec2.CreateVpc")
    with pytest.raises(ResponseParserError) as raised:
        clients.client("ec2").create_vpc(CidrBlock="10.40.0.0/16")
    assert proxy.count("ec2.CreateVpc") == 1
    error = as_provider_error(raised.value, "vpc")
    assert error.message == "the endpoint answered with something that is not an AWS response"
    assert error.hint and "proxy or load balancer" in error.hint


def test_the_cli_plans_through_error_pages_and_reports_one_it_cannot_get_past(
    proxy: CountingProxy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr("stackdeploy.cli.runtime.TIMING", FAST)
    stack = tmp_path / "paged.yaml"
    stack.write_text(NETWORK)
    target = ["--endpoint-url", proxy.url, "--state-dir", str(tmp_path / "state")]
    proxy.error_page_after_forwarding("ec2.DescribeVpcs", times=2)
    assert main(["plan", str(stack), *target]) == 0
    proxy.error_page_after_forwarding("ec2.CreateVpc")
    capsys.readouterr()
    assert main(["apply", str(stack), "--auto-approve", *target]) == 1
    stderr = capsys.readouterr().err
    assert "internal error" not in stderr
    assert "not an AWS response" in stderr
    assert main(["plan", str(stack), "--detailed-exitcode", *target]) == 0  # found, adopted
