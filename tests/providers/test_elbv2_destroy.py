"""A whole application load balancer stack through the engine, with AWS strictness on:
apply, no-op plan, an in-place change, and a destroy in the order AWS enforces (rules and
listeners before target groups, the load balancer before its subnets and security group,
which then wait for its network interfaces to be released)."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from stackdeploy.report.plan_json import short_action
from tests.conftest import REGION
from tests.providers.conftest import Run
from tests.strict import StrictAws

STACK = """\
stack: alb-teardown
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.40.0.0/16}
  subnet_a:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.40.1.0/24, availability_zone: us-west-2a}
  subnet_b:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.40.2.0/24, availability_zone: us-west-2b}
  igw:
    type: aws.ec2.internet_gateway
    properties: {vpc_id: "${vpc.id}"}
  alb_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      ingress: [{protocol: tcp, port: 80, cidr_blocks: [0.0.0.0/0]}]
  alb:
    type: aws.elbv2.load_balancer
    properties:
      subnet_ids: ["${subnet_a.id}", "${subnet_b.id}"]
      security_group_ids: ["${alb_sg.id}"]
      deletion_protection: __PROTECTED__
  web:
    type: aws.elbv2.target_group
    properties: {port: 80, vpc_id: "${vpc.id}", health_check: {path: /health}}
  http:
    type: aws.elbv2.listener
    properties:
      load_balancer_arn: ${alb.arn}
      port: 80
      default_action: {type: forward, target_group_arn: "${web.arn}"}
  api:
    type: aws.elbv2.listener_rule
    properties:
      listener_arn: ${http.arn}
      priority: __PRIORITY__
      conditions: [{path_patterns: [/api/*]}]
      action: {type: fixed-response, fixed_response: {status_code: 200, message_body: ok}}
outputs:
  url: http://${alb.dns_name}/
"""


def _write(tmp_path: Path, *, priority: int = 10, protected: bool = False) -> str:
    path = tmp_path / "alb.yaml"
    text = STACK.replace("__PRIORITY__", str(priority))
    path.write_text(text.replace("__PROTECTED__", str(protected).lower()))
    return str(path)


def _owned(aws: str) -> list[str]:
    """Every ELB v2 resource and the VPC still tagged as the stack's, read with plain boto3."""
    elbv2 = boto3.client("elbv2", region_name=REGION, endpoint_url=aws)
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=aws)
    arns = [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    arns += [g["TargetGroupArn"] for g in elbv2.describe_target_groups()["TargetGroups"]]
    tagged = elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"] if arns else []
    owned = [
        d["ResourceArn"]
        for d in tagged
        if {"Key": "stackdeploy:stack", "Value": "alb-teardown"} in d["Tags"]
    ]
    vpcs = ec2.describe_vpcs(
        Filters=[{"Name": "tag:stackdeploy:stack", "Values": ["alb-teardown"]}]
    )
    return owned + [v["VpcId"] for v in vpcs["Vpcs"]]


def _actions(plan_json: str) -> dict[str, str]:
    changes = json.loads(plan_json)["resource_changes"]
    named = {c["address"]: short_action(c["change"]["actions"]) for c in changes}
    return {address: action for address, action in named.items() if action != "no-op"}


@pytest.mark.e2e
def test_apply_change_and_destroy_in_aws_order(
    deploy: Run, tmp_path: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = _write(tmp_path)
    code, _, err = deploy("apply", stack, "--auto-approve")
    assert code == 0, err
    assert deploy("plan", stack, "--detailed-exitcode")[0] == 0
    _, out, _ = deploy("output", stack, "url")
    assert ".elb.amazonaws.com" in out

    stack = _write(tmp_path, priority=20)
    _, out, _ = deploy("plan", stack, "--json")
    assert _actions(out) == {"api": "update"}
    assert deploy("apply", stack, "--auto-approve")[0] == 0
    assert deploy("plan", stack, "--detailed-exitcode")[0] == 0

    code, _, err = deploy("destroy", stack, "--auto-approve")
    assert code == 0, err
    assert _owned(aws) == []
    # Ordered deletes: no target group was in use when deleted. The subnets and the group
    # waited for the load balancer's network interfaces (refused, then retried).
    assert strict_aws.count("ResourceInUse") == 0
    assert strict_aws.count("DependencyViolation", "ec2.DeleteSecurityGroup") > 0


@pytest.mark.e2e
def test_destroy_of_a_protected_load_balancer_fails_until_protection_is_off(
    deploy: Run, tmp_path: Path, aws: str
) -> None:
    stack = _write(tmp_path, protected=True)
    assert deploy("apply", stack, "--auto-approve")[0] == 0
    code, _, err = deploy("destroy", stack, "--auto-approve")
    assert code == 1
    assert "deletion protection" in err
    assert "set deletion_protection: false" in err
    stack = _write(tmp_path, protected=False)
    code, _, err = deploy("apply", stack, "--auto-approve")
    assert code == 0, err
    code, _, err = deploy("destroy", stack, "--auto-approve")
    assert code == 0, err
    assert _owned(aws) == []
