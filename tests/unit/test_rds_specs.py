"""RDS specs: validation with file, line and field, canonical forms, cross-resource checks
and the plan's replace rules (storage and versions only one way), without AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackdeploy.config.loader import load_stack
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.live import LiveResource, LiveState, Proof
from stackdeploy.model.stack import Stack
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.specs.rds.common import final_snapshot_identifier
from stackdeploy.specs.rds.db_instance import DB_INSTANCE
from stackdeploy.specs.rds.password import source_from_tag, source_tag

NETWORK = {
    "vpc": {"type": "aws.ec2.vpc", "properties": {"cidr_block": "10.0.0.0/16"}},
    **{
        name: {
            "type": "aws.ec2.subnet",
            "properties": {
                "vpc_id": "${vpc.id}",
                "cidr_block": cidr,
                "availability_zone": f"us-west-2{zone}",
            },
        }
        for name, cidr, zone in [
            ("a", "10.0.1.0/24", "a"),
            ("a2", "10.0.2.0/24", "a"),
            ("b", "10.0.3.0/24", "b"),
        ]
    },
}


def _db(**properties: Any) -> dict[str, Any]:
    base = {
        "engine": "mysql",
        "engine_version": "8.0.39",
        "instance_class": "db.t3.micro",
        "allocated_storage": 20,
        "master_username": "admin",
    }
    return {"type": "aws.rds.db_instance", "properties": {**base, **properties}}


def _replica(**properties: Any) -> dict[str, Any]:
    base = {"source_db_instance": "${db.id}", "instance_class": "db.t3.micro"}
    return {"type": "aws.rds.db_replica", "properties": {**base, **properties}}


def load(tmp_path: Path, resources: dict[str, Any], stack: str = "Shop") -> Stack:
    path = tmp_path / "stack.yaml"
    path.write_text(json.dumps({"stack": stack, "region": "us-west-2", "resources": resources}))
    return load_stack(path)


def problems(tmp_path: Path, resources: dict[str, Any]) -> list[str]:
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load(tmp_path, resources)
    error = caught.value
    found = error.errors if isinstance(error, ConfigErrors) else [error]
    return [f"{e.location.path if e.location else ''}: {e.message}" for e in found]


# -- DB instance ------------------------------------------------------------------------------


def test_defaults_and_lower_case_generated_identifier(tmp_path: Path) -> None:
    props = load(tmp_path, {"Main_DB": _db()}).resources["Main_DB"].properties
    assert props["identifier"] == "shop-main-db"  # RDS keeps identifiers in lower case
    # No password source given: generated, and kept in Secrets Manager.
    assert props["master_password"] == {"generate": {"store": "secretsmanager"}}
    assert (props["storage_type"], props["backup_retention_period"]) == ("gp3", 7)
    assert props["skip_final_snapshot"] is False
    assert props["deletion_protection"] is False


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"engine_version": "8.0"}, "engine_version", "not a full mysql version"),
        ({"engine": "oracle-ee"}, "engine", "'mariadb', 'mysql' or 'postgres'"),
        ({"instance_class": "t3.micro"}, "instance_class", "not a DB instance class"),
        ({"allocated_storage": 10}, "allocated_storage", "outside 20 to 65536 GiB for gp3"),
        ({"storage_type": "io1", "allocated_storage": 100}, "iops", "io1 storage needs iops"),
        ({"iops": 3000}, "iops", "gp3 storage below 400 GiB"),
        (
            {"kms_key_id": "arn:aws:kms:us-west-2:123456789012:key/abc"},
            "kms_key_id",
            "storage_encrypted",
        ),
        ({"kms_key_id": "alias/db", "storage_encrypted": True}, "kms_key_id", "not a KMS key ARN"),
        ({"master_username": "rdsadmin"}, "master_username", "reserved"),
        ({"master_username": "a_very_long_user_name"}, "master_username", "longer than mysql's 16"),
        ({"identifier": "1db"}, "identifier", "must start with a letter"),
        ({"identifier": "db--one"}, "identifier", "two hyphens"),
        ({"backup_retention_period": 36}, "backup_retention_period", "must be at most 35, got 36"),
        (
            {"preferred_backup_window": "3:00-3:30"},
            "preferred_backup_window",
            "not hh24:mi-hh24:mi",
        ),
        (
            {"preferred_backup_window": "03:00-03:10"},
            "preferred_backup_window",
            "at least 30 minutes",
        ),
        (
            {"preferred_maintenance_window": "sunday:05:00-sun:06:00"},
            "preferred_maintenance_window",
            "ddd:hh24:mi",
        ),
        (
            {
                "preferred_backup_window": "05:15-05:45",
                "preferred_maintenance_window": "sun:05:00-sun:06:00",
            },
            "preferred_maintenance_window",
            "overlaps the maintenance window",
        ),
        ({"tags": {"team": "a,b"}}, "tags", "characters RDS rejects"),
    ],
)
def test_instance_rules_aws_enforces(
    tmp_path: Path, changes: dict[str, Any], field: str, message: str
) -> None:
    [problem] = problems(tmp_path, {"db": _db(**changes)})
    path, text = problem.split(": ", 1)
    assert path == "resources.db.properties" + (f".{field}" if field else "")
    assert message in text


def test_maintenance_window_reads_as_aws_reports_it(tmp_path: Path) -> None:
    props = (
        load(tmp_path, {"db": _db(preferred_maintenance_window="Sun:05:00-Sun:05:30")})
        .resources["db"]
        .properties
    )
    assert props["preferred_maintenance_window"] == "sun:05:00-sun:05:30"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({}, "exactly one of env, file, generate or manage (none given)"),
        ({"env": "A", "manage": True}, "(env and manage given)"),
        ({"env": "1BAD"}, "not an environment variable name"),
        ({"manage": False}, "expected true, got false"),
        ({"generate": {"store": "vault"}}, "'secretsmanager' or 'ssm'"),
        ({"generate": {"store": "ssm", "name": "app/db"}}, "must start with /"),
        ({"generate": {"store": "ssm", "name": "/aws/db"}}, "cannot begin with aws or ssm"),
        ({"file": "x" * 300}, "too long to record"),
    ],
)
def test_master_password_sources(tmp_path: Path, source: dict[str, Any], message: str) -> None:
    [problem] = problems(tmp_path, {"db": _db(master_password=source)})
    assert problem.startswith("resources.db.properties.master_password")
    assert message in problem


def test_a_password_written_in_clear_is_refused(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, {"db": _db(master_password="hunter2hunter2")})
    assert problem.startswith("resources.db.properties.master_password")


@pytest.mark.parametrize(
    "source",
    [
        {"env": "DB_PASSWORD"},
        {"file": "~/secrets/db pass (prod).txt"},
        {"file": "C:\\keys\\ünïcode.txt"},
        {"generate": {"store": "secretsmanager"}},
        {"generate": {"store": "ssm", "name": "/app/prod/db"}},
    ],
)
def test_password_sources_survive_an_rds_tag(source: dict[str, Any]) -> None:
    tag = source_tag(source)
    assert tag is not None
    assert len(tag) <= 256
    assert all(c.isalnum() or c in " _.:/=+-@" for c in tag)  # RDS's tag characters
    assert source_from_tag(tag) == source


def test_managed_passwords_need_no_tag() -> None:
    assert source_tag({"manage": True}) is None
    assert source_from_tag(None) is None
    assert source_from_tag("nonsense") is None


def test_parameter_group_family_must_fit_the_engine_version(tmp_path: Path) -> None:
    group = {"type": "aws.rds.db_parameter_group", "properties": {"family": "mysql5.7"}}
    [problem] = problems(
        tmp_path, {"params": group, "db": _db(parameter_group_name="${params.name}")}
    )
    assert problem == (
        "resources.db.properties.parameter_group_name: parameter group 'params' is of family "
        "mysql5.7, but mysql 8.0.39 needs family mysql8.0"
    )
    group["properties"]["family"] = "mysql8.0"
    load(tmp_path, {"params": group, "db": _db(parameter_group_name="${params.name}")})


def test_identifiers_are_unique_per_region_replicas_included(tmp_path: Path) -> None:
    [problem] = problems(
        tmp_path, {"db": _db(identifier="main"), "copy": _replica(identifier="MAIN")}
    )
    assert "'db' already has the DB instance identifier 'main'" in problem  # any case


# -- read replicas ----------------------------------------------------------------------------


def test_a_replica_names_its_source_as_rds_wants_it(tmp_path: Path) -> None:
    [same] = problems(tmp_path, {"db": _db(), "copy": _replica(source_db_instance="${db.arn}")})
    assert "names it by identifier: ${db.id}" in same
    far = _replica(source_db_instance="${db.id}")
    far["region"] = "eu-west-1"
    [other] = problems(tmp_path, {"db": _db(), "copy": far})
    assert "names it by ARN: ${db.arn}" in other
    far["properties"]["source_db_instance"] = "${db.arn}"
    load(tmp_path, {"db": _db(), "copy": far})


def test_a_replica_needs_backups_on_its_source(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, {"db": _db(backup_retention_period=0), "copy": _replica()})
    assert "'db' has backup_retention_period 0" in problem
    assert problem.startswith("resources.copy.properties.source_db_instance")


def test_a_replica_offers_no_engine_or_password(tmp_path: Path) -> None:
    problems_found = problems(
        tmp_path, {"db": _db(), "copy": _replica(engine="mysql", master_password={"env": "X"})}
    )
    assert sorted(problems_found) == [
        "resources.copy.properties.engine: unknown field 'engine'",
        "resources.copy.properties.master_password: unknown field 'master_password'",
    ]


# -- subnet and parameter groups ---------------------------------------------------------------


def test_subnet_group_needs_two_zones(tmp_path: Path) -> None:
    group = {
        "type": "aws.rds.db_subnet_group",
        "properties": {"subnet_ids": ["${a.id}", "${a2.id}"]},
    }
    [problem] = problems(tmp_path, {**NETWORK, "subnets": group})
    assert problem == (
        "resources.subnets.properties.subnet_ids: a DB subnet group needs subnets in at least "
        "two availability zones; subnets a and a2 are all in us-west-2a"
    )
    group["properties"]["subnet_ids"] = ["${a.id}", "${b.id}"]
    props = load(tmp_path, {**NETWORK, "subnets": group}).resources["subnets"].properties
    assert props["name"] == "shop-subnets"


def test_parameter_values_are_text_as_rds_stores_them(tmp_path: Path) -> None:
    group = {
        "type": "aws.rds.db_parameter_group",
        "properties": {
            "family": "postgres16",
            "parameters": {"rds.force_ssl": True, "max_connections": 200, "timezone": "UTC"},
        },
    }
    props = load(tmp_path, {"params": group}).resources["params"].properties
    assert props["parameters"] == {
        "rds.force_ssl": "1",
        "max_connections": "200",
        "timezone": "UTC",
    }
    group["properties"]["family"] = "oracle-ee-19"
    [problem] = problems(tmp_path, {"params": group})
    assert "not a parameter group family of MariaDB, MySQL or PostgreSQL" in problem


# -- plans ------------------------------------------------------------------------------------


def _live(stack: Stack, **overrides: Any) -> LiveState:
    props = {**stack.resources["db"].properties, **overrides}
    return LiveState(
        resources={
            "db": LiveResource(
                "aws.rds.db_instance", "shop-db", "us-west-2", props, "db", proof=Proof.RECORDED
            )
        }
    )


@pytest.mark.parametrize(
    ("live", "action", "replaces"),
    [
        ({"allocated_storage": 100}, Action.REPLACE, ["allocated_storage"]),  # shrink
        ({"allocated_storage": 10}, Action.UPDATE, []),  # grow
        ({"engine_version": "8.0.40"}, Action.REPLACE, ["engine_version"]),  # downgrade
        ({"engine_version": "8.0.35"}, Action.UPDATE, []),  # upgrade
        ({"instance_class": "db.t3.large"}, Action.UPDATE, []),
        ({"master_password": {"env": "OLD"}}, Action.UPDATE, []),
        ({"engine": "mariadb"}, Action.REPLACE, ["engine"]),
    ],
)
def test_what_replaces_and_what_changes_in_place(
    tmp_path: Path, live: dict[str, Any], action: Action, replaces: list[str]
) -> None:
    stack = load(tmp_path, {"db": _db()})
    change = make_plan(stack, _live(stack, **live)).change("db")
    assert change.action is action
    assert change.replace_paths() == replaces
    if action is Action.REPLACE:
        assert change.notes == ("replacing a database loses its data unless a snapshot is taken",)
        assert change.changes[0].note == DB_INSTANCE.replace_notes[replaces[0]]


def test_destroy_notes_say_what_happens_to_the_data() -> None:
    assert "final snapshot" in (DB_INSTANCE.delete_note(None) or "")
    assert "without a final snapshot" in (
        DB_INSTANCE.delete_note({"skip_final_snapshot": True}) or ""
    )
    assert "deletion_protection: false" in (
        DB_INSTANCE.delete_note({"deletion_protection": True}) or ""
    )
    assert "generated master password is deleted" in (
        DB_INSTANCE.delete_note({"master_password": {"generate": {"store": "ssm"}}}) or ""
    )


def test_final_snapshot_names_are_valid_rds_identifiers() -> None:
    """Named after the instance's own resource id: valid for RDS (a letter first, lower case
    letters, digits, single hyphens), unique per instance, and the same in every plan."""
    assert (
        final_snapshot_identifier("Shop", "main_db", "db-ABCDEFGHIJKLMN0123456789")
        == "shop-main-db-final-abcdefghijklmn0123456789"
    )
    assert final_snapshot_identifier("shop", "_db", "db-X1") == "shop-db-final-x1"
    assert final_snapshot_identifier("9lives", "db", "db-X1") == "s-9lives-db-final-x1"
    long = final_snapshot_identifier("a" * 200, "b" * 100, "db-X1")
    assert len(long) <= 255 and not long.endswith("-")
    first, second = (final_snapshot_identifier("s", "db", f"db-{i}") for i in "AB")
    assert first != second
