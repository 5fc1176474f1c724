"""The human-readable plan: Terraform's shape, with the reason for every change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.text import Text

from stackdeploy.plan.diff import stable_text
from stackdeploy.plan.types import Action, Plan, PropertyChange, ResourceChange
from stackdeploy.pricing.estimate import estimate_plan
from stackdeploy.report.cost_view import plan_cost_lines
from stackdeploy.report.values import show
from stackdeploy.specs.base import ReplaceStrategy

Line = list[tuple[str, str]]  # (text, rich style) segments

SYMBOLS = {
    Action.CREATE: ("+", "green"),
    Action.UPDATE: ("~", "yellow"),
    Action.DELETE: ("-", "red"),
    Action.FORGET: (".", "cyan"),
}
VERBS = {
    Action.CREATE: "will be created",
    Action.UPDATE: "will be updated in place",
    Action.REPLACE: "must be replaced",
    Action.DELETE: "will be destroyed",
    Action.FORGET: "will be retained: untagged and forgotten, not deleted",
}
HIDDEN_ON_CREATE = frozenset({"tags"})  # shown separately, as a mapping


def symbol(change: ResourceChange) -> tuple[str, str]:
    if change.action is Action.REPLACE:
        if change.replace_strategy is ReplaceStrategy.CREATE_THEN_DELETE:
            return "+/-", "magenta"
        return "-/+", "magenta"
    return SYMBOLS.get(change.action, (" ", ""))


def plan_lines(plan: Plan, *, with_cost: bool = True) -> Iterator[Line]:
    actionable = plan.actionable()
    if not actionable:
        if plan.destroy:
            yield [("Nothing to destroy: ", "bold green"), ("the stack owns nothing in AWS.", "")]
        else:
            yield [("No changes. ", "bold green"), ("AWS matches the stack file.", "")]
        yield from warning_lines(plan)
        yield from left_alone_lines(plan)
        return
    yield intro_line(plan)
    yield []
    for change in actionable:
        yield from change_lines(plan, change)
        yield []
    yield from closing_lines(plan)
    if with_cost:
        yield from plan_cost_lines(plan, estimate_plan(plan))


def intro_line(plan: Plan) -> Line:
    intro = "destroy these resources of" if plan.destroy else "make these changes to"
    return [
        (f"stackdeploy will {intro} stack ", ""),
        (plan.stack, "bold"),
        (f" ({plan.region}, account {plan.account}):", ""),
    ]


def change_lines(plan: Plan, change: ResourceChange) -> Iterator[Line]:
    """One resource's part of the plan: its header line, then what changes and why."""
    yield from _change_lines(change, plan.region, _switching(plan, change))


def closing_lines(plan: Plan) -> Iterator[Line]:
    """What follows the resources: warnings, what is left alone, the stack, the summary."""
    yield from warning_lines(plan)
    yield from left_alone_lines(plan)
    yield from stack_lines(plan)
    yield summary_line(plan)


def warning_lines(plan: Plan) -> Iterator[Line]:
    for warning in plan.warnings:
        yield [("Warning: ", "bold yellow"), (warning, "yellow")]


def left_alone_lines(plan: Plan) -> Iterator[Line]:
    """What was found for the stack but is not touched, why, and the flag that would."""
    if not plan.left_alone:
        return
    yield []
    yield [("Found but left alone", "bold yellow"), (" (not proven to be this stack's):", "")]
    for entry in plan.left_alone:
        where = f", {entry.region}" if entry.region != plan.region else ""
        yield [
            ("  ! ", "bold yellow"),
            (entry.address, "bold"),
            (f" ({entry.type}{where}) [{entry.physical_id}]", "dim"),
        ]
        yield [(f"      {entry.reason}", "yellow")]
    yield [(f"  To delete them anyway: {force_command(plan)}", "dim")]
    yield []


def force_command(plan: Plan) -> str:
    """The command that deletes what the plan leaves alone."""
    command = "destroy" if plan.destroy else "apply"
    return f"deploy {command} {plan.source or '<stack file>'} --force-owned"


KEPT_BY_DESTROY = {
    "durable": "destroy keeps final database snapshots, refuses buckets that hold objects "
    "unless force_destroy, and leaves KMS keys to their deletion window",
    "exercise": "destroy keeps nothing: no final snapshots, buckets emptied, KMS keys deleted "
    "after the 7-day minimum, no termination or deletion protection",
}


