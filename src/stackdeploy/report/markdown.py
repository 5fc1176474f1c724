"""A markdown summary of a plan, for pull-request comments and CI job summaries.

- GitHub colours a ```diff block line by line from its first character (`+` green, `-` red,
  `!` orange), so every changed line has its marker in column 0; `~` (in place) is written `!`,
  as Atlantis and tfcmt write Terraform plans, since GitHub leaves `~` lines uncoloured.
- Replacements and deletions come first, in the table and in the details.
- A hidden first line, `<!-- stackdeploy:STACK -->` (`<!-- stackdeploy:STACK:COPY -->` for a
  copy), lets a bot find its one comment for the stack and update it.
- GitHub refuses comments over 65,536 characters: past the budget, details are cut resource
  by resource (then table rows), and a closing note says how many and where the full plan is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from stackdeploy.plan.types import Action, Plan, ResourceChange
from stackdeploy.pricing.estimate import estimate_plan
from stackdeploy.report.cost_view import plan_cost_markdown
from stackdeploy.report.plan_view import (
    Line,
    change_lines,
    closing_lines,
    force_command,
    intro_line,
    stack_lines,
    symbol,
)

GITHUB_COMMENT_LIMIT = 65_536  # characters GitHub accepts in one comment
# What plan_markdown stays within: under the limit, with room for a bot's own header.
MARKDOWN_BUDGET = 64_000
SENTENCE_LIMIT = 1_000  # a sentence naming resources (the cost's "not priced") is cut here

EMOJI = {
    Action.CREATE: "➕ create",
    Action.UPDATE: "🔄 update",
    Action.REPLACE: "♻️ replace",
    Action.DELETE: "🗑️ destroy",
    Action.FORGET: "📌 retain (untag, forget)",
}
FIRST = {Action.REPLACE: 0, Action.DELETE: 1}  # then creates and updates, in plan order
# A value's lines carry their change by colour: an added value, a changed one, a removed one.
MARK_OF_STYLE = {"green": "+", "yellow": "!", "red": "-"}
DIFF_MARKS = {"+": "green", "~": "yellow", "-": "red"}


def comment_marker(plan: Plan, copy: str | None = None) -> str:
    """The hidden line a bot finds its comment by: the stack, and the copy for a copy."""
    if copy is None:
        return f"<!-- stackdeploy:{plan.stack} -->"
    return f"<!-- stackdeploy:{plan.stack.removesuffix(f'-{copy}')}:{copy} -->"


def ordered_changes(plan: Plan) -> list[ResourceChange]:
    """What the plan does, replacements and deletions first (the changes to look at)."""
    return sorted(plan.actionable(), key=lambda change: FIRST.get(change.action, 2))


def diff_line(line: Line, header: bool = False) -> str:
    """A plan line for a ```diff block: a changed line's marker moved to column 0 (the
    indentation kept after it), a changed value's continuation lines (user data, mappings)
    marked by their colour; comments and other lines as they are."""
    text = "".join(part for part, _ in line)
    if not line:
        return text
    body = text.lstrip(" ")
    indent = len(text) - len(body)
    style = line[0][1]
    mark = body.split(" ", 1)[0]
    if header or (DIFF_MARKS.get(mark) == style):
        shown = "!" if mark == "~" else mark
        return shown + " " * indent + body[len(mark) :]
    if style in MARK_OF_STYLE and indent:
        return MARK_OF_STYLE[style] + text[1:]
    return text


def _clipped(sentence: str, plan: Plan) -> str:
    """A sentence listing resources ("Not priced: a (...); b (...)."), cut to the first of
    them that fit in SENTENCE_LIMIT characters: a plan of thousands of resources names them
    in the full plan, not in a comment."""
    if size(sentence) <= SENTENCE_LIMIT:
        return sentence
    lead, _, listed = sentence.partition(": ")
    items = listed.removesuffix(".").split("; ")
    kept: list[str] = []
    used = size(lead) + 100  # with room for the end
    for item in items:
        used += size(item) + 2
        if used > SENTENCE_LIMIT:
            break
        kept.append(item)
    itemized = f"`deploy cost {plan.source or '<stack file>'}` itemizes them"
    if not kept:
        return f"{lead}: {len(items)} items ({itemized})."
    return f"{lead}: {'; '.join(kept)}; and {len(items) - len(kept)} more ({itemized})."


def _plain(line: Line) -> str:
    return "".join(part for part, _ in line)


def _row(plan: Plan, change: ResourceChange) -> str:
    why = "; ".join(r.value for r in change.reasons)
    forced = change.replace_paths()
    if forced:
        why += f" ({', '.join(forced)})"
    kind = change.type if change.region == plan.region else f"{change.type} ({change.region})"
    return f"| {EMOJI[change.action]} | `{change.address}` | {kind} | {why} |"


def _block(plan: Plan, change: ResourceChange) -> str:
    lines = list(change_lines(plan, change))
    return "\n".join(diff_line(line, header=i == 0) for i, line in enumerate(lines)) + "\n"


def _fence(text: str) -> str:
    """A fence longer than any run of backticks inside (user data may hold ```)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def size(text: str) -> int:
    """Characters as GitHub may count them (UTF-16 code units: an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class _Parts:
    head: list[str]  # up to and including the table's header
    rows: list[str]
    middle: list[str]  # after the table, before the details
    intro: str
    blocks: list[str]  # one per resource, in the order of rows
    tail: str
    fence: str


def _render(parts: _Parts, rows: int, details: int, note: str | None) -> str:
    total = len(parts.rows)
    lines = [*parts.head, *parts.rows[:rows]]
    if rows < total:
        lines.append(f"| … | {total - rows} more | | listed in the full plan (see below) |")
    lines += [*parts.middle, "", "<details><summary>Details</summary>", ""]
    lines += [f"{parts.fence}diff", parts.intro, ""]
    lines += parts.blocks[:details]
    if details < total:
        lines += [f"# … the details of {total - details} more resources are cut", ""]
    lines += [parts.tail, parts.fence, "</details>"]
    if note:
        lines += ["", note]
    return "\n".join(lines) + "\n"


def _note(plan: Plan, cut: int, rows_cut: int, copy: str | None, plan_file: Path | None) -> str:
    total = len(plan.actionable())
    what = f"**The details of {cut} of {total} resources were cut**"
    if rows_cut:
        what += f" (and {rows_cut} rows of the table)"
    if plan_file is not None:
        where = (
            f"`deploy show {plan_file}` prints the saved plan whole (keep it with the job's "
            "artifacts)"
        )
    else:
        command = f"deploy plan {plan.source or '<stack file>'}"
        command += f" --copy {copy}" if copy else ""
        command += " --destroy" if plan.destroy else ""
        where = (
            f"`{command}` prints it whole; with `-o plan.json` it is saved for the job's "
            "artifacts, and `deploy show plan.json` prints it again"
        )
    limit = f"{GITHUB_COMMENT_LIMIT:,}"
    return f"> ✂️ {what} to keep this comment under GitHub's {limit}-character limit. {where}."


def plan_markdown(
    plan: Plan,
    *,
    copy: str | None = None,
    plan_file: Path | None = None,
    budget: int = MARKDOWN_BUDGET,
) -> str:
    """The plan as markdown of at most `budget` characters. `copy`: the copy's name when the
    plan is a copy's; `plan_file`: where the plan is saved, for the note when details are cut."""
    verb = "destroy" if plan.destroy else "plan"
    head = [comment_marker(plan, copy), f"### stackdeploy {verb}: `{plan.stack}` ({plan.region})"]
    head.append("")
    if not plan.has_changes():
        head.append("**No changes.** AWS matches the stack file.")
        return "\n".join(head + _left_alone(plan)) + "\n"
    counts = plan.summary()
    head.append(
        f"**Plan:** {counts['create']} to create, {counts['update']} to update, "
        f"{counts['replace']} to replace, {counts['delete']} to destroy."
    )
    head += ["", *(_clipped(line, plan) for line in plan_cost_markdown(plan, estimate_plan(plan)))]
    head += ["", "| Action | Resource | Type | Why |", "|---|---|---|---|"]
    middle: list[str] = []
    for warning in plan.warnings:
        middle += ["", f"> ⚠️ {warning}"]
    middle += _left_alone(plan)
    middle += ["", *(_plain(line) for line in stack_lines(plan))]
    ordered = ordered_changes(plan)
    blocks = [_block(plan, change) for change in ordered]
    tail = "\n".join(_plain(line) for line in closing_lines(plan))
    intro = _plain(intro_line(plan))
    parts = _Parts(
        head=head,
        rows=[_row(plan, change) for change in ordered],
        middle=middle,
        intro=intro,
        blocks=blocks,
        tail=tail,
        fence=_fence("\n".join([intro, *blocks, tail])),
    )
    total = len(ordered)
    whole = _render(parts, total, total, None)
    if size(whole) <= budget:
        return whole
    return _cut(plan, parts, budget, copy, plan_file)


