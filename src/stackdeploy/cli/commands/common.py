"""Pieces shared by the commands that plan, apply and destroy."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from rich.console import Console
from rich.text import Text

from stackdeploy.apply.engine import PlannedRun, Workspace, apply_planned
from stackdeploy.apply.executor import ApplyResult
from stackdeploy.cli.options import GlobalOptions
from stackdeploy.errors import ApplyError, DeployError
from stackdeploy.plan.types import Plan
from stackdeploy.report.markdown import plan_markdown
from stackdeploy.report.plan_json import dumps_public
from stackdeploy.report.plan_view import print_plan
from stackdeploy.report.values import show


def print_api_stats(ws: Workspace, console: Console) -> None:
    stats = ws.clients.stats
    total = sum(stats.calls.values())
    retries = sum(stats.retries.values())
    console.print(f"AWS API calls: {total} ({retries} retries)", style="dim")
    for operation, count in sorted(stats.calls.items()):
        console.print(f"  {operation}: {count}", style="dim")


def note_local_lock(ws: Workspace, options: GlobalOptions, console: Console) -> None:
    """Say that the lock keeps out only runs on this machine (README: Shared state)."""
    if ws.shared_lock or options.local:
        return
    console.print(
        "Note: state and its lock are on this machine; a run elsewhere (another checkout, a CI "
        "runner) is not kept out. Creates that could be duplicated look at AWS first. "
        "Share state and lock with --state-bucket.",
        style="dim",
    )


def execute(ws: Workspace, run: PlannedRun, parallelism: int, console: Console) -> ApplyResult:
    """Run the plan; Ctrl-C stops scheduling new steps and lets running ones finish."""
    cancel = threading.Event()
    with first_interrupt_cancels(cancel):
        return apply_planned(ws, run, parallelism=parallelism, cancel=cancel)


@contextlib.contextmanager
def first_interrupt_cancels(cancel: threading.Event) -> Iterator[None]:
    """While a plan runs, the first Ctrl-C (SIGINT) only sets `cancel`, wherever the main
    thread is: no new step starts, the executor says at once what is still in flight, and
    that finishes and is recorded. A second one raises KeyboardInterrupt, abandoning it.
    (Off the main thread, or where SIGINT is ignored, signals are left as they are.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupted(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def report_result(result: ApplyResult, *, destroy: bool, console: Console) -> None:
    done = result.done
    if result.interrupted:
        console.print(
            Text(
                "Interrupted: finished steps are recorded; run the command again to continue.",
                style="bold yellow",
            )
        )
        raise KeyboardInterrupt
    if result.failures:
        raise ApplyError(
            [(address, _as_error(error)) for address, error in sorted(result.failures.items())],
            result.skipped,
        )
    retained = (
        f", {done['forget']} retained (untagged and forgotten, not deleted)"
        if done.get("forget")
        else ""
    )
    if destroy:
        console.print(
            Text(
                f"\nDestroy complete! Resources: {done['delete']} destroyed{retained}.",
                style="bold green",
            )
        )
        return
    created = done["create"] - result.replaced
    deleted = done["delete"] - result.replaced
    console.print(
        Text(
            f"\nApply complete! Resources: {created} added, {done['update']} changed, "
            f"{result.replaced} replaced, {deleted} destroyed{retained}.",
            style="bold green",
        )
    )
    if result.outputs:
        console.print("\nOutputs:")
        width = max(len(name) for name in result.outputs)
        for name, value in sorted(result.outputs.items()):
            console.print(f"  {name.ljust(width)} = {show(value)}", highlight=False)


def _as_error(error: BaseException) -> Exception:
    if isinstance(error, DeployError):
        return error
    return DeployError(f"{type(error).__name__}: {error}")


def write_plan(
    console: Console,
    plan: Plan,
    *,
    copy: str | None,
    plan_file: Path | None,
    json_output: bool,
    markdown: bool,
) -> None:
    """A plan on stdout as `plan` and `show` print it: text, --json or --markdown."""
    if json_output:
        console.file.write(dumps_public(plan, copy=copy))
    elif markdown:
        console.file.write(plan_markdown(plan, copy=copy, plan_file=plan_file))
    else:
        print_plan(plan, console)
