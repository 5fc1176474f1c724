"""deploy destroy --stack NAME: tear a stack down with no file, from what its tags say, in
every region it owns anything in, IAM included; and the one-stack step `sweep` repeats.

(No `from __future__ import annotations` here: typer reads these annotations at runtime.)
"""

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from stackdeploy.apply.account import (
    delete_snapshots,
    describe_regions,
    kept_snapshots,
    list_stacks,
    plan_destroy_by_name,
    stack_to_destroy,
)
from stackdeploy.apply.engine import Permissions
from stackdeploy.cli.commands.common import execute, print_api_stats, report_result
from stackdeploy.cli.options import GlobalOptions
from stackdeploy.cli.regions import home_region
from stackdeploy.cli.runtime import confirm, output_console, progress_console, workspace_in
from stackdeploy.discovery.inventory import enabled_regions
from stackdeploy.errors import DeployError
from stackdeploy.model.inventory import KeptSnapshot
from stackdeploy.report.plan_view import print_plan
from stackdeploy.report.progress import ProgressReporter

BY_NAME_PANEL = "Destroy by name"


@dataclass(frozen=True)
class ByName:
    name: str | None
    all_regions: bool
    delete_snapshots: bool


def check_usage(
    options: GlobalOptions,
    by_name: ByName,
    stack_file: Path | None,
    targets: list[str] | None,
    copies: object,
) -> None:
    """--stack stands instead of a file, and nothing that shapes a file's stack goes with it."""
    if by_name.name is None:
        raise DeployError(
            "destroy needs the stack file, or the stack's name with --stack NAME",
            hint="deploy ls lists the stacks in the account",
        )
    if stack_file is not None:
        raise DeployError(
            f"destroy got both a stack file ({stack_file}) and --stack {by_name.name}; "
            "pass only one"
        )
    given = [
        flag
        for flag, value in (
            ("--target", targets),
            ("--var", options.var),
            ("--var-file", options.var_file),
            ("--copies", copies),
        )
        if value
    ]
    if given:
        raise DeployError(
            f"{', '.join(given)} {'shapes' if len(given) == 1 else 'shape'} a stack file's "
            f"stack; --stack {by_name.name} destroys everything the stack owns",
            hint="for a copy, name the copy's stack: --stack <stack>-<copy> (deploy ls shows it)",
        )
    if options.copy:
        raise DeployError(
            f"--copy {options.copy} names a copy of a stack file's stack; with --stack give "
            "the copy's own stack name, <stack>-<copy>"
        )


def run_by_name(
    options: GlobalOptions,
    by_name: ByName,
    auto_approve: bool,
    parallelism: int,
    permissions: Permissions,
) -> None:
    assert by_name.name is not None
    console = output_console(options)
    progress = progress_console(options)
    home = home_region(options, [options.region] if options.region else None)
    with ProgressReporter(progress, debug=options.debug) as reporter:
        ws = workspace_in(options, home, reporter, parallelism)
        regions = [options.region] if options.region else enabled_regions(ws.clients)
        account = list_stacks(ws, regions, with_cost=False)
        stack, where = stack_to_destroy(by_name.name, account, home)
        with ws.store(stack).lock("destroy"):
            run = plan_destroy_by_name(ws, account, stack, where, permissions)
            snapshots, unproven = kept_snapshots(
                account.stacks[by_name.name], run, force_owned=permissions.force_owned
            )
            print_plan(run.plan, console)
            if by_name.delete_snapshots and snapshots:
                names = ", ".join(f"{s.name} ({s.region})" for s in snapshots)
                console.print(f"Then deletes its kept final snapshots: {names}", style="red")
            if (run.plan.has_changes() or snapshots) and not auto_approve:
                confirm(console, f"Do you really want to destroy stack {by_name.name}?")
            result = execute(ws, run, parallelism, console)
        if options.debug:
            print_api_stats(ws, progress)
    report_result(result, destroy=True, console=console)
    if by_name.delete_snapshots and snapshots:
        deleted = delete_snapshots(ws, snapshots)
        console.print(f"Deleted {len(deleted)} kept final snapshots: {', '.join(deleted)}")
    elif snapshots:
        _say_kept(console, by_name.name, snapshots)
    if unproven:
        names = ", ".join(f"{s.name} ({s.region})" for s in unproven)
        console.print(
            f"Left alone: final snapshots tagged for {by_name.name} without its lineage "
            f"(tagged by hand, or kept by another copy of the stack): {names}. To delete them "
            f"anyway: deploy destroy --stack {by_name.name} --delete-snapshots --force-owned",
            style="yellow",
        )


def _say_kept(console: Console, name: str, snapshots: list[KeptSnapshot]) -> None:
    where = describe_regions({s.region for s in snapshots})
    console.print(
        f"Stack {name} keeps {len(snapshots)} final DB snapshots in {where}, billed until "
        f"deleted: deploy destroy --stack {name} --delete-snapshots",
        style="yellow",
    )
