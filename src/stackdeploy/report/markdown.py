"""A markdown summary of a plan, for pull-request comments and CI job summaries."""

from __future__ import annotations

from stackdeploy.plan.types import Action, Plan
from stackdeploy.pricing.estimate import estimate_plan
from stackdeploy.report.cost_view import plan_cost_markdown
from stackdeploy.report.plan_view import force_command, plain_plan, stack_lines, symbol

EMOJI = {
    Action.CREATE: "➕ create",
    Action.UPDATE: "🔄 update",
    Action.REPLACE: "♻️ replace",
    Action.DELETE: "🗑️ destroy",
    Action.FORGET: "📌 retain (untag, forget)",
}


def plan_markdown(plan: Plan) -> str:
    counts = plan.summary()
    verb = "destroy" if plan.destroy else "plan"
    lines = [f"### stackdeploy {verb}: `{plan.stack}` ({plan.region})", ""]
    if not plan.has_changes():
        lines.append("**No changes.** AWS matches the stack file.")
        return "\n".join(lines + _left_alone(plan)) + "\n"
    lines.append(
        f"**Plan:** {counts['create']} to create, {counts['update']} to update, "
        f"{counts['replace']} to replace, {counts['delete']} to destroy."
    )
    lines += ["", *plan_cost_markdown(plan, estimate_plan(plan))]
    lines += ["", "| Action | Resource | Type | Why |", "|---|---|---|---|"]
    for change in plan.actionable():
        why = "; ".join(r.value for r in change.reasons)
        forced = change.replace_paths()
        if forced:
            why += f" ({', '.join(forced)})"
        kind = change.type if change.region == plan.region else f"{change.type} ({change.region})"
        lines.append(f"| {EMOJI[change.action]} | `{change.address}` | {kind} | {why} |")
    for warning in plan.warnings:
        lines += ["", f"> ⚠️ {warning}"]
    lines += _left_alone(plan)
    lines += ["", *("".join(part for part, _ in line) for line in stack_lines(plan))]
    details = plain_plan(plan, with_cost=False)  # the cost is said above
    lines += [
        "",
        "<details><summary>Details</summary>",
        "",
        "```diff",
        details,
        "```",
        "</details>",
    ]
    return "\n".join(lines) + "\n"


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
