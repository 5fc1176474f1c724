"""Saved plans: what `deploy plan -o` writes, and every way a file is refused before AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackdeploy.apply.saved_plan import (
    DIGEST_KEY,
    PLAN_FILE_FORMAT,
    content_digest,
    load_saved_plan,
    save_plan,
)
from stackdeploy.cli.main import main
from stackdeploy.cli.plan_files import check_stack_file, is_plan_file, refuse_shaping_options
from stackdeploy.config.loader import load_stack
from stackdeploy.errors import DeployError
from stackdeploy.model.live import LiveState
from stackdeploy.plan.planner import make_plan

STACK = """\
stack: saved
region: us-west-2
resources:
  vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.0.0.0/16}}
  sub: {type: aws.ec2.subnet, properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}}
"""


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    stack_file = tmp_path / "net.yaml"
    stack_file.write_text(STACK)
    stack = load_stack(stack_file)
    path = tmp_path / "plan.json"
    save_plan(stack, make_plan(stack, LiveState()), path, ["sub"])
    return path


def _edit(path: Path, change: Any) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def _refusal(path: Path) -> str:
    with pytest.raises(DeployError) as caught:
        load_saved_plan(path)
    return str(caught.value)


def test_a_saved_plan_reads_back_and_carries_the_digest_of_its_content(saved: Path) -> None:
    document = json.loads(saved.read_text())
    assert next(iter(document)) == "format"  # first, so the first bytes tell a plan file
    assert document["format"] == PLAN_FILE_FORMAT
    assert document[DIGEST_KEY] == content_digest(document)
    stack, plan = load_saved_plan(saved)
    assert stack.name == "saved"
    assert {change.address for change in plan.changes} == {"vpc", "sub"}
    # Formatting is not content: the same plan re-indented still reads.
    saved.write_text(json.dumps(document, sort_keys=True))
    assert load_saved_plan(saved)[0].name == "saved"


def test_a_cidr_changed_after_the_plan_was_made_is_refused(saved: Path) -> None:
    def widen(document: dict[str, Any]) -> None:
        document["stack"]["resources"]["vpc"]["properties"]["cidr_block"] = "10.1.0.0/16"
        change = next(c for c in document["plan"]["changes"] if c["address"] == "vpc")
        change["after"]["cidr_block"] = "10.1.0.0/16"

    _edit(saved, widen)
    message = _refusal(saved)
    assert f"{saved} was changed after `deploy plan` wrote it" in message
    assert "deploy plan STACK_FILE -o" in message


def test_a_stack_name_swapped_after_the_plan_was_made_is_refused(saved: Path) -> None:
    def rename(document: dict[str, Any]) -> None:
        document["stack"]["name"] = "someone-else"
        document["plan"]["stack"] = "someone-else"

    _edit(saved, rename)
    assert "was changed after `deploy plan` wrote it" in _refusal(saved)


def test_removing_or_blanking_the_digest_does_not_get_an_edit_through(saved: Path) -> None:
    _edit(saved, lambda document: document.pop(DIGEST_KEY))
    assert "carries no content digest" in _refusal(saved)
    _edit(saved, lambda document: document.update({DIGEST_KEY: ""}))
    assert "was changed after `deploy plan` wrote it" in _refusal(saved)


def test_a_truncated_plan_names_the_file_and_says_it_is_incomplete(saved: Path) -> None:
    text = saved.read_text()
    saved.write_text(text[: len(text) // 2])
    assert is_plan_file(saved)  # still recognised by its start, so apply reads it as one
    message = _refusal(saved)
    assert f"plan file {saved} is incomplete or damaged: it is not valid JSON" in message
    assert "cut short" in message


def test_a_newer_format_is_refused_naming_both_formats(saved: Path) -> None:
    _edit(saved, lambda document: document.update({"format": "stackdeploy-plan/2"}))
    assert is_plan_file(saved)
    message = _refusal(saved)
    assert f"{saved} was saved by a newer stackdeploy, in format stackdeploy-plan/2" in message
    assert f"this one reads {PLAN_FILE_FORMAT}" in message


def test_foreign_json_is_not_a_plan(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "terraform-plan/4", "x": 1}))
    assert "is not a saved plan: its format is 'terraform-plan/4'" in _refusal(other)
    other.write_text("[1, 2]")
    assert "is not a saved plan" in _refusal(other)


def test_foreign_json_where_a_stack_file_is_expected_says_what_it_is(tmp_path: Path) -> None:
    public = tmp_path / "plan.json"  # what `deploy plan --json > plan.json` makes
    public.write_text(json.dumps({"format_version": "1", "resource_changes": []}))
    with pytest.raises(DeployError) as caught:
        check_stack_file(public)
    assert f"{public} is JSON, but neither a stack file nor a saved plan" in str(caught.value)
    assert "output of `deploy plan --json`" in str(caught.value)
    as_json = tmp_path / "stack.json"  # a stack file may be written as JSON
    as_json.write_text(json.dumps({"stack": "s", "region": "us-west-2", "resources": {}}))
    check_stack_file(as_json)


def test_a_saved_plan_where_a_stack_file_is_expected_says_what_to_do(saved: Path) -> None:
    with pytest.raises(DeployError) as caught:
        check_stack_file(saved)
    message = str(caught.value)
    assert f"{saved} is a saved plan, not a stack file" in message
    assert f"apply it with `deploy apply {saved}`" in message
    assert f"deploy plan {saved.parent / 'net.yaml'}" in message  # the file it was made from


@pytest.mark.parametrize("command", ["validate", "plan", "cost", "graph", "output", "destroy"])
def test_every_stack_command_names_a_saved_plan_given_to_it(
    saved: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # No endpoint given: the refusal must come before any AWS client is made.
    assert main([command, str(saved), "--no-color"]) == 1
    err = capsys.readouterr().err
    assert f"{saved} is a saved plan, not a stack file" in err
    assert "unknown field" not in err


def test_plan_shaping_options_are_named_and_refused() -> None:
    refuse_shaping_options(Path("plan.json"), [])
    with pytest.raises(DeployError) as caught:
        refuse_shaping_options(Path("plan.json"), ["--target", "--var", "--adopt"])
    message = str(caught.value)
    assert "--target, --var, --adopt cannot be used with a saved plan" in message
    assert "applied exactly as it was made" in message
    assert "deploy plan STACK_FILE --target ... --var ... --adopt -o plan.json" in message
