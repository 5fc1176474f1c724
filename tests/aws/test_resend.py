"""What is sent again after a server error, counted where it matters: at the server.

A 500 that comes back after AWS acted (the proxy forwards first, then fails the answer) is
what made a create run twice: botocore resent it on its own. These tests drive the engine's
ClientFactory through the counting proxy and compare what moto holds with what was asked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code, http_status
from stackdeploy.aws.session import ClientFactory
from tests.conftest import FAST, REGION
from tests.proxy import CountingProxy

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
    }
)


@pytest.fixture
def proxy(aws: str) -> Iterator[CountingProxy]:
    with CountingProxy(aws) as running:
        yield running


@pytest.fixture
def clients(proxy: CountingProxy) -> ClientFactory:
    """The engine's client factory, talking to moto through the proxy."""
    return ClientFactory(endpoint_url=proxy.url, default_region=REGION, timing=FAST)


@pytest.fixture
def truth(aws: str) -> Any:
    """moto itself, past the proxy."""
    return boto3.client("ec2", region_name=REGION, endpoint_url=aws)


def _own_vpcs(truth: Any) -> list[dict[str, Any]]:
    return [vpc for vpc in truth.describe_vpcs()["Vpcs"] if not vpc["IsDefault"]]


def test_a_create_answered_by_a_5xx_after_reaching_the_server_is_sent_once(
    proxy: CountingProxy, clients: ClientFactory, truth: Any
) -> None:
    proxy.fail_after_forwarding("ec2.CreateVpc")
    with pytest.raises(ClientError) as raised:
        clients.client("ec2").create_vpc(CidrBlock="10.40.0.0/16")
    assert (error_code(raised.value), http_status(raised.value)) == ("InternalError", 500)
    assert proxy.count("ec2.CreateVpc") == 1
    assert len(_own_vpcs(truth)) == 1  # the create happened; the caller was told it failed


def test_a_read_answered_by_a_5xx_is_retried_by_our_policy_alone(
    proxy: CountingProxy, clients: ClientFactory, truth: Any
) -> None:
    truth.create_vpc(CidrBlock="10.41.0.0/16")
    proxy.fail_after_forwarding("ec2.DescribeVpcs")
    vpcs = clients.client("ec2").describe_vpcs()["Vpcs"]
    assert len(vpcs) == 2  # the default VPC and ours
    assert proxy.count("ec2.DescribeVpcs") == 2
    # Every request the server saw was one our policy made and counted: botocore sent none.
    assert clients.stats.calls["ec2.DescribeVpcs"] == 2
    assert clients.stats.retries["ec2.DescribeVpcs"] == 1


def test_a_write_declared_safe_to_repeat_is_resent_after_a_5xx(
    proxy: CountingProxy, clients: ClientFactory, aws: str
) -> None:
    iam = boto3.client("iam", region_name=REGION, endpoint_url=aws)
    iam.create_role(RoleName="resent", AssumeRolePolicyDocument=TRUST)
    proxy.fail_after_forwarding("iam.PutRolePolicy")
    clients.client("iam").put_role_policy(
        RoleName="resent", PolicyName="inline", PolicyDocument=POLICY
    )
    assert proxy.mutating() == {"iam.PutRolePolicy": 2}
    assert iam.list_role_policies(RoleName="resent")["PolicyNames"] == ["inline"]


def test_a_create_with_a_client_token_is_resent_after_a_5xx(
    proxy: CountingProxy, clients: ClientFactory
) -> None:
    proxy.fail_after_forwarding("ec2.RunInstances")
    launched = clients.client("ec2").run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1, ClientToken="resent-once"
    )
    assert len(launched["Instances"]) == 1
    # With the same token AWS answers the repeat with the first launch's instances. moto
    # ignores ClientToken, so what it holds afterwards says nothing about that: the count of
    # requests is what is checked here.
    assert proxy.count("ec2.RunInstances") == 2


def test_a_create_without_its_client_token_is_not_resent(
    proxy: CountingProxy, clients: ClientFactory
) -> None:
    proxy.fail_after_forwarding("ec2.RunInstances")
    with pytest.raises(ClientError):
        clients.client("ec2").run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1)
    assert proxy.count("ec2.RunInstances") == 1


def test_the_proxy_counts_writes_by_the_declaration(
    proxy: CountingProxy, clients: ClientFactory
) -> None:
    ec2, s3 = clients.client("ec2"), clients.client("s3")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    ec2.describe_vpcs(VpcIds=[vpc])
    ec2.delete_vpc(VpcId=vpc)
    s3.create_bucket(Bucket="counted", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.list_buckets()
    assert proxy.requests == {
        "ec2.CreateVpc": 1,
        "ec2.DescribeVpcs": 1,
        "ec2.DeleteVpc": 1,
        "s3.PUT": 1,
        "s3.GET": 1,
    }
    assert proxy.mutating_count() == 3
