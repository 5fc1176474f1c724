"""What the plan says to a person (text) and to a pull request (markdown)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rich.console import Console

from stackdeploy.config.loader import LoadOptions, load_stack
from stackdeploy.model.live import LiveState
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action, Plan, PropertyChange
from stackdeploy.report.markdown import plan_markdown
from stackdeploy.report.plan_view import plain_plan, print_plan

STACK = """\
stack: views
region: us-west-2
resources:
  west:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  east:
    type: aws.ec2.vpc
    region: us-east-2
    properties: {cidr_block: 10.1.0.0/16}
"""


def _plan(tmp_path: Path) -> Plan:
    path = tmp_path / "views.yaml"
    path.write_text(STACK)
    stack = load_stack(path, LoadOptions())
    return make_plan(stack, LiveState(), account="123456789012")


def _header(text: str, address: str) -> str:
    return next(line for line in text.splitlines() if f" {address} (" in line)


def test_a_resource_outside_the_stack_region_names_its_region(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    text = plain_plan(plan)
    assert "(aws.ec2.vpc, us-east-2)" in _header(text, "east")
    assert "us-west-2)" not in _header(text, "west")  # the stack's own region goes unsaid
    assert "Plan: 2 to create, 0 to update, 0 to replace, 0 to destroy." in text
    markdown = plan_markdown(plan)
    assert "| `east` | aws.ec2.vpc (us-east-2) |" in markdown
    assert "| `west` | aws.ec2.vpc |" in markdown


def test_a_replacement_warning_is_printed_in_red(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    east = next(change for change in plan.changes if change.address == "east")
    replaced = dataclasses.replace(
        east, action=Action.REPLACE, notes=("replacing a database loses its data",)
    )
    plan = dataclasses.replace(plan, changes=(replaced,))
    assert "# WARNING: replacing a database loses its data" in plain_plan(plan)
    console = Console(record=True, force_terminal=True, color_system="standard", width=200)
    print_plan(plan, console)
    styled = console.export_text(styles=True)
    warning = next(line for line in styled.splitlines() if "WARNING" in line)
    assert "\x1b[1;31m" in warning  # bold red


def test_rules_with_ids_show_only_what_changed_in_each(tmp_path: Path) -> None:
    """A replication rule's new replica key is one line, not the whole rule list twice."""
    plan = _plan(tmp_path)
    east = next(change for change in plan.changes if change.address == "east")
    kept = {"id": "kept", "priority": 3, "prefix": "", "replica_kms_key_id": "arn:old"}
    gone = {"id": "gone", "priority": 2, "prefix": "tmp/"}
    before = {"role": "arn:role", "rules": [kept, gone]}
    edited = {**kept, "replica_kms_key_id": "arn:new", "replica_modifications": True}
    after = {"role": "arn:role", "rules": [edited, {"id": "new", "priority": 1, "prefix": "x/"}]}
    updated = dataclasses.replace(
        east,
        action=Action.UPDATE,
        changes=(PropertyChange("replication", before, after),),
    )
    lines = plain_plan(dataclasses.replace(plan, changes=(updated,))).splitlines()
    start = lines.index("      ~ replication:")
    assert lines[start + 1 : start + 7] == [
        "          ~ rules:",
        '              ~ "kept":',
        '                  ~ replica_kms_key_id: "arn:old" → "arn:new"',
        "                  ~ replica_modifications: null → true",
        '              + "new": {id: "new", priority: 1, prefix: "x/"}',
        '              - "gone": {id: "gone", priority: 2, prefix: "tmp/"}',
    ]
