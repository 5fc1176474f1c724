"""deploy destroy: delete everything the stack owns, in dependency order."""

from pathlib import Path
from typing import Annotated

import typer

from stackdeploy.apply.engine import Permissions, plan_stack
from stackdeploy.cli.commands.common import execute, print_api_stats, report_result
from stackdeploy.cli.copies import (
    COPY_PARALLELISM,
    CopiesFileOption,
    CopiesOption,
    CopyParallelismOption,
    apply_copies,
    chosen_copies,
)
from stackdeploy.cli.destroy_by_name import BY_NAME_PANEL, ByName, check_usage, run_by_name
from stackdeploy.cli.options import AdoptOption, ForceOwnedOption, GlobalOptions, stack_command
from stackdeploy.cli.runtime import confirm, load, output_console, progress_console, workspace
from stackdeploy.errors import DeployError
from stackdeploy.report.plan_view import print_plan
from stackdeploy.report.progress import ProgressReporter


@stack_command
def destroy(
    stack_file: Annotated[
        Path | None,
        typer.Argument(help="The stack file (YAML + Jinja2); or name the stack with --stack."),
    ] = None,
    auto_approve: Annotated[
        bool, typer.Option("--auto-approve", help="Destroy without asking.")
    ] = False,
    parallelism: Annotated[
        int, typer.Option(min=1, max=100, help="How many deletions at once.")
    ] = 10,
    target: Annotated[
        list[str] | None,
        typer.Option(help="Destroy only this resource and what depends on it (repeatable)."),
    ] = None,
    adopt: AdoptOption = False,
    force_owned: ForceOwnedOption = False,
    copies: CopiesOption = None,
    copies_file: CopiesFileOption = None,
    copy_parallelism: CopyParallelismOption = COPY_PARALLELISM,
    stack: Annotated[
        str | None,
        typer.Option(
            "--stack",
            metavar="NAME",
            help="Destroy the stack of this name, no file needed: found by its tags in every "
            "enabled region (or --region), IAM included.",
            rich_help_panel=BY_NAME_PANEL,
        ),
    ] = None,
    all_regions: Annotated[
        bool,
        typer.Option(
            "--all-regions",
            help="With --stack: look in every enabled region (the default unless --region).",
            rich_help_panel=BY_NAME_PANEL,
        ),
    ] = False,
    delete_snapshots: Annotated[
        bool,
        typer.Option(
            "--delete-snapshots",
            help="With --stack: also delete the final DB snapshots the stack kept.",
            rich_help_panel=BY_NAME_PANEL,
        ),
    ] = False,
    *,
    options: GlobalOptions,
) -> None:
    """Destroy every resource the stack owns (found by its ownership tags)."""
    permissions = Permissions(adopt=adopt, force_owned=force_owned)
    if stack is not None or stack_file is None:
        by_name = ByName(stack, all_regions, delete_snapshots)
        check_usage(options, by_name, stack_file, target, copies or copies_file)
        run_by_name(options, by_name, auto_approve, parallelism, permissions)
        return
    if all_regions or delete_snapshots:
        raise DeployError("--all-regions and --delete-snapshots go with --stack NAME")
    chosen = chosen_copies(options, copies, copies_file)
    if chosen is not None:
        apply_copies(
            options,
            stack_file,
            chosen,
            destroy=True,
            auto_approve=auto_approve,
            parallelism=parallelism,
            copy_parallelism=copy_parallelism,
            targets=target or [],
            permissions=Permissions(adopt=adopt, force_owned=force_owned),
        )
        return
    console = output_console(options)
    progress = progress_console(options)
    loaded = load(options, stack_file)
    with ProgressReporter(progress, debug=options.debug) as reporter:
        ws = workspace(options, loaded, reporter, parallelism)
        store = ws.store(loaded)
        with store.lock("destroy"):
            run = plan_stack(
                ws, loaded, destroy=True, targets=target or [], permissions=permissions
            )
            print_plan(run.plan, console)
            if run.plan.has_changes() and not auto_approve:
                confirm(console, f"Do you really want to destroy stack {loaded.name}?")
            result = execute(ws, run, parallelism, console)
        if options.debug:
            print_api_stats(ws, progress)
    report_result(result, destroy=True, console=console)
