"""`deploy plan --json` in Terraform's plan shape: golden documents for each kind of change,
all valid against the published schema, read by a policy check written for Terraform plans.

The golden files (tests/unit/golden/*.json) are the exact output for planner data cases.
After an intended change to the JSON, regenerate them and review the diff:

    STACKDEPLOY_REGENERATE_GOLDEN=1 python -m pytest tests/unit/test_plan_json.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from stackdeploy.cli.main import main
from stackdeploy.plan.types import Reason
from stackdeploy.report.plan_json import dumps_public, plan_json_schema
from tests.unit.planner_harness import CASES, plan_of_case

GOLDEN = Path(__file__).parent / "golden"
ACCOUNT = "123456789012"
# golden file -> the planner case (tests/unit/plan_cases) it is the plan of
GOLDEN_CASES = {
    "create": "create_everything",
    "update": "edit_and_drift_together",
    "replace": "subnet_cidr_forces_replacement",  # destroy first, then create
    "create_before_destroy": "generated_name_alternates",
    "delete": "removed_from_config",
}
VALIDATOR = jsonschema.Draft202012Validator(plan_json_schema())


def _document(case: str, tmp_path: Path) -> str:
    return dumps_public(plan_of_case(CASES / f"{case}.yaml", tmp_path, account=ACCOUNT))


def _errors(document: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_plan(name: str, tmp_path: Path) -> None:
    text = _document(GOLDEN_CASES[name], tmp_path)
    path = GOLDEN / f"{name}.json"
    if os.environ.get("STACKDEPLOY_REGENERATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
    assert text == path.read_text(), f"regenerate with STACKDEPLOY_REGENERATE_GOLDEN=1 ({name})"
    assert _errors(json.loads(path.read_text())) == []


def _golden(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text())
    return document


def _change(document: dict[str, Any], address: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in document["resource_changes"] if c["address"] == address)
    return found


def test_golden_plans_say_what_terraform_would() -> None:
    """The fields Terraform's readers use carry each kind of change the way Terraform does."""
    created = _change(_golden("create"), "nat")["change"]
    assert created["actions"] == ["create"]
    assert created["before"] is None and created["before_sensitive"] is False
    assert created["after"]["tags"] == {"project": "demo"}
    assert "subnet_id" not in created["after"]  # unknown: left out of after...
    assert created["after_unknown"]["subnet_id"] is True  # ...and marked in the mirror
    assert created["after_unknown"]["id"] is True  # AWS assigns it at create

    updated = _change(_golden("update"), "vpc")
    assert updated["change"]["actions"] == ["update"]
    assert updated["change"]["after"]["id"] == "vpc-1"  # known attributes stay in after
    assert updated["change"]["after_unknown"] == {}  # Terraform's {} for a value known whole
    assert "action_reason" not in updated
    assert updated["reasons"] == ["changed", "drift"]  # stackdeploy's own, beside

    replaced = _golden("replace")
    subnet = _change(replaced, "public")
    assert subnet["change"]["actions"] == ["delete", "create"]
    assert subnet["action_reason"] == "replace_because_cannot_update"
    assert subnet["change"]["replace_paths"] == [["cidr_block"]]
    assert _change(replaced, "nat")["change"]["after_unknown"]["subnet_id"] is True
    assert _change(replaced, "vpc")["change"]["actions"] == ["no-op"]

    moved = _change(_golden("create_before_destroy"), "moved")
    assert moved["change"]["actions"] == ["create", "delete"]

    deleted = _change(_golden("delete"), "old_subnet")
    assert deleted["change"]["actions"] == ["delete"]
    assert deleted["change"]["after"] is None and deleted["change"]["after_sensitive"] is False
    assert deleted["action_reason"] == "delete_because_no_resource_config"
    for name in GOLDEN_CASES:
        document = _golden(name)
        assert document["format_version"] == "1.2"
        assert {c["mode"] for c in document["resource_changes"]} == {"managed"}
        assert all(c["name"] == c["address"] for c in document["resource_changes"])


CASE_FILES = [path for path in sorted(CASES.glob("*.yaml")) if "errors:" not in path.read_text()]


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_every_planner_case_gives_a_valid_document(path: Path, tmp_path: Path) -> None:
    document = json.loads(dumps_public(plan_of_case(path, tmp_path, account=ACCOUNT)))
    assert _errors(document) == []


