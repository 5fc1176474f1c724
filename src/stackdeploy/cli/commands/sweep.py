"""deploy sweep: destroy every stack whose expiry has passed (and, with --older-than, every
stack without one that is older than that), found by their tags; one line per stack.

Safe from a schedule: non-interactive, each stack destroyed by name exactly as
`destroy --stack` does (in AWS's order, under the stack's lock, with the custody rules), a
failure in one stack never stops the others, and a second run finds only what is left.
"""

import contextlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from stackdeploy.apply.account import (
    Account,
    describe_regions,
    expired_stacks,
    list_stacks,
    plan_destroy_by_name,
    stack_to_destroy,
)
from stackdeploy.apply.engine import Permissions, Workspace
from stackdeploy.cli.commands.common import execute, print_api_stats
from stackdeploy.cli.options import GlobalOptions, account_command
from stackdeploy.cli.regions import AllRegionsOption, RegionsOption, chosen_regions, home_region
from stackdeploy.cli.runtime import output_console, progress_console, workspace_in
from stackdeploy.config.lifecycle import parse_duration
from stackdeploy.errors import DeployError
from stackdeploy.model.inventory import StackEntry
from stackdeploy.plan.types import Action
from stackdeploy.report.progress import ProgressReporter

# Stacks destroyed (or planned) at once; each runs --parallelism deletions itself.
STACKS_AT_ONCE = 4


def _older_than(value: str | None) -> int | None:
    if value is None:
        return None
    seconds = parse_duration(value)
    if not seconds:
        raise typer.BadParameter(f"'{value}' is no duration: write 30m, 12h, 2d or 1w")
    return seconds


@account_command
def sweep(
    region: RegionsOption = None,
    all_regions: AllRegionsOption = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be destroyed; change nothing.")
    ] = False,
    older_than: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            help="Also sweep stacks without an expiry made longer ago than this (2d, 12h).",
        ),
    ] = None,
    parallelism: Annotated[
        int, typer.Option(min=1, max=100, help="How many deletions at once, per stack.")
    ] = 10,
    *,
    options: GlobalOptions,
) -> None:
    """Destroy every expired stack (stackdeploy:expires in the past); exit 1 if any failed."""
    older = _older_than(older_than)
    console = output_console(options)
    progress = progress_console(options)
    home = home_region(options, region)
    with ProgressReporter(progress, debug=options.debug) as reporter:
        ws = workspace_in(options, home, reporter, parallelism)
        account = list_stacks(ws, chosen_regions(ws, options, region, all_regions), with_cost=False)
        chosen = expired_stacks(account, datetime.now(UTC), older)
        where = describe_regions(account.regions)
        if not chosen:
            console.print(f"Nothing to sweep: no expired stack in {where}.")
        failed = 0
        # Stacks are independent: a few at a time, their lines printed in name order.
        with ThreadPoolExecutor(max_workers=STACKS_AT_ONCE) as pool:
            outcomes = [
                pool.submit(_sweep_one, ws, account, entry, home, dry_run, parallelism)
                for entry, _ in chosen
            ]
            for (entry, why), outcome in zip(chosen, outcomes, strict=True):
                try:
                    console.print(f"{entry.name}: {outcome.result()} ({why})")
                except DeployError as error:
                    failed += 1
                    console.print(f"{entry.name}: failed: {error.message} ({why})", style="red")
        if options.debug:
            print_api_stats(ws, progress)
    _summary(console, len(chosen), failed, dry_run)
    if failed:
        raise typer.Exit(1)


def _sweep_one(
    ws: Workspace,
    account: Account,
    entry: StackEntry,
    home: str,
    dry_run: bool,
    parallelism: int,
) -> str:
    """One stack destroyed (or, dry, planned): what happened, in a few words."""
    stack, regions = stack_to_destroy(entry.name, account, home)
    # A dry run takes no lock: a lock kept in S3 (--state-bucket) is a write.
    lock = contextlib.nullcontext() if dry_run else ws.store(stack).lock("destroy")
    with lock:
        run = plan_destroy_by_name(ws, account, stack, regions, Permissions())
        deleting = sum(1 for change in run.plan.changes if change.action is Action.DELETE)
        left = len(run.plan.left_alone)
        kept = (
            f"; {left} left alone (deploy destroy --stack {entry.name} shows why)" if left else ""
        )
        if dry_run:
            return f"would destroy {deleting} resources in {describe_regions(regions)}{kept}"
        result = execute(ws, run, parallelism, Console(quiet=True))
    if result.interrupted:
        raise KeyboardInterrupt
    if result.failures:
        address, error = sorted(result.failures.items())[0]
        more = f" and {len(result.failures) - 1} more" if len(result.failures) > 1 else ""
        raise DeployError(f"{address}{more}: {str(error).splitlines()[0]}")
    return f"destroyed {result.done['delete']} resources in {describe_regions(regions)}{kept}"


def _summary(console: Console, total: int, failed: int, dry_run: bool) -> None:
    if not total:
        return
    verb = "would be swept" if dry_run else "swept"
    failures = f", {failed} failed" if failed else ""
    console.print(f"{total - failed} of {total} stacks {verb}{failures}.", style="bold")
