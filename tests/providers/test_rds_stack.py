"""A database stack through the engine, with AWS strictness on: the master password never
reaches the plan, the state, the outputs or the progress; class changes in place; a storage
decrease plans a replacement with its reason; destroy takes a final snapshot by default (or
skips it when asked), deletes the replica before its source and the database before its
subnet group, parameter group and security group; deletion protection stops a destroy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import REGION
from tests.e2e.leftovers import owned_resources
from tests.providers.conftest import Run
from tests.strict import StrictAws

PASSWORD = "Sup3r-secret_pw!"  # what must never be seen outside AWS
STACK = """\
stack: shop-db
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.50.0.0/16}
  private_a:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.50.1.0/24, availability_zone: us-west-2a}
  private_b:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.50.2.0/24, availability_zone: us-west-2b}
  db_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      ingress: [{protocol: tcp, port: 3306, cidr_blocks: [10.50.0.0/16]}]
  subnets:
    type: aws.rds.db_subnet_group
    properties: {subnet_ids: ["${private_a.id}", "${private_b.id}"]}
  params:
    type: aws.rds.db_parameter_group
    properties: {family: mysql8.0, parameters: {max_connections: 150}}
  db:
    type: aws.rds.db_instance
    properties:
      engine: mysql
      engine_version: 8.0.39
      instance_class: __CLASS__
      allocated_storage: __STORAGE__
      db_subnet_group_name: ${subnets.name}
      vpc_security_group_ids: ["${db_sg.id}"]
      parameter_group_name: ${params.name}
      master_username: admin
      master_password: __PASSWORD__
      deletion_protection: __PROTECTED__
      skip_final_snapshot: __SKIP__
  replica:
    type: aws.rds.db_replica
    properties: {source_db_instance: "${db.id}", instance_class: db.t3.micro}
outputs:
  endpoint: ${db.endpoint}
  password_at: ${db.master_password_secret}
  replica: ${replica.address}
