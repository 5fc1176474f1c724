"""--copies and --copies-file on plan, apply and destroy: the options, and the runs over many
copies that those commands hand over to (the runner itself is apply/copies.py).

(No `from __future__ import annotations` here: typer reads these annotations at runtime.)
"""

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from stackdeploy.apply.copies import (
    DEFAULT_COPY_PARALLELISM,
    CopiesRunner,
    CopyRun,
    CopyWork,
    per_copy_parallelism,
)
from stackdeploy.apply.engine import Permissions, Workspace
from stackdeploy.aws.pacing import Pacer
from stackdeploy.aws.session import SharedSession
from stackdeploy.cli.options import GlobalOptions, error_console, print_error
from stackdeploy.cli.runtime import (
    aws_target,
    confirm,
    load,
    output_console,
    progress_console,
    workspace,
)
from stackdeploy.config.copies import (
    StackCopy,
    parse_copies,
    read_copies_file,
    split_copies_option,
)
from stackdeploy.errors import DeployError
from stackdeploy.events import ignore
from stackdeploy.model.stack import Stack
from stackdeploy.report.copies_view import (
    failure_details,
    plan_summary_lines,
    result_lines,
)
from stackdeploy.report.markdown import plan_markdown
from stackdeploy.report.plan_json import plan_to_public
from stackdeploy.report.plan_view import print_plan, to_text
from stackdeploy.report.progress import ProgressReporter

COPIES_PANEL = "Copies"
CopiesOption = Annotated[
    str | None,
    typer.Option(
        metavar="NAME[=INDEX],...",
        help="Run for each of these copies of the stack (see --copy); a copy's index is its "
        "position, from 0, unless given.",
        rich_help_panel=COPIES_PANEL,
    ),
]
CopiesFileOption = Annotated[
    Path | None,
    typer.Option(
        help="Copies to run for, one NAME or NAME=INDEX a line (# comments).",
        rich_help_panel=COPIES_PANEL,
    ),
]
CopyParallelismOption = Annotated[
    int,
    typer.Option(
        min=1,
        max=50,
        help="How many copies to work on at once; each gets --parallelism divided by this "
        "(at least 2). AWS calls of all copies are paced within AWS's rate limits.",
        rich_help_panel=COPIES_PANEL,
    ),
]
COPY_PARALLELISM = DEFAULT_COPY_PARALLELISM


def chosen_copies(
    options: GlobalOptions, copies: str | None, copies_file: Path | None
) -> list[StackCopy] | None:
    """The copies --copies and --copies-file name (in that order), or None for neither."""
    if copies is None and copies_file is None:
        return None
    if options.copy:
        raise DeployError("--copy names one copy, --copies several: pass only one of them")
    entries = split_copies_option(copies) if copies is not None else []
    if copies_file is not None:
        entries += read_copies_file(copies_file)
    origin = " and ".join(
        name for name, given in (("--copies", copies), ("--copies-file", copies_file)) if given
    )
    return parse_copies(entries, origin)


def _runner(
    options: GlobalOptions,
    stack_file: Path,
    copies: list[StackCopy],
    *,
    lock: str | None,
    destroy: bool,
    targets: list[str],
    permissions: Permissions,
    copy_parallelism: int,
    parallelism: int,
    reporter: ProgressReporter | None,
    expires_in: int | None = None,
) -> CopiesRunner:
    """The runner, its copies sharing one boto3 session and one pacer."""
    _, _, profile = aws_target(options, reporter or ignore)  # --local: start it once
    shared = SharedSession(profile, Pacer())
    each = per_copy_parallelism(parallelism, copy_parallelism)

    def copy_workspace(stack: Stack, copy: StackCopy) -> Workspace:
        events = reporter.for_copy(copy.name) if reporter else ignore
        return workspace(options, stack, events, each, shared=shared)

    work = CopyWork(
        load=lambda copy: load(options, stack_file, copy),
        workspace=copy_workspace,
        destroy=destroy,
        targets=tuple(targets),
        permissions=permissions,
        lock=lock,
        expires_in=expires_in,
    )
    return CopiesRunner(copies, work, copy_parallelism=copy_parallelism, parallelism=parallelism)


