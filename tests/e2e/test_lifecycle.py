"""A stack's lifecycle and expiry (issue 8): an exercise stack is destroyed in one go with
nothing kept; every resource carries the expiry, a later apply extends it in place. Through
the CLI, on moto behind the strictness layer, checked with plain boto3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.e2e.leftovers import owned_resources
from tests.strict.core import StrictAws

pytestmark = pytest.mark.e2e

REGION = "us-west-2"
EXERCISE = """\
stack: lab
region: us-west-2
lifecycle: exercise
expires_after: 4h
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
    properties: {description: lab, subnet_ids: ["${a.id}", "${b.id}"]}
  db:
    type: aws.rds.db_instance
    properties:
      identifier: lab-db
      engine: mariadb
      engine_version: "10.11.6"
      instance_class: db.t3.micro
      allocated_storage: 20
      db_subnet_group_name: ${db_subnets.name}
      master_username: labuser
      master_password: {generate: {store: secretsmanager}}
  key:
    type: aws.kms.key
    properties: {description: lab data}
  files:
    type: aws.s3.bucket
    properties: {versioning: Enabled}
"""


def client(aws: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=aws)


def expiries(aws: str) -> set[str]:
    """The expiry every EC2 resource of the stack carries (one value when they agree)."""
    owned = [{"Name": "tag:stackdeploy:stack", "Values": ["lab"]}]
    tags = client(aws, "ec2").describe_tags(Filters=owned)["Tags"]
    return {t["Value"] for t in tags if t["Key"] == "stackdeploy:expires"}


def test_an_exercise_goes_in_one_destroy_with_nothing_kept(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "lab.yaml"
    stack.write_text(EXERCISE)
    planned = cli("plan", str(stack))
    assert "Lifecycle: exercise (destroy keeps nothing" in planned.stdout
    assert cli("apply", str(stack), "--auto-approve").code == 0
    s3 = client(aws, "s3")
    [bucket] = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    for body in (b"one", b"two", b"three"):
        s3.put_object(Bucket=bucket, Key="notes.txt", Body=body)
    s3.delete_object(Bucket=bucket, Key="notes.txt")  # a delete marker too

    destroyed = cli("destroy", str(stack), "--auto-approve")
    assert destroyed.code == 0, destroyed.stderr
    assert owned_resources(aws, "lab") == {}
    assert client(aws, "rds").describe_db_snapshots()["DBSnapshots"] == []
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == []
    [key] = client(aws, "kms").list_keys()["Keys"]
    metadata = client(aws, "kms").describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    deletion = metadata["DeletionDate"] - datetime.now(UTC)  # the 7-day minimum window
    assert timedelta(days=6) < deletion <= timedelta(days=7)


def test_an_exercise_refuses_protection_at_its_line(cli: Cli, workdir: Path) -> None:
    stack = workdir / "lab.yaml"
    stack.write_text(
        EXERCISE.replace("engine: mariadb", "engine: mariadb\n      deletion_protection: true")
    )
    refused = cli("validate", str(stack))
    assert refused.code == 1
    assert "deletion_protection: True contradicts lifecycle: exercise" in refused.stderr
    assert f"{stack}:23 (resources.db.properties.deletion_protection)" in refused.stderr


def test_the_expiry_is_set_once_then_extended_in_place(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "lab.yaml"
    stack.write_text(EXERCISE.split("  db_subnets:", maxsplit=1)[0])  # the network part
    before = datetime.now(UTC)
    assert cli("apply", str(stack), "--auto-approve").code == 0
    [first] = expiries(aws)
    expires = datetime.fromisoformat(first.replace("Z", "+00:00"))
    assert before + timedelta(hours=4) - timedelta(seconds=5) <= expires
    assert expires <= datetime.now(UTC) + timedelta(hours=4)
    assert cli("plan", str(stack), "--detailed-exitcode").code == 0  # the expiry stays put

    extended = cli("plan", str(stack), "--expires-in", "2d", "--json")
    assert extended.actions() == {"vpc": "update", "a": "update", "b": "update"}
    assert {c["reasons"][0] for c in extended.json()["resource_changes"]} == {"marked"}
    assert cli("apply", str(stack), "--auto-approve", "--expires-in", "2d").code == 0
    [later] = expiries(aws)
    assert later > first
    assert cli("plan", str(stack), "--detailed-exitcode").code == 0  # a plain run keeps it

    assert cli("apply", str(stack), "--auto-approve", "--expires-in", "never").code == 0
    assert expiries(aws) == {""}
    assert cli("destroy", str(stack), "--auto-approve").code == 0