"""


@pytest.fixture(autouse=True)
def _password_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_PASSWORD", PASSWORD)


def _write(
    tmp_path: Path,
    *,
    instance_class: str = "db.t3.micro",
    storage: int = 30,
    password: str = "{env: DB_PASSWORD}",
    protected: bool = False,
    skip: bool = False,
) -> str:
    text = (
        STACK.replace("__CLASS__", instance_class)
        .replace("__STORAGE__", str(storage))
        .replace("__PASSWORD__", password)
        .replace("__PROTECTED__", str(protected).lower())
        .replace("__SKIP__", str(skip).lower())
    )
    path = tmp_path / "db.yaml"
    path.write_text(text)
    return str(path)


def _rds(aws: str) -> Any:
    return boto3.client("rds", region_name=REGION, endpoint_url=aws)


def _left(aws: str) -> dict[str, list[str]]:
    """What the stack still owns in RDS, read with plain boto3."""
    rds = _rds(aws)
    owned = {"Key": "stackdeploy:stack", "Value": "shop-db"}

    def tagged(arn: str) -> bool:
        return owned in rds.list_tags_for_resource(ResourceName=arn)["TagList"]

    groups = rds.describe_db_subnet_groups()["DBSubnetGroups"]
    parameters = rds.describe_db_parameter_groups()["DBParameterGroups"]
    found = {
        "instances": [
            db["DBInstanceIdentifier"]
            for db in rds.describe_db_instances()["DBInstances"]
            if owned in db.get("TagList", [])
        ],
        "subnet_groups": [g["DBSubnetGroupName"] for g in groups if tagged(g["DBSubnetGroupArn"])],
        "parameter_groups": [
            g["DBParameterGroupName"] for g in parameters if tagged(g["DBParameterGroupArn"])
        ],
    }
    return {kind: names for kind, names in found.items() if names}


def _snapshots(aws: str) -> list[str]:
    found = _rds(aws).describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    return sorted(s["DBSnapshotIdentifier"] for s in found)


def _everything_written(tmp_path: Path) -> str:
    return "\n".join(
        p.read_text(errors="replace") for p in (tmp_path / "state").rglob("*") if p.is_file()
    )


def _change(plan_json: str, address: str) -> dict[str, Any]:
    changes = json.loads(plan_json)["resource_changes"]
    found: dict[str, Any] = next(c for c in changes if c["address"] == address)
    return found


@pytest.mark.e2e
def test_database_lifecycle_keeps_the_password_secret(
    deploy: Run, tmp_path: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = _write(tmp_path)
    seen: list[str] = []
    _, out, _ = deploy("plan", stack, "--json")
    seen.append(out)
    assert _change(out, "db")["change"]["after"]["master_password"] == {"env": "DB_PASSWORD"}
    code, out, err = deploy("apply", stack, "--auto-approve")
    seen += [out, err]
    assert code == 0, err
    code, out, err = deploy("plan", stack, "--detailed-exitcode")
    seen += [out, err]
    assert code == 0, out
    _, out, _ = deploy("output", stack, "--json")
    seen.append(out)
    outputs = json.loads(out)
    assert outputs["endpoint"].endswith(".rds.amazonaws.com:3306")
    assert outputs["password_at"] is None  # an environment variable: nothing to point at
    seen.append(_everything_written(tmp_path))
    assert "DB_PASSWORD" in seen[-1]  # the source is recorded...
    assert not [text for text in seen if PASSWORD in text]  # ...never the password

    # A new class is an in-place change; a smaller storage size is a replacement, with why.
    stack = _write(tmp_path, instance_class="db.t3.small")
    _, out, _ = deploy("plan", stack, "--json")
    change = _change(out, "db")
    assert change["change"]["actions"] == ["update"]
    assert deploy("apply", stack, "--auto-approve")[0] == 0
    found = _rds(aws).describe_db_instances(DBInstanceIdentifier="shop-db-db")["DBInstances"]
    assert found[0]["DBInstanceClass"] == "db.t3.small"
    assert strict_aws.count("InvalidDBInstanceState", "rds.ModifyDBInstance") == 0

    stack = _write(tmp_path, instance_class="db.t3.small", storage=20)
    code, out, err = deploy("plan", stack)
    assert code == 0, err
    assert "storage can grow but never shrink" in out
    assert "replacing a database loses its data unless a snapshot is taken" in out
    _, out, _ = deploy("plan", stack, "--json")
    assert _change(out, "db")["change"]["actions"] == ["delete", "create"]
    assert _change(out, "db")["replace_paths"] == ["allocated_storage"]

    # Destroy: the replica before its source, a final snapshot of the source, and the
    # groups only once the database is gone (AWS would refuse them before).
    stack = _write(tmp_path, instance_class="db.t3.small")
    code, out, err = deploy("plan", stack, "--destroy")
    assert "final snapshot" in out
    code, _, err = deploy("destroy", stack, "--auto-approve")
    assert code == 0, err
    assert owned_resources(aws, "shop-db") == {}
    assert [s.startswith("shop-db-db-final-") for s in _snapshots(aws)] == [True]
    assert strict_aws.count(operation="rds.DeleteDBInstance") == strict_aws.count(
        "Throttling", "rds.DeleteDBInstance"
    )
    for refusal in ("InvalidDBSubnetGroupStateFault", "InvalidDBParameterGroupState"):
        assert strict_aws.count(refusal) == 0
    assert strict_aws.count("DependencyViolation", "ec2.DeleteSecurityGroup") == 0


@pytest.mark.e2e
def test_generated_password_lives_and_goes_with_the_database(
    deploy: Run, tmp_path: Path, aws: str
) -> None:
    stack = _write(tmp_path, password="{generate: {store: secretsmanager}}", skip=True)
    code, _, err = deploy("apply", stack, "--auto-approve")
    assert code == 0, err
    secrets = boto3.client("secretsmanager", region_name=REGION, endpoint_url=aws)
    listed = secrets.list_secrets()["SecretList"]
    assert [s["Name"] for s in listed] == ["/stackdeploy/shop-db/db"]
    value = secrets.get_secret_value(SecretId=listed[0]["ARN"])["SecretString"]
    _, out, _ = deploy("output", stack, "--json")
    assert json.loads(out)["password_at"] == listed[0]["ARN"]
    assert value not in _everything_written(tmp_path)
    assert deploy("plan", stack, "--detailed-exitcode")[0] == 0

    code, out, _ = deploy("plan", stack, "--destroy")
    assert "without a final snapshot" in out
    assert deploy("destroy", stack, "--auto-approve")[0] == 0
    assert _snapshots(aws) == []
    assert owned_resources(aws, "shop-db") == {}  # the secret too


@pytest.mark.e2e
def test_deletion_protection_stops_destroy_until_turned_off(
    deploy: Run, tmp_path: Path, aws: str
) -> None:
    stack = _write(tmp_path, protected=True, skip=True)
    assert deploy("apply", stack, "--auto-approve")[0] == 0
    _, out, _ = deploy("plan", stack, "--destroy")
    assert "deletion protection is on" in out
    code, _, err = deploy("destroy", stack, "--auto-approve")
    assert code == 1
    assert "deletion protection on" in err
    assert "set deletion_protection: false" in err
    assert _left(aws)["instances"] == ["shop-db-db"]  # its replica went, the source stayed

    stack = _write(tmp_path, protected=False, skip=True)
    code, _, err = deploy("apply", stack, "--auto-approve")
    assert code == 0, err
    code, _, err = deploy("destroy", stack, "--auto-approve")
    assert code == 0, err
    assert _left(aws) == {}