def apply_copies(
    options: GlobalOptions,
    stack_file: Path,
    copies: list[StackCopy],
    *,
    destroy: bool,
    auto_approve: bool,
    parallelism: int,
    copy_parallelism: int,
    targets: list[str],
    permissions: Permissions,
    expires_in: int | None = None,
) -> None:
    """Plan every copy, ask once, apply (or destroy) every copy; a table at the end. Exit 1
    when any copy failed, 130 when interrupted."""
    console = output_console(options)
    started = time.monotonic()
    with ProgressReporter(progress_console(options), debug=options.debug) as reporter:
        runner = _runner(
            options,
            stack_file,
            copies,
            lock="destroy" if destroy else "apply",
            destroy=destroy,
            targets=targets,
            permissions=permissions,
            copy_parallelism=copy_parallelism,
            parallelism=parallelism,
            reporter=reporter,
            expires_in=expires_in,
        )
        runs = runner.plan()
        _print(console, plan_summary_lines(runs))
        changing = [run for run in runs if run.changes]
        if changing and not auto_approve and not runner.cancel.is_set():
            question = (
                f"Do you really want to destroy {len(changing)} copies?"
                if destroy
                else f"Do you want to apply these changes to {len(changing)} copies?"
            )
            try:
                confirm(console, question)
            except BaseException:
                runner.release()
                raise
        if not runner.cancel.is_set():
            runner.apply()
        runner.release()
    _finish(options, console, runner, time.monotonic() - started)


def _finish(options: GlobalOptions, console: Console, runner: CopiesRunner, seconds: float) -> None:
    console.print()
    _print(console, result_lines(runner.runs, seconds))
    diagnostics = error_console(options)
    for run in runner.runs:
        error = failure_details(run)
        if error is not None:
            diagnostics.print()
            diagnostics.print(Text(f"[{run.copy.name}]", style="bold"))
            print_error(error, diagnostics)
    if options.debug:
        diagnostics.print(f"AWS API calls, all copies: {runner.api_calls()}", style="dim")
    if runner.cancel.is_set():
        raise typer.Exit(130)
    if any(run.failed for run in runner.runs):
        raise typer.Exit(1)


def plan_copies(
    options: GlobalOptions,
    stack_file: Path,
    copies: list[StackCopy],
    *,
    destroy: bool,
    json_output: bool,
    markdown: bool,
    detailed_exitcode: bool,
    copy_parallelism: int,
    targets: list[str],
    permissions: Permissions,
    expires_in: int | None = None,
) -> None:
    """Every copy's plan, one after another (or a JSON mapping keyed by copy), then the
    summary. Exit 1 when any copy failed, else 2 with --detailed-exitcode when any changes."""
    console = output_console(options)
    reporter = ProgressReporter(progress_console(options), debug=True) if options.debug else None
    runner = _runner(
        options,
        stack_file,
        copies,
        lock=None,  # as `deploy plan`: a plan writes nothing
        destroy=destroy,
        targets=targets,
        permissions=permissions,
        copy_parallelism=copy_parallelism,
        parallelism=10,
        reporter=reporter,
        expires_in=expires_in,
    )
    runs = runner.plan()
    if json_output:
        document = {run.copy.name: _public(run) for run in runs}
        console.file.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    elif markdown:
        console.file.write("\n".join(_markdown(run) for run in runs))
    else:
        for run in runs:
            if run.planned is not None:
                console.print(Text(f"── copy {run.copy.name} ──", style="bold cyan"))
                print_plan(run.planned.plan, console)
                console.print()
        _print(console, plan_summary_lines(runs))
    for run in runs:
        error = failure_details(run)
        if error is not None:
            error_console(options).print(Text(f"[{run.copy.name}]", style="bold"))
            print_error(error, error_console(options))
    if runner.cancel.is_set():
        raise typer.Exit(130)
    if any(run.failed for run in runs):
        raise typer.Exit(1)
    if detailed_exitcode and any(run.changes for run in runs):
        raise typer.Exit(2)


def _public(run: CopyRun) -> dict[str, Any]:
    if run.planned is not None:
        return plan_to_public(run.planned.plan, copy=run.copy.name)
    error = failure_details(run)
    if error is None:
        return {"error": {"message": "not planned (interrupted)", "hint": None}}
    return {"error": {"message": error.message, "hint": error.hint}}


def _markdown(run: CopyRun) -> str:
    if run.planned is not None:
        return plan_markdown(run.planned.plan, copy=run.copy.name)
    return f"### stackdeploy: copy `{run.copy.name}` failed\n\n{run.error_summary()}\n"


def _print(console: Console, lines: list[Any]) -> None:
    for line in lines:
        console.print(to_text(line), soft_wrap=True)