def test_the_schema_names_every_reason_and_is_printed_by_deploy_schema(
    capsys: pytest.CaptureFixture[str],
) -> None:
    jsonschema.Draft202012Validator.check_schema(plan_json_schema())
    reasons = plan_json_schema()["$defs"]["resource_change"]["properties"]["reasons"]
    assert set(reasons["items"]["enum"]) == {reason.name.lower() for reason in Reason}
    assert main(["schema", "--plan"]) == 0
    assert json.loads(capsys.readouterr().out) == plan_json_schema()


def test_the_duplicate_of_an_interrupted_run_is_a_deposed_object(tmp_path: Path) -> None:
    path = CASES / "duplicate_from_interrupted_run.yaml"
    document = json.loads(dumps_public(plan_of_case(path, tmp_path)))
    duplicate = _change(document, "vpc~vpc-2")
    assert (duplicate["name"], duplicate["deposed"]) == ("vpc", "vpc-2")
    assert duplicate["change"]["actions"] == ["delete"]
    assert "deposed" not in _change(document, "vpc")


# A policy check as one writes it for `terraform show -json` output, reading only fields
# Terraform documents (format_version, resource_changes[].address/type/mode/change).
PROTECTED_TYPES = {"aws.rds.db_instance"}


def terraform_policy(plan: dict[str, Any]) -> list[str]:
    """Violations: a protected resource destroyed (or replaced), a create without tags."""
    if not str(plan.get("format_version", "")).startswith("1."):
        return ["not a Terraform JSON plan of format 1.x"]
    violations = []
    for rc in plan.get("resource_changes", []):
        if rc.get("mode") != "managed":
            continue
        actions, after = rc["change"]["actions"], rc["change"]["after"] or {}
        if "delete" in actions and rc["type"] in PROTECTED_TYPES:
            violations.append(f"{rc['address']}: {'/'.join(actions)} of a {rc['type']}")
        unknown = rc["change"]["after_unknown"]
        tags_unknown = isinstance(unknown, dict) and unknown.get("tags") is True
        if "create" in actions and not after.get("tags", {}).get("project") and not tags_unknown:
            violations.append(f"{rc['address']}: created without a project tag")
    return violations


POLICY_STACK = """\
stack: shop
region: us-west-2
tags: TAGS
resources:
  db:
    type: aws.rds.db_instance
    properties:
      engine: mysql
      engine_version: 8.0.39
      instance_class: db.t3.small
      allocated_storage: 20
      master_username: admin
      master_password: {env: DB_PASSWORD}
      db_name: DB_NAME
  net:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
"""


def _policy_plan(tmp_path: Path, *, tags: str, db_name: str) -> dict[str, Any]:
    """The stack against a live database, made as `shop` on a db.t3.micro, and no VPC."""
    case = {
        "description": "a plan for the policy check",
        "stack": POLICY_STACK.replace("TAGS", tags).replace("DB_NAME", db_name),
        "live": {
            "db": {
                "id": "shop-db",
                "like_desired": True,
                "set": {"db_name": "shop", "instance_class": "db.t3.micro"},
            }
        },
    }
    path = tmp_path / "case.yaml"
    path.write_text(json.dumps(case))
    document: dict[str, Any] = json.loads(
        dumps_public(plan_of_case(path, tmp_path, account=ACCOUNT))
    )
    return document


def test_a_policy_written_for_terraform_plans_reads_ours(tmp_path: Path) -> None:
    clean = _policy_plan(tmp_path, tags="{project: shop}", db_name="shop")
    assert terraform_policy(clean) == []
    assert _change(clean, "db")["change"]["actions"] == ["update"]  # the class, in place
    assert _change(clean, "net")["change"]["actions"] == ["create"]

    # A new database name replaces the database (a create too), and without the tag.
    violating = _policy_plan(tmp_path, tags="{team: web}", db_name="orders")
    assert terraform_policy(violating) == [
        "db: delete/create of a aws.rds.db_instance",
        "db: created without a project tag",
        "net: created without a project tag",
    ]