def _cut(plan: Plan, parts: _Parts, budget: int, copy: str | None, plan_file: Path | None) -> str:
    """Table rows in at most half the room, then the details of as many of those resources as
    fit (in order: replacements and deletions first), then more rows if room is left; the
    closing note says how many were cut."""
    total = len(parts.rows)
    longest_note = size(_note(plan, total, total, copy, plan_file))
    room = budget - size(_render(parts, 0, 0, None)) - longest_note - 1
    row_sizes = [size(row) + 1 for row in parts.rows]
    rows = _fitting(row_sizes, room // 2)
    room -= sum(row_sizes[:rows])
    details = _fitting([size(block) + 1 for block in parts.blocks[:rows]], room)
    room -= sum(size(block) + 1 for block in parts.blocks[:details])
    if details == rows:
        rows += _fitting(row_sizes[rows:], room)
    while True:
        note = _note(plan, total - details, total - rows, copy, plan_file)
        text = _render(parts, rows, details, note)
        if size(text) <= budget or (details == 0 and rows == 0):
            return text
        if details:  # the estimate is exact but for the "more" lines: step back
            details -= 1
        else:
            rows -= 1


def _fitting(sizes: list[int], room: int) -> int:
    """How many of the first sizes fit in room."""
    count = 0
    for item in sizes:
        if item > room:
            break
        room -= item
        count += 1
    return count


def _left_alone(plan: Plan) -> list[str]:
    if not plan.left_alone:
        return []
    lines = ["", "**Found but left alone** (not proven to be this stack's):", ""]
    lines += ["| Resource | Type | Id | Why |", "|---|---|---|---|"]
    for entry in plan.left_alone:
        lines.append(
            f"| `{entry.address}` | {entry.type} | `{entry.physical_id}` | {entry.reason} |"
        )
    return [*lines, "", f"To delete them anyway: `{force_command(plan)}`"]


__all__ = ["plan_markdown", "symbol"]
