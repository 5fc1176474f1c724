"""deploy show: a saved plan rendered again (text, JSON, markdown) with no AWS call; one
output format at a time; copies named in the JSON plan and in the comment marker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient

from tests.e2e.conftest import Cli
from tests.e2e.test_cli_behaviour import NETWORK, write

pytestmark = pytest.mark.e2e


def _no_aws(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError(f"deploy show called AWS: {args[1:2]}")


def test_show_renders_a_saved_plan_as_plan_does_without_aws(
    cli: Cli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack = write(workdir, NETWORK)
    saved = str(workdir / "plan.json")
    planned = cli("plan", stack, "-o", saved)
    assert planned.code == 0, planned.stderr
    as_json = cli("plan", stack, "--json")
    as_markdown = cli("plan", stack, "--markdown")

    monkeypatch.setattr(BaseClient, "_make_api_call", _no_aws)  # any AWS call fails the test
    shown = cli("show", saved, "--no-color", target=False)
    assert shown.code == 0, shown.stderr
    assert shown.stdout == planned.stdout
    assert "vpc (aws.ec2.vpc) will be created" in shown.stdout
    shown_json = cli("show", saved, "--json", target=False)
    assert shown_json.code == 0, shown_json.stderr
    assert shown_json.stdout == as_json.stdout
    assert json.loads(shown_json.stdout)["format_version"] == "1.2"
    shown_markdown = cli("show", saved, "--markdown", target=False)
    assert shown_markdown.stdout == as_markdown.stdout


def test_json_and_markdown_together_are_a_usage_error(cli: Cli, workdir: Path) -> None:
    stack = write(workdir, NETWORK)
    saved = workdir / "plan.json"
    for args in (["plan", stack], ["show", str(saved)]):
        both = cli(*args, "--json", "--markdown", target=args[0] == "plan")
        assert both.code == 1
        assert both.stdout == ""
        assert "--json and --markdown each print the whole plan: pass only one" in both.stderr


def test_show_refuses_what_is_not_a_saved_plan(cli: Cli, workdir: Path) -> None:
    stack = write(workdir, NETWORK)
    refused = cli("show", stack, target=False)
    assert refused.code == 1
    assert f"{stack} is not a saved plan" in refused.stderr
    assert "deploy plan STACK -o PLANFILE" in refused.stderr


def test_each_copy_is_named_in_json_and_in_its_comment_marker(cli: Cli, workdir: Path) -> None:
    stack = write(workdir, NETWORK)
    planned = cli("plan", stack, "--copies", "alice,bob", "--json")
    assert planned.code == 0, planned.stderr
    documents = planned.json()
    assert {name: (d["stack"], d["copy"]) for name, d in documents.items()} == {
        "alice": ("behave-alice", "alice"),
        "bob": ("behave-bob", "bob"),
    }
    markdown = cli("plan", stack, "--copies", "alice,bob", "--markdown").stdout
    markers = [line for line in markdown.splitlines() if line.startswith("<!-- stackdeploy:")]
    assert markers == ["<!-- stackdeploy:behave:alice -->", "<!-- stackdeploy:behave:bob -->"]
    single = cli("plan", stack, "--copy", "alice", "--markdown").stdout
    assert single.splitlines()[0] == "<!-- stackdeploy:behave:alice -->"
