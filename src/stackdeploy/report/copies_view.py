"""What a run over many copies of a stack shows: the combined plan before the one
confirmation, and the table of results at the end (plain aligned text, readable in a CI log)."""

from __future__ import annotations

from collections.abc import Sequence

from stackdeploy.apply.copies import CopyRun
from stackdeploy.errors import ApplyError, DeployError
from stackdeploy.report.plan_view import Line

_COUNTS = ("created", "updated", "replaced", "destroyed")
_STYLES = {
    "failed": "bold red",
    "interrupted": "yellow",
    "not run": "yellow",
    "no changes": "",
    "planned": "",
}


def base_name(runs: Sequence[CopyRun]) -> str:
    """The stack the copies are copies of, from the first copy that loaded."""
    for run in runs:
        if run.stack is not None:
            return run.stack.name.removesuffix(f"-{run.copy.name}")
    return "the stack"


def plan_summary_lines(runs: Sequence[CopyRun]) -> list[Line]:
    """One line per copy (its plan's counts, or why it has none) and the total."""
    width = max(len(run.copy.name) for run in runs)
    lines: list[Line] = [[(f"Copies of {base_name(runs)} ({len(runs)}):", "bold")]]
    total = {"create": 0, "update": 0, "replace": 0, "delete": 0}
    for run in runs:
        name = run.copy.name.ljust(width)
        if run.planned is None:
            reason = run.error_summary() or "not planned (interrupted)"
            lines.append([(f"  {name}  ", ""), (f"failed: {reason}", "red")])
            continue
        counts = run.planned.plan.summary()
        for action in total:
            total[action] += counts[action]
        if not run.changes:
            lines.append([(f"  {name}  No changes.", "")])
            continue
        lines.append([(f"  {name}  {_counts_text(counts)}", "")])
    planned = sum(1 for run in runs if run.planned is not None)
    lines.append([(f"Total: {_counts_text(total)} in {planned} copies.", "bold")])
    return lines


def _counts_text(counts: dict[str, int]) -> str:
    return (
        f"{counts['create']} to create, {counts['update']} to update, "
        f"{counts['replace']} to replace, {counts['delete']} to destroy"
    )


def result_lines(runs: Sequence[CopyRun], seconds: float) -> list[Line]:
    """The table of every copy's result, with a headline of how many did what."""
    outcomes = [run.outcome() for run in runs]
    tally = ", ".join(
        f"{outcomes.count(outcome)} {outcome}" for outcome in dict.fromkeys(sorted(outcomes))
    )
    headline = f"Copies of {base_name(runs)}: {tally} ({seconds:.1f}s)."
    failed = "failed" in outcomes
    lines: list[Line] = [[(headline, "bold red" if failed else "bold green")], []]
    header = ["copy", "result", *_COUNTS, "seconds", "error"]
    rows = [
        [
            run.copy.name,
            run.outcome(),
            *(str(run.counts()[name]) for name in _COUNTS),
            f"{run.seconds:.1f}",
            run.error_summary(),
        ]
        for run in runs
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=False))
        ]
        text = "  " + "  ".join(cells) + (f"  {row[-1]}" if row[-1] else "")
        style = "bold" if row is header else _STYLES.get(row[1], "green")
        lines.append([(text.rstrip(), style)])
    return lines


def failure_details(run: CopyRun) -> DeployError | None:
    """A failed copy's error as the CLI prints it after the table: what stopped it, or every
    resource that failed."""
    if run.error is not None:
        if isinstance(run.error, DeployError):
            return run.error
        return DeployError(f"{type(run.error).__name__}: {run.error}")
    if run.result is None or not run.result.failures:
        return None
    failures = [
        (address, error if isinstance(error, DeployError) else DeployError(_text(error)))
        for address, error in sorted(run.result.failures.items())
    ]
    return ApplyError(failures, run.result.skipped)


def _text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