def stack_lines(plan: Plan) -> Iterator[Line]:
    """What the stack is: its lifecycle (what a destroy keeps) and its expiry."""
    yield [("Lifecycle: ", "bold"), (f"{plan.lifecycle} ({KEPT_BY_DESTROY[plan.lifecycle]})", "")]
    for read in plan.inputs:
        yield [
            ("Reads: ", "bold"),
            (f"output {read.output} of stack {read.stack}", ""),
            (f" (recorded in {read.where})", "dim"),
        ]
    if plan.expires:
        yield [("Expires: ", "bold"), (f"{plan.expires} ({time_left(plan.expires)})", "")]


def time_left(expires: str) -> str:
    """How long until an ISO 8601 UTC time, for people: "in 3h 59m" or "expired"."""
    moment = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    seconds = int((moment - datetime.now(UTC)).total_seconds())
    if seconds <= 0:
        return "expired"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if hours or days else []
    return "in " + " ".join([*parts, f"{minutes}m"])


def summary_line(plan: Plan) -> Line:
    counts = plan.summary()
    text = (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['replace']} to replace, {counts['delete']} to destroy"
    )
    if counts["forget"]:
        text += f", {counts['forget']} to retain (untagged and forgotten, not deleted)"
    return [(f"{text}.", "bold")]


def _switching(plan: Plan, replaced: ResourceChange) -> list[str]:
    """What updates in place to use a replacement created before the old one goes."""
    if replaced.replace_strategy is not ReplaceStrategy.CREATE_THEN_DELETE:
        return []
    return [
        change.address
        for change in plan.changes
        if replaced.address in change.depends_on and change.action is Action.UPDATE
    ]


def _change_lines(
    change: ResourceChange, stack_region: str, switching: list[str]
) -> Iterator[Line]:
    mark, style = symbol(change)
    # The region is named only where it is not the stack's, as in a multi-region stack.
    where = f", {change.region}" if change.region != stack_region else ""
    header: Line = [
        (f"{mark:>3} ", f"bold {style}"),
        (change.address, "bold"),
        (f" ({change.type}{where})", "dim"),
    ]
    if change.physical_id:
        header.append((f" [{change.physical_id}]", "dim"))
    header.append((f" {VERBS[change.action]}", ""))
    if change.reasons:
        header.append((" — " + "; ".join(r.value for r in change.reasons), "dim"))
    yield header
    if change.action is Action.CREATE:
        yield from _all_properties(change.after or {}, "+", "green")
    elif change.action in (Action.DELETE, Action.FORGET):
        for note in change.notes:
            yield [("      # ", "dim"), (note, "yellow")]
    else:
        for property_change in change.changes:
            yield from _property_change(property_change)
    if change.action is Action.REPLACE:
        for note in change.notes:
            yield [("      # WARNING: ", "bold red"), (note, "red")]
    if change.action is Action.REPLACE and change.replace_strategy is not None:
        order = (
            "the new one is created before the old one is destroyed"
            if change.replace_strategy is ReplaceStrategy.CREATE_THEN_DELETE
            else "the old one is destroyed before the new one is created"
        )
        if switching:
            order += f"; {', '.join(switching)} switch to the new one in place first"
        yield [("      # ", "dim"), (order, "dim")]


def _heredoc(value: str, indent: str, style: str) -> Iterator[Line]:
    """A multi-line string (user data) shown whole, like Terraform's <<EOT."""
    for line in value.rstrip("\n").split("\n"):
        yield [(f"{indent}{line}", style)]
    yield [(f"{indent[:-4]}EOT", style)]


def _all_properties(after: dict[str, Any], mark: str, style: str) -> Iterator[Line]:
    shown = {k: v for k, v in after.items() if v is not None and v not in ([], {})}
    # Tags last: they are the least interesting part of a new resource.
    shown = dict(sorted(shown.items(), key=lambda item: item[0] == "tags"))
    width = max((len(k) for k in shown), default=0)
    for name, value in shown.items():
        if isinstance(value, str) and "\n" in value:
            yield [(f"      {mark} {name.ljust(width)} = <<EOT", style)]
            yield from _heredoc(value, "            ", style)
        elif isinstance(value, dict) and value:
            yield [(f"      {mark} {name}:", style)]
            for key, item in value.items():
                yield [(f"          {key}: {show(item)}", style)]
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            yield [(f"      {mark} {name}:", style)]
            for item in value:
                yield [(f"          - {show(item)}", style)]
        else:
            yield [(f"      {mark} {name.ljust(width)} = {show(value)}", style)]


