"""Stacks as things in the account (issue 8): `deploy ls` lists every stack from its tags,
`destroy --stack NAME` tears one down with no file and no state in every region and IAM,
`sweep` destroys what has expired and nothing else, and a durable database's final
snapshot is named, listed and deleted on request. Through the CLI, on moto behind the
strictness layer, checked with plain boto3."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.e2e.leftovers import owned_resources
from tests.strict.core import StrictAws

pytestmark = pytest.mark.e2e

WEST, EAST = "us-west-2", "us-east-1"
REGIONS = ("--region", WEST, "--region", EAST)
READS = ("Describe", "Get", "List")
PAST = {"Key": "stackdeploy:expires", "Value": "2026-01-01T00:00:00Z"}
# Two regions and IAM: a VPC with a subnet and a group in each region, a role.
SPREAD = """\
stack: spread
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.1.0.0/16}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.1.1.0/24}
  sg:
    type: aws.ec2.security_group
    properties: {vpc_id: "${vpc.id}", description: web}
  east_vpc:
    type: aws.ec2.vpc
    region: us-east-1
    properties: {cidr_block: 10.2.0.0/16}
  east_subnet:
    type: aws.ec2.subnet
    region: us-east-1
    properties: {vpc_id: "${east_vpc.id}", cidr_block: 10.2.1.0/24}
  role:
    type: aws.iam.role
    properties:
      name: spread-app{{ copy }}
      assume_role_policy:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: "sts:AssumeRole"}
"""
# One region, a table.
EASTERN = """\
stack: eastern
region: us-east-1
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.3.0.0/16}
  table:
    type: aws.dynamodb.table
    properties:
      billing_mode: PAY_PER_REQUEST
      hash_key: id
      attributes: {id: S}
"""


def client(aws: str, service: str, region: str = WEST) -> Any:
    return boto3.client(service, region_name=region, endpoint_url=aws)


def owned_everywhere(aws: str, stack: str) -> dict[str, int]:
    """type -> how many the stack owns, in both regions and IAM (IAM counted once)."""
    counts: dict[str, int] = {}
    for region in (WEST, EAST):
        for kind, ids in owned_resources(aws, stack, region).items():
            if kind in ("iam_role", "instance_profile") and region == EAST:
                continue  # IAM is global: the same in every region
            counts[kind] = counts.get(kind, 0) + len(ids)
    return counts


def listed(cli: Cli) -> dict[str, dict[str, Any]]:
    result = cli("ls", *REGIONS, "--json")
    assert result.code == 0, result.stderr
    return {entry["stack"]: entry for entry in result.json()["stacks"]}


def expire(aws: str, stack: str, region: str) -> None:
    """Set the stack's expiry in the past, straight on its tags (as a day going by would)."""
    owned = owned_resources(aws, stack, region)
    ec2_kinds = ("vpc", "subnet", "security_group", "route_table", "internet_gateway")
    ids = sorted(i for kind in ec2_kinds for i in owned.get(kind, []))
    client(aws, "ec2", region).create_tags(Resources=ids, Tags=[PAST])
    dynamodb = client(aws, "dynamodb", region)
    for name in dynamodb.list_tables()["TableNames"]:
        arn = dynamodb.describe_table(TableName=name)["Table"]["TableArn"]
        if {"Key": "stackdeploy:stack", "Value": stack} in dynamodb.list_tags_of_resource(
            ResourceArn=arn
        )["Tags"]:
            dynamodb.tag_resource(
                ResourceArn=arn,
                Tags=[PAST],
            )


