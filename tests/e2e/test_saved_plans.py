"""Saved plans that cannot be misused: options that would shape another plan, edited files,
and plan files given where a stack file is expected are all refused before any AWS call."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.leftovers import owned_resources
from tests.strict import StrictAws

pytestmark = pytest.mark.e2e

NETWORK = """\
stack: saved
region: us-west-2
vars:
  vpc_cidr: 10.0.0.0/16
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: "{{ vpc_cidr }}"}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}
"""

# Every option that would shape a plan, as a user would add it to `apply plan.json`.
SHAPING = [
    ("--target", "vpc"),
    ("--var", "vpc_cidr=10.1.0.0/16"),
    ("--var-file", "vars.yaml"),
    ("--region", "us-east-1"),
    ("--copy", "alice"),
    ("--copies", "alice,bob"),
    ("--copies-file", "class.txt"),
    ("--expires-in", "2h"),
    ("--adopt",),
    ("--force-owned",),
]


def _saved_plan(cli: Cli, workdir: Path) -> Path:
    stack = workdir / "net.yaml"
    stack.write_text(NETWORK)
    (workdir / "vars.yaml").write_text("vpc_cidr: 10.1.0.0/16\n")
    (workdir / "class.txt").write_text("alice\nbob\n")
    saved = workdir / "plan.json"
    made = cli("plan", str(stack), "-o", str(saved))
    assert made.code == 0, made.stderr
    return saved


def test_options_that_shape_a_plan_are_refused_with_a_saved_plan(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    saved = _saved_plan(cli, workdir)
    for option in SHAPING:
        strict_aws.calls.clear()
        refused = cli("apply", str(saved), *option)
        assert refused.code == 1, option
        assert f"{option[0]} cannot be used with a saved plan" in refused.stderr
        assert "applied exactly as it was made" in refused.stderr
        assert f"deploy plan STACK_FILE {option[0]}" in refused.stderr
        assert not strict_aws.calls, (option, strict_aws.calls)  # not even a read
    assert owned_resources(aws, "saved") == {}
    several = cli("apply", str(saved), "--target", "vpc", "--var", "vpc_cidr=10.1.0.0/16")
    assert "--target, --var cannot be used with a saved plan" in several.stderr

    # Options that say where and how fast, not what, are fine; the plan is applied whole.
    applied = cli("apply", str(saved), "--parallelism", "2")
    assert applied.code == 0, applied.stderr
    assert sorted(owned_resources(aws, "saved")) == ["subnet", "vpc"]


def _edit(saved: Path, change: Any) -> None:
    document = json.loads(saved.read_text())
    change(document)
    saved.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


def _widen_cidr(document: dict[str, Any]) -> None:
    document["stack"]["resources"]["vpc"]["properties"]["cidr_block"] = "10.1.0.0/16"
    vpc = next(c for c in document["plan"]["changes"] if c["address"] == "vpc")
    vpc["after"]["cidr_block"] = "10.1.0.0/16"


def _swap_stack_name(document: dict[str, Any]) -> None:
    document["stack"]["name"] = "someone-else"
    document["plan"]["stack"] = "someone-else"


@pytest.mark.parametrize("edit", [_widen_cidr, _swap_stack_name], ids=["cidr", "stack-name"])
def test_a_plan_edited_after_it_was_made_is_refused_before_any_aws_call(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws, edit: Any
) -> None:
    saved = _saved_plan(cli, workdir)
    _edit(saved, edit)
    strict_aws.calls.clear()
    refused = cli("apply", str(saved))
    assert refused.code == 1
    assert f"{saved} was changed after `deploy plan` wrote it" in refused.stderr
    assert not strict_aws.calls
    assert owned_resources(aws, "saved") == {}
    assert owned_resources(aws, "someone-else") == {}


def test_damaged_and_newer_plan_files_are_refused_naming_the_file(
    cli: Cli, workdir: Path, strict_aws: StrictAws
) -> None:
    saved = _saved_plan(cli, workdir)
    whole = saved.read_text()
    newer = workdir / "newer.json"
    newer.write_text(whole.replace('"stackdeploy-plan/1"', '"stackdeploy-plan/2"', 1))
    truncated = workdir / "cut.json"
    truncated.write_text(whole[: len(whole) // 2])
    public = workdir / "public.json"
    public.write_text(cli("plan", str(workdir / "net.yaml"), "--json").stdout)
    strict_aws.calls.clear()
    cut = cli("apply", str(truncated))
    assert cut.code == 1
    assert f"plan file {truncated} is incomplete or damaged" in cut.stderr
    later = cli("apply", str(newer))
    assert later.code == 1
    assert f"{newer} was saved by a newer stackdeploy" in later.stderr
    foreign = cli("apply", str(public))
    assert foreign.code == 1
    assert f"{public} is JSON, but neither a stack file nor a saved plan" in foreign.stderr
    assert "output of `deploy plan --json`" in foreign.stderr
    assert not strict_aws.calls


@pytest.mark.parametrize("command", ["plan", "validate"])
def test_a_saved_plan_given_as_a_stack_file_says_what_to_do(
    cli: Cli, workdir: Path, strict_aws: StrictAws, command: str
) -> None:
    saved = _saved_plan(cli, workdir)
    strict_aws.calls.clear()
    result = cli(command, str(saved))
    assert result.code == 1
    assert f"{saved} is a saved plan, not a stack file" in result.stderr
    assert f"apply it with `deploy apply {saved}`" in result.stderr
    assert f"deploy plan {workdir / 'net.yaml'}" in result.stderr
    assert "unknown field" not in result.stderr
    assert not strict_aws.calls
