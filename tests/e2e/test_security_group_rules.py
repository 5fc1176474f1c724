"""Two security groups that name each other (issue 7, item 2), through the CLI on moto behind
the strictness layer, checked with plain boto3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.e2e.leftovers import owned_resources
from tests.strict.core import StrictAws

pytestmark = pytest.mark.e2e

HEAD = """\
stack: tiers
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
"""

LISTED = (
    HEAD
    + """\
  lb_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      egress: [{port: 8080, security_group_ids: ["${app_sg.id}"]}]
  app_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      ingress: [{port: 8080, security_group_ids: ["${lb_sg.id}"]}]
"""
)

SEPARATE = (
    HEAD
    + """\
  lb_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      description: the load balancer
      ingress: [{port: 80, cidr_blocks: [0.0.0.0/0], description: HTTP}]
      egress: []
  app_sg:
    type: aws.ec2.security_group
    properties: {vpc_id: "${vpc.id}", description: the application}
  lb_to_app:
    type: aws.ec2.security_group_rule
    properties:
      security_group_id: ${lb_sg.id}
      direction: egress
      port: 8080
      referenced_security_group_id: ${app_sg.id}
  app_from_lb:
    type: aws.ec2.security_group_rule
    properties:
      security_group_id: ${app_sg.id}
      direction: ingress
      port: 8080
      referenced_security_group_id: ${lb_sg.id}
      description: from the load balancer
"""
)


def _groups(aws: str) -> dict[str, dict[str, Any]]:
    ec2 = boto3.client("ec2", region_name="us-west-2", endpoint_url=aws)
    found = ec2.describe_security_groups(
        Filters=[{"Name": "tag:stackdeploy:stack", "Values": ["tiers"]}]
    )["SecurityGroups"]
    return {g["Description"]: g for g in found}


def _rules(group: dict[str, Any], key: str) -> list[tuple[Any, ...]]:
    """(protocol, from, to, peer group or CIDR) of each rule of one direction."""
    return sorted(
        (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), peer)
        for p in group[key]
        for peer in [pair["GroupId"] for pair in p["UserIdGroupPairs"]]
        + [r["CidrIp"] for r in p["IpRanges"]]
    )


def test_groups_naming_each_other_are_a_cycle_whose_error_points_to_rule_resources(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "stack.yaml"
    stack.write_text(LISTED)
    refused = cli("plan", str(stack))
    assert refused.code == 1
    assert "dependency cycle: lb_sg -> app_sg -> lb_sg" in refused.stderr
    assert "security group 'app_sg' lists an ingress rule naming 'lb_sg'" in refused.stderr
    assert "aws.ec2.security_group_rule" in refused.stderr
    assert strict_aws.calls["ec2.DescribeSecurityGroups"] == 0  # refused before any AWS call


def test_rule_resources_let_two_groups_name_each_other_from_apply_to_destroy(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "stack.yaml"
    stack.write_text(SEPARATE)
    applied = cli("apply", str(stack), "--auto-approve")
    assert applied.code == 0, applied.stderr
    groups = _groups(aws)
    lb, app = groups["the load balancer"], groups["the application"]
    # Only what the rule resource allows goes out of lb_sg: `egress: []` revoked the default.
    assert _rules(lb, "IpPermissionsEgress") == [("tcp", 8080, 8080, app["GroupId"])]
    assert _rules(lb, "IpPermissions") == [("tcp", 80, 80, "0.0.0.0/0")]
    assert _rules(app, "IpPermissions") == [("tcp", 8080, 8080, lb["GroupId"])]
    assert _rules(app, "IpPermissionsEgress") == [("-1", None, None, "0.0.0.0/0")]
    rules = owned_resources(aws, "tiers")["security_group_rule"]
    assert len(rules) == 2  # tagged as the stack's, found by their tags
    assert cli("plan", str(stack), "--detailed-exitcode").code == 0, "no drift, no fight"

    # A new port is another rule: both rule resources are replaced, the groups untouched.
    stack.write_text(SEPARATE.replace("port: 8080", "port: 9090"))
    planned = cli("plan", str(stack), "--json")
    assert planned.actions() == {"lb_to_app": "replace", "app_from_lb": "replace"}
    assert cli("apply", str(stack), "--auto-approve").code == 0
    groups = _groups(aws)
    lb, app = groups["the load balancer"], groups["the application"]
    assert _rules(lb, "IpPermissionsEgress") == [("tcp", 9090, 9090, app["GroupId"])]
    assert _rules(app, "IpPermissions") == [("tcp", 9090, 9090, lb["GroupId"])]
    assert set(owned_resources(aws, "tiers")["security_group_rule"]).isdisjoint(rules)
    assert cli("plan", str(stack), "--detailed-exitcode").code == 0

    # A description changes in place.
    stack.write_text(SEPARATE.replace("port: 8080", "port: 9090").replace("from the", "via the"))
    assert cli("plan", str(stack), "--json").actions() == {"app_from_lb": "update"}
    assert cli("apply", str(stack), "--auto-approve").code == 0
    assert cli("plan", str(stack), "--detailed-exitcode").code == 0

    destroyed = cli("destroy", str(stack), "--auto-approve")
    assert destroyed.code == 0, destroyed.stderr
    assert owned_resources(aws, "tiers") == {}
    # Rules went before the groups they name: AWS never had to refuse a group's delete.
    assert strict_aws.count("DependencyViolation", settling=False) == 0