def test_stacks_are_listed_destroyed_by_name_and_swept(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    spread, eastern = workdir / "spread.yaml", workdir / "eastern.yaml"
    spread.write_text(SPREAD)
    eastern.write_text(EASTERN)
    for args in ((spread,), (spread, "--copy", "x"), (eastern,), (eastern, "--copy", "x")):
        result = cli("apply", str(args[0]), *args[1:], "--auto-approve")
        assert result.code == 0, result.stderr

    stacks = listed(cli)
    assert set(stacks) == {"spread", "spread-x", "eastern", "eastern-x"}
    for name, entry in stacks.items():
        truth = owned_everywhere(aws, name)
        assert entry["resource_count"] == sum(truth.values()), (name, entry, truth)
    assert stacks["spread"]["regions"] == [EAST, WEST] and stacks["spread"]["iam"]
    assert stacks["spread"]["resources"]["aws.iam.role"] == 1
    assert stacks["eastern-x"]["copy"] == "x" and stacks["eastern"]["copy"] is None
    assert stacks["spread"]["created"] is not None and stacks["spread"]["expires"] is None
    assert all(entry["state"] for entry in stacks.values())  # applied from this folder

    # Its state is lost: the stack is destroyed by its name alone, both regions and IAM.
    shutil.rmtree(workdir / "state" / "state" / "spread")
    gone = cli("destroy", "--stack", "spread", "--auto-approve")
    assert gone.code == 0, gone.stderr
    assert owned_everywhere(aws, "spread") == {}
    assert owned_everywhere(aws, "spread-x") != {}  # its copy is another stack
    assert "spread" not in listed(cli)

    # eastern has expired; eastern-x and spread-x have not.
    expire(aws, "eastern", EAST)
    before = strict_aws.calls.copy()
    dry = cli("sweep", *REGIONS, "--dry-run")
    assert dry.code == 0, dry.stderr
    assert "eastern: would destroy 2 resources" in dry.stdout
    assert "1 of 1 stacks would be swept" in dry.stdout
    made = strict_aws.calls - before
    assert sum(made.values()) > 0  # it did look
    assert [op for op in made if not op.split(".")[-1].startswith(READS)] == []
    assert owned_everywhere(aws, "eastern") != {}

    swept = cli("sweep", *REGIONS)
    assert swept.code == 0, swept.stderr
    assert "eastern: destroyed 2 resources" in swept.stdout
    assert owned_everywhere(aws, "eastern") == {}
    assert set(listed(cli)) == {"spread-x", "eastern-x"}
    again = cli("sweep", *REGIONS)  # safe to rerun: nothing left to do
    assert again.code == 0 and "Nothing to sweep" in again.stdout


DURABLE_DB = """\
stack: records
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
  db_subnets:
    type: aws.rds.db_subnet_group
    properties: {description: records, subnet_ids: ["${a.id}", "${b.id}"]}
  db:
    type: aws.rds.db_instance
    properties:
      identifier: records-db
      engine: mariadb
      engine_version: "10.11.6"
      instance_class: db.t3.micro
      allocated_storage: 20
      db_subnet_group_name: ${db_subnets.name}
      master_username: admin
      master_password: {generate: {store: secretsmanager}}
"""


def test_a_durable_database_keeps_a_named_snapshot_until_asked(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "records.yaml"
    stack.write_text(DURABLE_DB)
    assert cli("apply", str(stack), "--auto-approve").code == 0
    planned = cli("plan", str(stack), "--destroy")
    name = planned.stdout.split("keeps its final snapshot ")[1].split()[0]
    assert name.startswith("records-db-final-")

    # A snapshot someone made by hand and tagged as the stack's: tags alone prove nothing.
    rds = client(aws, "rds")
    rds.create_db_snapshot(
        DBSnapshotIdentifier="by-hand",
        DBInstanceIdentifier="records-db",
        Tags=[
            {"Key": "stackdeploy:stack", "Value": "records"},
            {"Key": "stackdeploy:lineage", "Value": "someone-else"},
        ],
    )
    assert cli("destroy", str(stack), "--auto-approve").code == 0
    kept = sorted(s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots()["DBSnapshots"])
    assert kept == ["by-hand", name]
    assert {"name": name, "region": WEST} in listed(cli)["records"]["snapshots"]
    assert listed(cli)["records"]["resource_count"] == 0

    kept_run = cli("destroy", "--stack", "records", "--region", WEST, "--auto-approve")
    assert kept_run.code == 0 and "--delete-snapshots" in kept_run.stdout  # how to stop paying
    assert len(rds.describe_db_snapshots()["DBSnapshots"]) == 2
    deleted = cli(
        "destroy", "--stack", "records", "--region", WEST, "--delete-snapshots", "--auto-approve"
    )
    assert deleted.code == 0, deleted.stderr
    assert f"Deleted 1 kept final snapshots: {name}" in deleted.stdout
    assert "Left alone: final snapshots tagged for records without its lineage" in deleted.stdout
    left = [s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots()["DBSnapshots"]]
    assert left == ["by-hand"]
    forced = cli(
        "destroy",
        "--stack",
        "records",
        "--region",
        WEST,
        "--delete-snapshots",
        "--force-owned",
        "--auto-approve",
    )
    assert forced.code == 0, forced.stderr
    assert rds.describe_db_snapshots()["DBSnapshots"] == []
    assert "records" not in listed(cli)


def test_a_plan_by_name_points_at_commands_that_take_a_name(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    eastern = workdir / "eastern.yaml"
    eastern.write_text(EASTERN.replace("  table:", "  unused:").split("  unused:")[0])
    assert cli("apply", str(eastern), "--auto-approve").code == 0
    gone = cli("destroy", "--stack", "eastern", "--region", EAST, "--auto-approve")
    assert gone.code == 0, gone.stderr
    assert "Itemized: deploy ls" in gone.stdout  # `deploy cost` takes a file, not --stack
    assert "deploy cost --stack" not in gone.stdout
