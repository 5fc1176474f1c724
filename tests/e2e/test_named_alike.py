"""Resources named alike (issue 7, item 3): a launch template, a target group and the Auto
Scaling group that uses both, all named `web`, through the CLI on moto behind the strictness
layer, checked with plain boto3."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.e2e.leftovers import owned_resources
from tests.strict.core import StrictAws

pytestmark = pytest.mark.e2e

NAMED_ALIKE = """\
stack: alike
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  a:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24, availability_zone: us-west-2a}
  b:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.2.0/24, availability_zone: us-west-2b}
  template:
    type: aws.ec2.launch_template
    properties: {name: web, image_id: ami-12345678, instance_type: t3.micro}
  targets:
    type: aws.elbv2.target_group
    properties: {name: web, protocol: HTTP, port: 80, vpc_id: "${vpc.id}"}
  group:
    type: aws.autoscaling.group
    properties:
      name: web
      launch_template_id: ${template.id}
      subnet_ids: ["${a.id}", "${b.id}"]
      target_group_arns: ["${targets.arn}"]
      min_size: 1
      max_size: 1
"""


def test_a_template_and_a_target_group_named_like_their_group_apply_and_destroy(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    """A name that equals another resource's id (the group's name is its id) is no reference:
    destroy deletes the group first, then what it used, and no steps cycle stops it."""
    stack = workdir / "stack.yaml"
    stack.write_text(NAMED_ALIKE)
    applied = cli("apply", str(stack), "--auto-approve")
    assert applied.code == 0, applied.stderr
    autoscaling = boto3.client("autoscaling", region_name="us-west-2", endpoint_url=aws)
    [group] = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])[
        "AutoScalingGroups"
    ]
    assert group["LaunchTemplate"]["LaunchTemplateName"] == "web"
    assert [arn.rsplit("/", 2)[1] for arn in group["TargetGroupARNs"]] == ["web"]
    assert cli("plan", str(stack), "--detailed-exitcode").code == 0

    destroyed = cli("destroy", str(stack), "--auto-approve")
    assert destroyed.code == 0, destroyed.stderr
    assert "cycle" not in destroyed.stderr
    assert owned_resources(aws, "alike") == {}
    out_of_order = strict_aws.count("DependencyViolation", settling=False)
    assert out_of_order + strict_aws.count("ResourceInUse", settling=False) == 0
