"""Tags find, only proof deletes: what someone tagged as the stack's is shown and left alone by
apply and destroy, and deleted only with --force-owned; a genuine leftover of an interrupted run
(same lineage) is still cleaned up. Through the CLI, on moto behind the strictness layer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.e2e.leftovers import owned_resources
from tests.strict.core import StrictAws

pytestmark = pytest.mark.e2e

REGION = "us-west-2"
STACK = """\
stack: trust
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}
  users:
    type: aws.dynamodb.table
    properties: {name: trust-users, hash_key: id, attributes: {id: S}}
"""


def client(aws: str, service: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=aws)


def tags(logical_id: str, lineage: str | None = None, stack: str = "trust") -> list[dict[str, str]]:
    found = {"stackdeploy:stack": stack, "stackdeploy:id": logical_id}
    if lineage:
        found["stackdeploy:lineage"] = lineage
    return [{"Key": k, "Value": v} for k, v in found.items()]


def table_with_data(aws: str, name: str, logical_id: str | None) -> None:
    """A table someone made by hand, holding an item, tagged (or not) as the stack's."""
    dynamodb = client(aws, "dynamodb")
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **({"Tags": tags(logical_id)} if logical_id else {}),
    )
    dynamodb.put_item(TableName=name, Item={"id": {"S": "precious"}})


def tables(aws: str) -> set[str]:
    return set(client(aws, "dynamodb").list_tables()["TableNames"])


def state_file(workdir: Path) -> Path:
    [path] = (workdir / "state").rglob("trust/*.json")
    return path


def left_alone(cli: Cli, stack: str, *flags: str) -> dict[str, dict[str, str]]:
    planned = cli("plan", stack, "--json", *flags)
    assert planned.code == 0, planned.stderr
    return {entry["address"]: entry for entry in planned.json()["left_alone"]}


@pytest.fixture
def stack(workdir: Path, cli: Cli, strict_aws: StrictAws) -> str:
    path = workdir / "trust.yaml"
    path.write_text(STACK)
    applied = cli("apply", str(path), "--auto-approve")
    assert applied.code == 0, applied.stderr
    return str(path)


def test_a_hand_tagged_table_holding_data_survives_apply_and_destroy(
    cli: Cli, stack: str, aws: str
) -> None:
    table_with_data(aws, "payments", "users")  # an existing logical id: an "extra copy"
    table_with_data(aws, "orders", "orders")  # an id the file does not have
    entries = left_alone(cli, stack)
    assert set(entries) == {"users~payments", "orders"}
    assert "not with its lineage" in entries["orders"]["reason"]
    shown = cli("plan", stack)
    assert "Found but left alone" in shown.stdout
    assert f"To delete them anyway: deploy apply {stack} --force-owned" in shown.stdout

    assert cli("apply", stack, "--auto-approve").code == 0
    destroyed = cli("destroy", stack, "--auto-approve")
    assert destroyed.code == 0, destroyed.stderr
    assert "Found but left alone" in destroyed.stdout
    assert tables(aws) == {"payments", "orders"}
    item = client(aws, "dynamodb").get_item(TableName="payments", Key={"id": {"S": "precious"}})
    assert "Item" in item

    forced = cli("destroy", stack, "--auto-approve", "--force-owned")
    assert forced.code == 0, forced.stderr
    assert "deleted because of --force-owned" in forced.stdout
    assert tables(aws) == set()


def test_a_foreign_vpc_and_a_group_in_an_unrelated_vpc_are_left_alone(
    cli: Cli, stack: str, aws: str
) -> None:
    ec2 = client(aws, "ec2")
    foreign = ec2.create_vpc(
        CidrBlock="10.8.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": tags("legacy_vpc")}],
    )["Vpc"]["VpcId"]
    unrelated = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(
        GroupName="stray",
        Description="made by hand",
        VpcId=unrelated,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags("stray")}],
    )["GroupId"]
    assert set(left_alone(cli, stack)) == {"legacy_vpc"}  # a plan reads the declared types
    assert cli("apply", stack, "--auto-approve").code == 0
    destroyed = cli("destroy", stack, "--auto-approve")
    assert destroyed.code == 0, destroyed.stderr
    vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    assert {foreign, unrelated} <= vpcs
    assert ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    left = left_alone(cli, stack, "--destroy")
    assert set(left) == {"legacy_vpc", "stray"}

    assert cli("destroy", stack, "--auto-approve", "--force-owned").code == 0
    vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    assert foreign not in vpcs
    assert unrelated in vpcs  # never tagged as the stack's: not even --force-owned touches it
    assert owned_resources(aws, "trust") == {}


