"""Guards per resource (issue 9): prevent_destroy, ignore_changes and retain_on_delete, through
the CLI on moto behind the strictness layer, checked with plain boto3."""

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
GUARDED_DB = """\
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
    lifecycle:
      prevent_destroy: true
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


def client(aws: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=aws)


def writes_since(strict_aws: StrictAws, before: Any) -> list[str]:
    made = strict_aws.calls - before
    return sorted(op for op in made if not op.split(".")[-1].startswith(READS))


def databases(aws: str) -> list[str]:
    found = client(aws, "rds").describe_db_instances()["DBInstances"]
    return [db["DBInstanceIdentifier"] for db in found]


def test_prevent_destroy_stops_a_replacement_a_destroy_and_a_removal(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "records.yaml"
    stack.write_text(GUARDED_DB)
    applied = cli("apply", str(stack), "--auto-approve")
    assert applied.code == 0, applied.stderr
    state = json.loads(next((workdir / "state").rglob("*.json")).read_text())
    assert state["resources"]["db"]["guards"] == {
        "prevent_destroy": True,
        "retain_on_delete": False,
    }

    # A create-only change would replace the database: refused at plan time, at its guard.
    stack.write_text(GUARDED_DB.replace("identifier: records-db", "identifier: records-db2"))
    before = strict_aws.calls.copy()
    planned = cli("plan", str(stack))
    assert planned.code == 1
    assert "db (aws.rds.db_instance records-db) is protected by lifecycle.prevent_destroy" in (
        planned.stderr
    )
    assert "this plan would replace it (delete it and create a new one: identifier)" in (
        planned.stderr
    )
    assert "records.yaml:19 (resources.db.lifecycle.prevent_destroy)" in planned.stderr
    assert "remove prevent_destroy from its lifecycle block" in planned.stderr
    refused = cli("apply", str(stack), "--auto-approve")
    assert refused.code == 1
    assert writes_since(strict_aws, before) == []
    assert databases(aws) == ["records-db"]

    # The stack's destroy stops before deleting anything, subnets included.
    stack.write_text(GUARDED_DB)
    before = strict_aws.calls.copy()
    destroyed = cli("destroy", str(stack), "--auto-approve")
    assert destroyed.code == 1
    assert "the stack is being destroyed" in destroyed.stderr
    assert writes_since(strict_aws, before) == []

    # Removed from the file (guard and all), the guard the state recorded still holds.
    without_db = GUARDED_DB.split("  db:\n", maxsplit=1)[0]
    stack.write_text(without_db)
    removed = cli("plan", str(stack))
    assert removed.code == 1
    assert "(recorded in the state at its last apply): it is no longer in the stack file" in (
        removed.stderr
    )

    # How to proceed: drop the guard and apply (the state records it), then destroy.
    stack.write_text(GUARDED_DB.replace("      prevent_destroy: true\n", "      {}\n"))
    unguarded = cli("plan", str(stack), "--json")
    assert unguarded.actions() == {"db": "update"}
    [db] = [c for c in unguarded.json()["resource_changes"] if c["address"] == "db"]
    assert db["reasons"] == ["guards"] and db["changes"] == []
    assert cli("apply", str(stack), "--auto-approve").code == 0
    gone = cli("destroy", str(stack), "--auto-approve")
    assert gone.code == 0, gone.stderr
    assert databases(aws) == []


IGNORING = """\
stack: net
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties:
      cidr_block: 10.0.0.0/16
      enable_dns_hostnames: true
      tags: {Owner: platform, team: web}
    lifecycle:
      ignore_changes: [enable_dns_hostnames, tags.Owner]
"""


def test_ignored_properties_changed_by_hand_plan_as_no_change(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "net.yaml"
    stack.write_text(IGNORING)
    assert cli("apply", str(stack), "--auto-approve").code == 0
    ec2 = client(aws, "ec2")
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "tag:stackdeploy:stack", "Values": ["net"]}])[
        "Vpcs"
    ]
    vpc_id = vpc["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": False})
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Owner", "Value": "finance"}])

    quiet = cli("plan", str(stack), "--detailed-exitcode")
    assert quiet.code == 0, quiet.stdout + quiet.stderr
    assert "No changes." in quiet.stdout

    # A change that is not ignored is planned and applied alone; the ignored ones stay.
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "team", "Value": "api"}])
    planned = cli("plan", str(stack), "--json")
    [change] = [
        c for c in planned.json()["resource_changes"] if c["change"]["actions"] != ["no-op"]
    ]
    assert change["reasons"] == ["drift"]
    assert [c["path"] for c in change["changes"]] == ["tags"]
    assert change["changes"][0]["after"] == {"Owner": "finance", "team": "web"}
    assert cli("apply", str(stack), "--auto-approve").code == 0
    tags = {
        t["Key"]: t["Value"]
        for t in ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["Tags"]
    }
    assert tags["Owner"] == "finance" and tags["team"] == "web"
    hostnames = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    assert hostnames["EnableDnsHostnames"]["Value"] is False
    assert cli("plan", str(stack), "--detailed-exitcode").code == 0


RETAINED = """\
stack: keep
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16, tags: {team: data}}
    lifecycle: {retain_on_delete: true}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24, availability_zone: us-west-2a}
  archive:
    type: aws.s3.bucket
    properties: {name: keep-archive-e2e, tags: {team: data}}
    lifecycle: {retain_on_delete: true}
"""


def test_retained_resources_survive_destroy_untagged_and_forgotten(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "keep.yaml"
    stack.write_text(RETAINED)
    assert cli("apply", str(stack), "--auto-approve").code == 0
    s3 = client(aws, "s3")
    s3.put_object(Bucket="keep-archive-e2e", Key="report.csv", Body=b"2024,1")

    planned = cli("plan", str(stack), "--destroy")
    assert planned.code == 0, planned.stderr
    assert "vpc (aws.ec2.vpc)" in planned.stdout
    assert "will be retained: untagged and forgotten, not deleted" in planned.stdout
    assert "1 to destroy, 2 to retain" in planned.stdout

    destroyed = cli("destroy", str(stack), "--auto-approve")
    assert destroyed.code == 0, destroyed.stderr
    assert "1 destroyed, 2 retained" in destroyed.stdout

    ec2 = client(aws, "ec2")
    [vpc] = [v for v in ec2.describe_vpcs()["Vpcs"] if v["CidrBlock"] == "10.0.0.0/16"]
    assert {t["Key"]: t["Value"] for t in vpc.get("Tags", [])} == {"team": "data"}
    assert [s for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] == vpc["VpcId"]] == []
    assert s3.get_object(Bucket="keep-archive-e2e", Key="report.csv")["Body"].read() == b"2024,1"
    bucket_tags = s3.get_bucket_tagging(Bucket="keep-archive-e2e")["TagSet"]
    assert bucket_tags == [{"Key": "team", "Value": "data"}]
    state = json.loads(next((workdir / "state").rglob("*.json")).read_text())
    assert state["resources"] == {}

    # Nothing claims them any more: the stack is gone, and a new apply makes new ones.
    assert cli("plan", str(stack), "--destroy", "--detailed-exitcode").code == 0
    again = cli("plan", str(stack), "--json")
    assert again.actions() == {"vpc": "create", "subnet": "create", "archive": "create"}
