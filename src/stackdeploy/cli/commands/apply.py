"""deploy apply: make AWS match the stack file (or run a saved plan)."""

import re
from pathlib import Path
from typing import Annotated

import typer

from stackdeploy.apply.engine import (
    PLAN_FILE_FORMAT,
    Permissions,
    load_saved_plan,
    plan_stack,
    replan_saved,
)
from stackdeploy.cli.commands.common import (
    execute,
    print_api_stats,
    report_result,
)
from stackdeploy.cli.copies import (
    COPY_PARALLELISM,
    CopiesFileOption,
    CopiesOption,
    CopyParallelismOption,
    apply_copies,
    chosen_copies,
)
from stackdeploy.cli.options import (
    AdoptOption,
    ExpiresInOption,
    ForceOwnedOption,
    GlobalOptions,
    parse_expires_in,
    stack_command,
)
from stackdeploy.cli.runtime import confirm, load, output_console, progress_console, workspace
from stackdeploy.config import limits
from stackdeploy.config.copies import parse_copy
from stackdeploy.errors import DeployError
from stackdeploy.model.stack import Stack
from stackdeploy.plan.types import Plan
from stackdeploy.report.plan_view import print_plan
from stackdeploy.report.progress import ProgressReporter

# A saved plan is JSON with sorted keys, so its format comes first: reading the first bytes
# decides, and a stack file (of any size or nesting) is never parsed as JSON.
_PLAN_START = re.compile(rb'\s*\{\s*"format"\s*:\s*"%s"' % re.escape(PLAN_FILE_FORMAT.encode()))


def is_plan_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return _PLAN_START.match(handle.read(256)) is not None
    except OSError:  # a folder or an unreadable file: loading it as a stack file says why
        return False


def read_plan_file(path: Path) -> tuple[Stack, Plan]:
    size = path.stat().st_size
    if size > limits.PLAN_FILE_BYTES:
        raise DeployError(
            f"plan file {path} is {limits.describe_size(size)}; saved plans are limited to "
            f"{limits.describe_size(limits.PLAN_FILE_BYTES)}"
        )
    try:
        return load_saved_plan(path)
    except RecursionError:
        raise DeployError(f"plan file {path} nests too deeply to be a saved plan") from None


def check_saved_copy(options: GlobalOptions, stack: Stack, source: Path) -> None:
    """A saved plan names its copy already; a --copy given with it must be the same one."""
    if options.copy and parse_copy(options.copy).name != stack.copy_name:
        made_for = f"copy {stack.copy_name}" if stack.copy_name else "the stack itself"
        raise DeployError(
            f"the plan in {source} was made for {made_for}, not --copy {options.copy}"
        )


@stack_command
def apply(
    source: Annotated[
        Path, typer.Argument(help="A stack file, or a plan saved with `deploy plan -o`.")
    ],
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Apply without asking.")
    ] = False,
    parallelism: Annotated[
        int, typer.Option(min=1, max=100, help="How many resources to work on at once.")
    ] = 10,
    target: Annotated[
        list[str] | None,
        typer.Option(help="Limit to this resource and what it needs (repeatable)."),
    ] = None,
    adopt: AdoptOption = False,
    force_owned: ForceOwnedOption = False,
    expires_in: ExpiresInOption = None,
    copies: CopiesOption = None,
    copies_file: CopiesFileOption = None,
    copy_parallelism: CopyParallelismOption = COPY_PARALLELISM,
    *,
    options: GlobalOptions,
) -> None:
    """Show the plan, ask for confirmation, then apply it."""
    chosen = chosen_copies(options, copies, copies_file)
    if chosen is not None:
        if is_plan_file(source):
            raise DeployError("--copies applies a stack file, not a saved plan (one copy's)")
        apply_copies(
            options,
            source,
            chosen,
            destroy=False,
            auto_approve=auto_approve,
            parallelism=parallelism,
            copy_parallelism=copy_parallelism,
            targets=target or [],
            permissions=Permissions(adopt=adopt, force_owned=force_owned),
            expires_in=parse_expires_in(expires_in),
        )
        return
    console = output_console(options)
    progress = progress_console(options)
    with ProgressReporter(progress, debug=options.debug) as reporter:
        if is_plan_file(source):
            stack, saved = read_plan_file(source)
            check_saved_copy(options, stack, source)
            ws = workspace(options, stack, reporter, parallelism)
            store = ws.store(stack)
            with store.lock("apply"):
                run = replan_saved(ws, stack, saved, source)
                print_plan(run.plan, console)
                result = execute(ws, run, parallelism, console)
        else:
            stack = load(options, source)
            ws = workspace(options, stack, reporter, parallelism)
            store = ws.store(stack)
            with store.lock("apply"):
                permissions = Permissions(adopt=adopt, force_owned=force_owned)
                run = plan_stack(
                    ws,
                    stack,
                    targets=target or [],
                    permissions=permissions,
                    expires_in=parse_expires_in(expires_in),
                )
                print_plan(run.plan, console)
                if run.plan.has_changes() and not auto_approve:
                    confirm(console, "Do you want to apply these changes?")
                result = execute(ws, run, parallelism, console)
        if options.debug:
            print_api_stats(ws, progress)
    report_result(result, destroy=False, console=console)