def test_an_untagged_table_named_in_an_edited_state_record_is_left_alone(
    cli: Cli, stack: str, workdir: Path, aws: str
) -> None:
    table_with_data(aws, "ledger", None)
    path = state_file(workdir)
    record = json.loads(path.read_text())
    record["resources"]["ledger"] = {
        "type": "aws.dynamodb.table",
        "region": REGION,
        "physical_id": "ledger",
        "dependencies": [],
    }
    path.write_text(json.dumps(record))
    entries = left_alone(cli, stack)
    assert "its tags do not name this stack" in entries["ledger"]["reason"]
    assert cli("apply", stack, "--auto-approve").code == 0
    assert cli("destroy", stack, "--auto-approve").code == 0
    assert tables(aws) == {"ledger"}


def test_a_state_record_copied_from_another_account_is_refused(
    cli: Cli, stack: str, workdir: Path, aws: str
) -> None:
    path = state_file(workdir)
    record = json.loads(path.read_text())
    record["account"] = "210987654321"
    path.write_text(json.dumps(record))
    before = owned_resources(aws, "trust")
    for command in (("apply", stack, "--auto-approve"), ("destroy", stack, "--auto-approve")):
        refused = cli(*command)
        assert refused.code == 1
        assert "written for stack trust in account 210987654321" in refused.stderr
        assert str(path) in refused.stderr
    assert owned_resources(aws, "trust") == before


def test_a_leftover_of_the_stacks_own_lineage_is_still_cleaned_up(
    cli: Cli, stack: str, workdir: Path, aws: str
) -> None:
    lineage = json.loads(state_file(workdir).read_text())["lineage"]
    ec2 = client(aws, "ec2")
    leftover = ec2.create_vpc(
        CidrBlock="10.0.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": tags("vpc", lineage)}],
    )["Vpc"]["VpcId"]
    planned = cli("plan", stack, "--json")
    assert planned.actions() == {f"vpc~{leftover}": "delete"}
    assert cli("apply", stack, "--auto-approve").code == 0
    assert leftover not in {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}


def test_after_a_lost_state_data_stores_need_force_owned(
    cli: Cli, stack: str, workdir: Path, aws: str
) -> None:
    client(aws, "dynamodb").put_item(TableName="trust-users", Item={"id": {"S": "a"}})
    state_file(workdir).unlink()
    unchanged = cli("plan", stack, "--detailed-exitcode")
    assert unchanged.code == 0, unchanged.stdout  # the lineage is recovered from the tags
    destroyed = cli("destroy", stack, "--auto-approve")
    assert destroyed.code == 0, destroyed.stderr
    assert "it holds data, and only its tags say this stack made it" in destroyed.stdout
    assert f"deploy destroy {stack} --force-owned" in destroyed.stdout
    assert set(owned_resources(aws, "trust")) == {"dynamodb_table"}
    assert cli("destroy", stack, "--auto-approve", "--force-owned").code == 0
    assert owned_resources(aws, "trust") == {}


def test_adopt_takes_over_what_a_lost_pre_lineage_state_left(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    """Resources tagged for the stack with no lineage at all (made by hand, or by a version
    before lineages) stop the plan until --adopt takes them over."""
    client(aws, "ec2").create_vpc(
        CidrBlock="10.0.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": tags("vpc")}],
    )
    path = workdir / "trust.yaml"
    path.write_text(STACK)
    refused = cli("apply", str(path), "--auto-approve")
    assert refused.code == 1
    assert "claims to be 'vpc' of this stack" in refused.stderr
    assert "--adopt" in refused.stderr
    assert owned_resources(aws, "trust").get("subnet") is None  # nothing was changed
    adopted = cli("apply", str(path), "--auto-approve", "--adopt")
    assert adopted.code == 0, adopted.stderr
    assert cli("plan", str(path), "--detailed-exitcode").code == 0
    assert len(owned_resources(aws, "trust")["vpc"]) == 1
    assert cli("destroy", str(path), "--auto-approve").code == 0
    assert owned_resources(aws, "trust") == {}


def test_a_destroy_leaves_no_record_of_what_was_deleted_by_hand(
    cli: Cli, stack: str, workdir: Path, aws: str
) -> None:
    record = json.loads(state_file(workdir).read_text())
    client(aws, "ec2").delete_subnet(SubnetId=record["resources"]["subnet"]["physical_id"])
    assert cli("destroy", stack, "--auto-approve").code == 0
    after = json.loads(state_file(workdir).read_text())
    assert after["resources"] == {}
    assert after["intents"] == {}
    assert owned_resources(aws, "trust") == {}
