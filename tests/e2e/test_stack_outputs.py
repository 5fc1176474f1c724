"""Stacks that use each other (issue 9): `${stack:network.vpc_id}` reads another stack's
recorded output from the same state backend; a copy reads the same copy; the plan names
where a value came from; destroying a stack that another reads warns and names it. Through
the CLI, on moto behind the strictness layer, checked with plain boto3."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.strict.core import StrictAws

pytestmark = pytest.mark.e2e

NETWORK = """\
stack: network
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: "10.{{ copy_index }}.0.0/16"}
outputs:
  vpc_id: ${vpc.id}
"""
APP = """\
stack: app
region: us-west-2
resources:
  web_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${stack:network.vpc_id}
      description: web
"""


def group_vpcs(aws: str) -> dict[str, str]:
    """stack -> the VPC of the group it owns."""
    ec2 = boto3.client("ec2", region_name="us-west-2", endpoint_url=aws)
    found = {}
    for group in ec2.describe_security_groups()["SecurityGroups"]:
        tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
        if "stackdeploy:stack" in tags:
            found[tags["stackdeploy:stack"]] = group["VpcId"]
    return found


def test_a_stack_reads_another_stacks_output_and_its_destroy_warns(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    network, app = workdir / "network.yaml", workdir / "app.yaml"
    network.write_text(NETWORK)
    app.write_text(APP)
    early = cli("plan", str(app))
    assert early.code == 1 and "stack network has no state" in early.stderr

    applied = cli("apply", str(network), "--auto-approve")
    assert applied.code == 0, applied.stderr
    vpc_id = applied.stdout.split('vpc_id = "')[1].split('"')[0]
    planned = cli("plan", str(app))
    assert "Reads: output vpc_id of stack network (recorded in" in planned.stdout
    assert cli("apply", str(app), "--auto-approve").code == 0
    assert group_vpcs(aws) == {"app": vpc_id}

    # The producer's no-op apply changes nothing the consumer reads.
    assert cli("apply", str(network), "--auto-approve").code == 0
    assert cli("plan", str(app), "--detailed-exitcode").code == 0
    assert cli("drift", str(app)).code == 0  # drift reads the other stack's output too

    warned = cli("plan", str(network), "--destroy")
    assert "stack app reads outputs of network" in warned.stdout

    app.write_text(APP.replace("network.vpc_id", "network.vpc"))
    missing = cli("plan", str(app))
    assert missing.code == 1
    assert "stack network recorded no output 'vpc' (its outputs: vpc_id)" in missing.stderr


def test_a_copy_reads_the_same_copy_of_the_other_stack(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    network, app = workdir / "network.yaml", workdir / "app.yaml"
    network.write_text(NETWORK)
    app.write_text(APP)
    assert cli("apply", str(network), "--copies", "ann,ben", "--auto-approve").code == 0
    result = cli("apply", str(app), "--copies", "ann,ben", "--auto-approve")
    assert result.code == 0, result.stderr
    ec2 = boto3.client("ec2", region_name="us-west-2", endpoint_url=aws)
    vpcs = {
        tag["Value"]: vpc["CidrBlock"]
        for vpc in ec2.describe_vpcs()["Vpcs"]
        for tag in vpc.get("Tags", [])
        if tag["Key"] == "stackdeploy:stack"
    }
    cidr_of = {vpc["VpcId"]: vpc["CidrBlock"] for vpc in ec2.describe_vpcs()["Vpcs"]}
    groups = group_vpcs(aws)
    assert {stack: cidr_of[vpc] for stack, vpc in groups.items()} == {
        "app-ann": vpcs["network-ann"],
        "app-ben": vpcs["network-ben"],
    }
    assert vpcs["network-ann"] != vpcs["network-ben"]
