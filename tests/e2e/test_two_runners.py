"""Two checkouts applying one stack at once, each with its own local state (no shared lock):
the second never makes a second VPC. Engine level, on moto behind the strictness layer."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from stackdeploy.apply.engine import Workspace, apply_planned, plan_stack
from stackdeploy.aws.session import ClientFactory
from stackdeploy.config.loader import load_stack
from tests.conftest import FAST, REGION
from tests.strict.core import StrictAws

pytestmark = pytest.mark.e2e

STACK = """\
stack: racing
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}
"""


def owned(aws: str, kind: str) -> list[str]:
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=aws)
    owner = [{"Name": "tag:stackdeploy:stack", "Values": ["racing"]}]
    if kind == "vpc":
        return [v["VpcId"] for v in ec2.describe_vpcs(Filters=owner)["Vpcs"]]
    return [s["SubnetId"] for s in ec2.describe_subnets(Filters=owner)["Subnets"]]


def test_a_runner_that_planned_before_another_applied_creates_no_second_vpc(
    aws: str, strict_aws: StrictAws, tmp_path: Path
) -> None:
    path = tmp_path / "racing.yaml"
    path.write_text(STACK)
    stack = load_stack(path)

    def checkout(name: str) -> Workspace:
        clients = ClientFactory(endpoint_url=aws, default_region=REGION, timing=FAST)
        return Workspace(clients, tmp_path / name / "state")

    late, early = checkout("late"), checkout("early")
    late_run = plan_stack(late, stack)  # sees an empty account
    assert {c.action.value for c in late_run.plan.changes} == {"create"}
    assert apply_planned(early, plan_stack(early, stack)).ok

    result = apply_planned(late, late_run)
    assert set(result.failures) == {"vpc"}
    message = str(result.failures["vpc"])
    assert "appeared in AWS for this logical id since the plan was made" in message
    assert "--state-bucket" in message
    assert result.skipped == ["subnet"]
    assert len(owned(aws, "vpc")) == 1
    assert len(owned(aws, "subnet")) == 1
