"""A copy per learner (issue 8): `--copies` applies five isolated copies of one stack in one
run and destroys them in one run; each copy has its own stack name, state, tags, generated
names and per-copy values; a name every copy would share is refused before any AWS call.
Through the CLI, on moto behind the strictness layer, checked with plain boto3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.e2e.leftovers import owned_resources
from tests.strict.core import StrictAws

pytestmark = pytest.mark.e2e

REGION = "us-west-2"
LAB = """\
stack: lab
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: "10.{{ copy_index }}.0.0/16"}
  web:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: "10.{{ copy_index }}.1.0/24"}
  sg:
    type: aws.ec2.security_group
    properties: {vpc_id: "${vpc.id}", description: "web of {{ copy or 'the teacher' }}"}
  notes:
    type: aws.s3.bucket
    properties: {}
"""
COPIES = ["ann", "ben", "cat", "dan", "eve"]


def client(aws: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=aws)


def vpc_cidrs(aws: str) -> dict[str, str]:
    """stack tag -> CIDR of every VPC a stack owns."""
    cidrs = {}
    for vpc in client(aws, "ec2").describe_vpcs()["Vpcs"]:
        tags = {t["Key"]: t["Value"] for t in vpc.get("Tags", [])}
        if "stackdeploy:stack" in tags:
            cidrs[tags["stackdeploy:stack"]] = vpc["CidrBlock"]
    return cidrs


def test_five_copies_are_applied_and_destroyed_in_one_run(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "lab.yaml"
    stack.write_text(LAB)
    applied = cli("apply", str(stack), "--copies", ",".join(COPIES), "--auto-approve")
    assert applied.code == 0, applied.stderr
    assert "5 applied" in applied.stdout

    # Each copy is its own stack, with the index as the file computes from it.
    assert vpc_cidrs(aws) == {f"lab-{name}": f"10.{i}.0.0/16" for i, name in enumerate(COPIES)}
    buckets = [b["Name"] for b in client(aws, "s3").list_buckets()["Buckets"]]
    assert sorted(b.split("-notes")[0] for b in buckets) == [f"lab-{n}" for n in COPIES]
    groups = client(aws, "ec2").describe_security_groups(
        Filters=[{"Name": "tag:stackdeploy:copy", "Values": ["cat"]}]
    )["SecurityGroups"]
    assert [g["Description"] for g in groups] == ["web of cat"]
    for name in COPIES:
        assert list((workdir / "state").glob(f"state/lab-{name}/*.json")), f"no state for {name}"
        owned = owned_resources(aws, f"lab-{name}")
        assert {kind: len(ids) for kind, ids in owned.items() if ids} == {
            "vpc": 1,
            "subnet": 1,
            "security_group": 1,
            "s3_bucket": 1,
        }

    # One copy is planned alone with --copy NAME=INDEX and has nothing to do.
    again = cli("plan", str(stack), "--copy", "ben=1", "--detailed-exitcode")
    assert again.code == 0, again.stdout + again.stderr

    destroyed = cli("destroy", str(stack), "--copies", ",".join(COPIES), "--auto-approve")
    assert destroyed.code == 0, destroyed.stderr
    assert "5 destroyed" in destroyed.stdout
    assert vpc_cidrs(aws) == {}
    assert client(aws, "s3").list_buckets()["Buckets"] == []


def test_a_failing_copy_leaves_the_others_applied(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "lab.yaml"
    # Copy index 300 makes an invalid CIDR: that copy fails at load, the others go on.
    stack.write_text(LAB)
    result = cli("apply", str(stack), "--copies", "ann,ben=300,cat", "--auto-approve")
    assert result.code == 1
    assert "ben" in result.stderr and "lab.yaml" in result.stderr
    assert set(vpc_cidrs(aws)) == {"lab-ann", "lab-cat"}
    table = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[-3:]}
    assert table == {"ann": "applied", "ben": "failed", "cat": "applied"}


def test_a_name_every_copy_would_share_is_refused_before_any_call(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "lab.yaml"
    stack.write_text(LAB.replace("properties: {}", "properties: {name: class-notes}"))
    # A single copy has no index unless given one: the file's use of it says how.
    result = cli("plan", str(stack), "--copy", "ann")
    assert result.code == 1
    assert "--copy NAME=INDEX" in result.stderr
    result = cli("plan", str(stack), "--copy", "ann=0")
    assert result.code == 1
    assert "lab.yaml" in result.stderr
    assert "name 'class-notes' is the same in every copy" in result.stderr
    assert sum(strict_aws.calls.values()) == 0  # refused before AWS was asked anything
