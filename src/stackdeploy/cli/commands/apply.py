"""deploy apply: make AWS match the stack file (or run a saved plan)."""

from pathlib import Path
from typing import Annotated

import typer

from stackdeploy.apply.engine import Permissions, plan_stack, replan_saved
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
from stackdeploy.cli.plan_files import is_plan_file, read_plan_file, refuse_shaping_options
from stackdeploy.cli.runtime import confirm, load, output_console, progress_console, workspace
from stackdeploy.report.plan_view import print_plan
from stackdeploy.report.progress import ProgressReporter


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
    """Show the plan, ask for confirmation, then apply it (a saved plan: exactly it)."""
    saved_plan = is_plan_file(source)
    if saved_plan:
        shaping = {
            "--target": target,
            "--var": options.var,
            "--var-file": options.var_file,
            "--region": options.region,
            "--copy": options.copy,
            "--copies": copies,
            "--copies-file": copies_file,
            "--expires-in": expires_in,
            "--adopt": adopt,
            "--force-owned": force_owned,
        }
        refuse_shaping_options(source, [flag for flag, value in shaping.items() if value])
    chosen = chosen_copies(options, copies, copies_file)
    if chosen is not None:
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
        if saved_plan:
            stack, saved = read_plan_file(source)
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
