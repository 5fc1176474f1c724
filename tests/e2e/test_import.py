"""`deploy import` (issue 9): a VPC made with plain boto3 and declared in the stack file is
adopted and then plans as no change; one tagged for another stack is refused, and so is an
id that does not exist. Through the CLI on moto behind the strictness layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.strict.core import StrictAws

pytestmark = pytest.mark.e2e

REGION = "us-west-2"
READS = ("Describe", "Get", "List", "Head")
DECLARED = """\
stack: adopted
region: us-west-2
tags: {team: data}
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.7.0.0/16, enable_dns_hostnames: true}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.7.1.0/24, availability_zone: us-west-2a}
"""


def ec2(aws: str) -> Any:
    return boto3.client("ec2", region_name=REGION, endpoint_url=aws)


def made_by_hand(aws: str, tags: dict[str, str]) -> str:
    client = ec2(aws)
    spec = [{"ResourceType": "vpc", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
    vpc_id: str = client.create_vpc(CidrBlock="10.7.0.0/16", TagSpecifications=spec)["Vpc"]["VpcId"]
    client.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    return vpc_id


def tags_of(aws: str, vpc_id: str) -> dict[str, str]:
    found = ec2(aws).describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])
    return {t["Key"]: t["Value"] for t in found["Tags"]}


def test_an_imported_vpc_plans_as_no_change_and_the_stack_builds_on_it(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "adopted.yaml"
    stack.write_text(DECLARED.split("  subnet:\n", maxsplit=1)[0])  # the VPC alone
    vpc_id = made_by_hand(aws, {"team": "data"})
    assert cli("plan", str(stack), "--json").actions() == {"vpc": "create"}

    imported = cli("import", str(stack), "vpc", vpc_id)
    assert imported.code == 0, imported.stderr
    assert f"Imported {vpc_id} (aws.ec2.vpc, us-west-2) as 'vpc'" in imported.stdout
    tags = tags_of(aws, vpc_id)
    assert tags["stackdeploy:stack"] == "adopted" and tags["stackdeploy:id"] == "vpc"
    assert tags["stackdeploy:lineage"] and tags["team"] == "data"
    state = json.loads(next((workdir / "state").rglob("*.json")).read_text())
    assert state["resources"]["vpc"]["physical_id"] == vpc_id
    assert state["lineage"] == tags["stackdeploy:lineage"]

    quiet = cli("plan", str(stack), "--detailed-exitcode")
    assert quiet.code == 0, quiet.stdout + quiet.stderr
    again = cli("import", str(stack), "vpc", vpc_id)
    assert again.code == 0 and "nothing to do" in again.stdout

    # The rest of the file is created in it; a real difference is an update, never a create.
    stack.write_text(DECLARED.replace("enable_dns_hostnames: true", "enable_dns_hostnames: false"))
    planned = cli("plan", str(stack), "--json")
    assert planned.actions() == {"vpc": "update", "subnet": "create"}
    applied = cli("apply", str(stack), "--auto-approve")
    assert applied.code == 0, applied.stderr
    [subnet] = ec2(aws).describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "Subnets"
    ]
    assert subnet["CidrBlock"] == "10.7.1.0/24"
    assert cli("drift", str(stack)).code == 0


def test_a_vpc_of_another_stack_or_none_at_all_is_refused(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "adopted.yaml"
    stack.write_text(DECLARED)
    theirs = made_by_hand(
        aws, {"stackdeploy:stack": "billing", "stackdeploy:id": "network", "team": "data"}
    )
    before = strict_aws.calls.copy()
    refused = cli("import", str(stack), "vpc", theirs)
    assert refused.code == 1
    assert f"aws.ec2.vpc {theirs} belongs to stack 'billing'" in refused.stderr
    assert "owned by 'network' of stack 'billing'" in refused.stderr
    made = strict_aws.calls - before
    assert [op for op in made if not op.split(".")[-1].startswith(READS)] == []
    assert tags_of(aws, theirs)["stackdeploy:stack"] == "billing"
    assert not list((workdir / "state").rglob("*.json"))

    missing = cli("import", str(stack), "vpc", "vpc-0123456789abcdef0")
    assert missing.code == 1
    assert "no aws.ec2.vpc with the id 'vpc-0123456789abcdef0' in us-west-2" in missing.stderr

    undeclared = cli("import", str(stack), "network", theirs)
    assert undeclared.code == 1
    assert "'network' is not declared in" in undeclared.stderr
    assert "declared: subnet, vpc" in undeclared.stderr
