"""The plan as a pull-request comment, read the way GitHub reads it: CommonMark (markdown-it-py)
finds the ```diff block, and GitHub colours each of its lines by the first character."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from stackdeploy.plan.types import Action, Plan, PropertyChange, Reason, ResourceChange
from stackdeploy.report.markdown import (
    GITHUB_COMMENT_LIMIT,
    ordered_changes,
    plan_markdown,
    size,
)
from stackdeploy.report.plan_view import Line, plan_lines
from stackdeploy.specs.base import ReplaceStrategy
from tests.unit.planner_harness import CASES, plan_of_case

GFM = MarkdownIt("commonmark").enable("table")
COLOURS = {"green": "+", "red": "-", "yellow": "!"}  # terminal colour -> GitHub's diff marker
MARKS = {"+": "+", "-": "-", "~": "!", "-/+": "-", "+/-": "+"}  # text view marker -> GitHub's
USER_DATA = "#!/bin/bash\necho '```not a fence```'\n```\nsystemctl start web\n"


def _fences(markdown: str) -> list[Token]:
    return [token for token in GFM.parse(markdown) if token.type == "fence"]


def _diff_lines(markdown: str) -> list[str]:
    fences = _fences(markdown)
    assert [fence.info for fence in fences] == ["diff"]
    return fences[0].content.splitlines()


def _expected_colour(line: Line) -> str | None:
    """How GitHub must colour a line of the text plan: a marked line (header or property)
    by its marker, a line of a changed value (user data, mappings) by its colour; comments,
    warnings and the rest not at all."""
    text = "".join(part for part, _ in line)
    mark = text.strip().split(" ", 1)[0]
    style = line[0][1] if line else ""
    if style.startswith("bold ") and mark in MARKS:  # a resource's header
        return MARKS[mark]
    return COLOURS.get(style)


def _check_github_colours(plan: Plan, markdown: str) -> list[str]:
    """Line by line against the text view (in the markdown's order): every changed line is
    inside the diff block, coloured as the terminal colours it, its text intact."""
    lines = _diff_lines(markdown)
    ordered = replace(plan, changes=tuple(ordered_changes(plan)))
    view = list(plan_lines(ordered, with_cost=False))
    assert len(lines) == len(view)
    for line, shown in zip(view, lines, strict=True):
        text = "".join(part for part, _ in line)
        colour = _expected_colour(line)
        if colour is None:
            assert shown == text
            continue
        assert shown[:1] == colour, (text, shown)  # column 0, where GitHub looks
        words = text.split()
        if words[0] in MARKS and MARKS[words[0]] == colour:  # the marker moved to column 0
            assert shown.split() == [{"~": "!"}.get(words[0], words[0]), *words[1:]]
            assert len(shown) == len(text)  # the indentation kept after it
        else:  # a line of a changed value, marked in its indentation
            assert shown[1:] == text[1:] and text[0] == " "
    return lines


def _plans(tmp_path: Path) -> dict[str, Plan]:
    cases = {
        "replace": "subnet_cidr_forces_replacement",  # replace, and an in-place list delta
        "create_before_destroy": "generated_name_alternates",
        "delete": "removed_from_config",
        "create": "create_everything",
        "update": "edit_and_drift_together",
    }
    return {
        name: plan_of_case(CASES / f"{case}.yaml", tmp_path, account="123456789012")
        for name, case in cases.items()
    }


@pytest.mark.parametrize("name", ["replace", "create_before_destroy", "delete", "create", "update"])
def test_every_changed_line_is_coloured_by_github(name: str, tmp_path: Path) -> None:
    plan = _plans(tmp_path)[name]
    markdown = plan_markdown(plan)
    _check_github_colours(plan, markdown)
    assert markdown.splitlines()[0] == "<!-- stackdeploy:" + plan.stack + " -->"
    assert GFM.parse(markdown)[0].type == "html_block"  # hidden on GitHub
    assert "✂️" not in markdown


def _instance(user_data: str) -> ResourceChange:
    return ResourceChange(
        "web",
        "aws.ec2.instance",
        "us-west-2",
        Action.CREATE,
        (Reason.NEW,),
        after={"instance_type": "t3.micro", "user_data": user_data, "tags": {"a": "1"}},
    )


def test_user_data_holding_a_fence_stays_inside_the_diff_block() -> None:
    plan = Plan("web", "us-west-2", "123456789012", False, (_instance(USER_DATA),))
    lines = _check_github_colours(plan, plan_markdown(plan))
    for text in USER_DATA.splitlines():  # each line of the script is an added line
        assert any(line.startswith("+") and line.endswith(text) for line in lines), text
    assert "+       EOT" in lines


def test_replacements_and_deletions_come_first_and_a_copy_is_named(tmp_path: Path) -> None:
    plans = _plans(tmp_path)
    vpc = plans["create"].change("vpc")
    deleted = plans["delete"].change("old_subnet")
    replaced = plans["replace"].change("public")
    updated = plans["update"].change("vpc")
    changes = (
        vpc,
        ResourceChange(**{**vars(updated), "address": "edited"}),
        deleted,
        replaced,
    )
    plan = Plan("net-alice", "us-west-2", "123456789012", False, changes)
    markdown = plan_markdown(plan, copy="alice")
    assert markdown.splitlines()[0] == "<!-- stackdeploy:net:alice -->"
    rows = [
        line.split("`")[1]
        for line in markdown.splitlines()
        if line.startswith("| ") and "`" in line
    ]
    assert rows == ["public", "old_subnet", "vpc", "edited"]
    headers = [line for line in _diff_lines(markdown) if re.match(r"^[-+!]\S* +\w+ \(aws", line)]
    assert [line.split()[1] for line in headers] == ["public", "old_subnet", "vpc", "edited"]
    _check_github_colours(plan, markdown)


def _big_plan(count: int) -> Plan:
    """A stack of `count` resources: replacements, deletions, updates, creates with user data."""
    changes = []
    for i in range(count):
        kind = i % 20
        if kind == 0:
            change = ResourceChange(
                f"subnet_{i:04}",
                "aws.ec2.subnet",
                "us-west-2",
                Action.REPLACE,
                (Reason.CANNOT_UPDATE,),
                physical_id=f"subnet-{i}",
                before={"cidr_block": f"10.{i // 250}.{i % 250}.0/24", "vpc_id": "vpc-1"},
                after={"cidr_block": f"10.9.{i % 250}.0/24", "vpc_id": "vpc-1"},
                changes=(
                    PropertyChange(
                        "cidr_block", f"10.{i // 250}.{i % 250}.0/24", "10.9.0.0/24", True
                    ),
                ),
                replace_strategy=ReplaceStrategy.DELETE_THEN_CREATE,
            )
        elif kind == 1:
            change = ResourceChange(
                f"old_{i:04}",
                "aws.ec2.vpc",
                "us-west-2",
                Action.DELETE,
                (Reason.REMOVED,),
                physical_id=f"vpc-{i}",
            )
        elif kind == 2:
            change = ResourceChange(
                f"sg_{i:04}",
                "aws.ec2.security_group",
                "us-west-2",
                Action.UPDATE,
                (Reason.CHANGED,),
                physical_id=f"sg-{i}",
                changes=(PropertyChange("tags", {"team": "a"}, {"team": "b", "cost": "x"}),),
            )
        else:
            change = _instance(USER_DATA * 3)
            change = ResourceChange(**{**vars(change), "address": f"web_{i:04}"})
        changes.append(change)
    return Plan("big", "us-west-2", "123456789012", False, tuple(changes), source="big.yaml")


def test_a_2000_resource_plan_stays_under_githubs_limit_and_says_what_it_cut() -> None:
    plan = _big_plan(2000)
    markdown = plan_markdown(plan, plan_file=Path("plan.json"))
    assert size(markdown) < GITHUB_COMMENT_LIMIT
    assert len(markdown) < GITHUB_COMMENT_LIMIT
    note = markdown.rstrip("\n").splitlines()[-1]
    cut = re.search(r"The details of (\d+) of 2000 resources were cut", note)
    assert cut is not None, note
    assert "`deploy show plan.json` prints the saved plan whole" in note
    assert "65,536-character limit" in note
    # What is kept is whole and in order: replacements, then deletions, each fully shown.
    lines = _diff_lines(markdown)
    headers = [line for line in lines if re.match(r"^[-+!]\S* +\w+ \(aws", line)]
    assert len(headers) == 2000 - int(cut.group(1))
    assert headers[0].startswith("-/+ subnet_0000")
    assert all(line.startswith(("-/+ subnet", "-   old")) for line in headers[:200])
    assert lines[-1] == "Plan: 1700 to create, 100 to update, 100 to replace, 100 to destroy."
    assert re.search(r"^# … the details of \d+ more resources are cut$", "\n".join(lines), re.M)
    rows = [
        line for line in markdown.splitlines() if line.startswith(("| ♻️", "| 🗑️", "| ➕", "| 🔄"))
    ]
    assert (
        len(rows) + sum(int(n) for n in re.findall(r"^\| … \| (\d+) more", markdown, re.M)) == 2000
    )


def test_a_plan_too_big_even_for_its_table_keeps_the_first_rows() -> None:
    plan = _big_plan(2000)
    markdown = plan_markdown(plan, budget=20_000)
    assert size(markdown) <= 20_000
    assert re.search(r"^\| … \| \d+ more \|", markdown, re.M)
    note = markdown.rstrip("\n").splitlines()[-1]
    assert "rows of the table" in note
    assert "`deploy plan big.yaml` prints it whole" in note
    _diff_lines(markdown)  # the diff block still opens and closes