def _property_change(change: PropertyChange) -> Iterator[Line]:
    comment: Line = []
    if change.forces_replacement:
        reason = f": {change.note}" if change.note else ""
        comment = [(f"   # forces replacement{reason}", "red")]
    elif change.note:
        comment = [(f"   # {change.note}", "dim")]
    before, after = change.before, change.after
    if isinstance(after, list) and isinstance(before, list | type(None)):
        yield [(f"      ~ {change.path}:", "yellow"), *comment]
        yield from _list_delta(before or [], after)
    elif isinstance(after, dict) and isinstance(before, dict | type(None)):
        yield [(f"      ~ {change.path}:", "yellow"), *comment]
        yield from _dict_delta(before or {}, after)
    elif isinstance(after, str) and "\n" in after:
        yield [(f"      ~ {change.path} = {show(before)} → <<EOT", "yellow"), *comment]
        yield from _heredoc(after, "            ", "yellow")
    else:
        yield [(f"      ~ {change.path} = {show(before)} → {show(after)}", "yellow"), *comment]


def _list_delta(before: list[Any], after: list[Any]) -> Iterator[Line]:
    have = Counter(stable_text(v) for v in before)
    want = Counter(stable_text(v) for v in after)
    for item in before:
        key = stable_text(item)
        if have[key] > want.get(key, 0):
            have[key] -= 1
            yield [(f"          - {show(item)}", "red")]
    have = Counter(stable_text(v) for v in before)
    for item in after:
        key = stable_text(item)
        if want[key] > have.get(key, 0):
            want[key] -= 1
            yield [(f"          + {show(item)}", "green")]


def _dict_delta(before: dict[str, Any], after: dict[str, Any]) -> Iterator[Line]:
    for key in sorted(set(before) | set(after)):
        if key not in after:
            yield [(f"          - {key}: {show(before[key])}", "red")]
        elif key not in before:
            yield [(f"          + {key}: {show(after[key])}", "green")]
        elif stable_text(before[key]) != stable_text(after[key]):
            old, new = _by_id(before[key]), _by_id(after[key])
            if old is None or new is None:
                yield [(f"          ~ {key}: {show(before[key])} → {show(after[key])}", "yellow")]
                continue
            # Rules with ids (replication rules): only what changed in each, not the whole list.
            yield [(f"          ~ {key}:", "yellow")]
            yield from _rules_delta(old, new)


def _by_id(value: Any) -> dict[str, dict[str, Any]] | None:
    """A list of mappings keyed by their unique `id`, or None when it is not one."""
    if not isinstance(value, list) or not value:
        return None
    if not all(isinstance(item, dict) and isinstance(item.get("id"), str) for item in value):
        return None
    keyed = {item["id"]: item for item in value}
    return keyed if len(keyed) == len(value) else None


def _rules_delta(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]
) -> Iterator[Line]:
    for rule_id in [*after, *(i for i in before if i not in after)]:
        if rule_id not in after:
            yield [(f"              - {show(rule_id)}: {show(before[rule_id])}", "red")]
        elif rule_id not in before:
            yield [(f"              + {show(rule_id)}: {show(after[rule_id])}", "green")]
        elif stable_text(before[rule_id]) != stable_text(after[rule_id]):
            yield [(f"              ~ {show(rule_id)}:", "yellow")]
            old, new = before[rule_id], after[rule_id]
            for field in [*new, *(f for f in old if f not in new)]:
                if stable_text(old.get(field)) != stable_text(new.get(field)):
                    text = f"{show(old.get(field))} → {show(new.get(field))}"
                    yield [(f"                  ~ {field}: {text}", "yellow")]


def to_text(line: Line) -> Text:
    text = Text()
    for part, style in line:
        text.append(part, style=style or None)
    return text


def print_plan(plan: Plan, console: Console) -> None:
    for line in plan_lines(plan):
        console.print(to_text(line), soft_wrap=True)


def plain_plan(plan: Plan, *, with_cost: bool = True) -> str:
    """The plan as plain text (no colours), e.g. for markdown and tests."""
    lines = plan_lines(plan, with_cost=with_cost)
    return "\n".join("".join(part for part, _ in line) for line in lines)
