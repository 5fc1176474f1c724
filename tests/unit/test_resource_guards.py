"""A resource's lifecycle block (issue 9): how it is written and checked, where its errors
point, and how a plan that retains a resource reads. The planner's decisions are data cases
(plan_cases/prevent_destroy_*, ignore_changes_*, retain*, guards_recorded_on_apply)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackdeploy.config.loader import load_stack
from stackdeploy.config.schema import stack_json_schema
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.live import LiveResource, LiveState, Proof
from stackdeploy.model.stack import Guards
from stackdeploy.plan.planner import PriorState, make_plan
from stackdeploy.report.plan_json import plan_to_public
from stackdeploy.report.plan_view import plain_plan

GUARDED = """\
stack: records
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16, tags: {Owner: data}}
    lifecycle:
      prevent_destroy: true
      ignore_changes: [enable_dns_hostnames, tags.Owner]
  logs:
    type: aws.s3.bucket
    properties: {name: records-logs-0001}
    lifecycle: {retain_on_delete: true, ignore_changes: all}
"""


def errors_of(tmp_path: Path, text: str) -> list[ConfigError]:
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load_stack(path)
    error = caught.value
    return error.errors if isinstance(error, ConfigErrors) else [error]


def test_the_block_is_read_next_to_type_and_properties(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(GUARDED)
    stack = load_stack(path)
    vpc, logs = stack.resources["vpc"].lifecycle, stack.resources["logs"].lifecycle
    assert vpc.prevent_destroy and not vpc.retain_on_delete
    assert vpc.ignore_changes == ("enable_dns_hostnames", "tags.Owner")
    assert logs.guards() == Guards(retain_on_delete=True)
    assert logs.ignore_changes == ("all",)


def test_an_unknown_property_in_ignore_changes_is_an_error_at_its_line(tmp_path: Path) -> None:
    text = GUARDED.replace(
        "ignore_changes: [enable_dns_hostnames, tags.Owner]",
        "ignore_changes:\n        - tags.Owner\n        - dns_hostnames\n        - cidr_block.x",
    )
    first, second = errors_of(tmp_path, text)
    assert first.message == "ignore_changes: 'dns_hostnames' is not a property of aws.ec2.vpc"
    assert first.hint == "did you mean enable_dns_hostnames?"
    assert str(first.location).endswith("stack.yaml:11 (resources.vpc.lifecycle.ignore_changes[1])")
    assert "'cidr_block' holds a single value" in second.message
    assert second.location is not None and second.location.line == 12


def test_an_exercise_keeps_nothing_so_it_guards_nothing(tmp_path: Path) -> None:
    text = GUARDED.replace("region: us-west-2\n", "region: us-west-2\nlifecycle: exercise\n")
    errors = errors_of(tmp_path, text)
    assert [
        (e.message.split(" keeps")[0], e.location.line if e.location else 0) for e in errors
    ] == [
        ("prevent_destroy", 9),
        ("retain_on_delete", 14),
    ]
    assert all("lifecycle: durable" in (e.hint or "") for e in errors)


def test_the_two_lifecycles_are_told_apart(tmp_path: Path) -> None:
    """lifecycle: exercise is the stack's; the guards are a resource's."""
    misplaced = GUARDED.replace(
        "region: us-west-2\n", "region: us-west-2\nlifecycle: {prevent_destroy: true}\n"
    )
    [error] = errors_of(tmp_path, misplaced)
    assert str(error.location).endswith("stack.yaml:3 (lifecycle)")
    assert error.hint and "a resource's guards go in its own block" in error.hint
    inverted = GUARDED.replace(
        "lifecycle: {retain_on_delete: true, ignore_changes: all}", "lifecycle: exercise"
    )
    [error] = errors_of(tmp_path, inverted)
    assert error.message == "expected a mapping (key: value), got 'exercise'"
    assert error.hint and "lifecycle: exercise is the stack's" in error.hint


def test_the_json_schema_describes_the_block_for_every_type() -> None:
    schema = stack_json_schema()
    block = schema["$defs"]["LifecycleDocument"]
    assert set(block["properties"]) == {"prevent_destroy", "ignore_changes", "retain_on_delete"}
    assert block["additionalProperties"] is False
    for name, model in schema["$defs"].items():
        if name.endswith("Resource") and "type" in model.get("properties", {}):
            assert model["properties"]["lifecycle"]["$ref"] == "#/$defs/LifecycleDocument", name
    assert schema["properties"]["lifecycle"]["enum"] == ["durable", "exercise"]


def test_a_retained_resource_reads_as_such_in_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(GUARDED.replace("prevent_destroy: true", "prevent_destroy: false"))
    stack = load_stack(path)
    live = LiveState(
        resources={
            "vpc": LiveResource(
                "aws.ec2.vpc",
                "vpc-1",
                "us-west-2",
                {"cidr_block": "10.0.0.0/16"},
                "vpc",
                proof=Proof.RECORDED,
            ),
            "logs": LiveResource(
                "aws.s3.bucket",
                "records-logs-0001",
                "us-west-2",
                {"name": "records-logs-0001"},
                "logs",
                proof=Proof.RECORDED,
            ),
        }
    )
    plan = make_plan(stack, live, destroy=True, prior=PriorState())
    text = plain_plan(plan, with_cost=False)
    assert (
        ". logs (aws.s3.bucket) [records-logs-0001] will be retained: untagged and forgotten, "
        "not deleted — the stack is being destroyed" in text
    )
    assert "Plan: 0 to create, 0 to update, 0 to replace, 1 to destroy, 1 to retain" in text
    public = plan_to_public(plan)
    assert public["summary"]["forget"] == 1
    [logs] = [c for c in public["resource_changes"] if c["address"] == "logs"]
    assert logs["change"]["actions"] == ["forget"]
    assert logs["notes"] == [
        "retained: untagged and forgotten, not deleted (lifecycle.retain_on_delete)"
    ]
