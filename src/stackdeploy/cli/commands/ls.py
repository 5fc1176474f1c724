"""deploy ls: every stack that owns something in the account, from its ownership tags."""

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from stackdeploy.apply.account import list_stacks
from stackdeploy.cli.commands.common import print_api_stats
from stackdeploy.cli.options import OUTPUT_PANEL, GlobalOptions, account_command
from stackdeploy.cli.regions import AllRegionsOption, RegionsOption, chosen_regions, home_region
from stackdeploy.cli.runtime import output_console, progress_console, workspace_in
from stackdeploy.events import ignore
from stackdeploy.report.inventory_view import inventory_lines, inventory_to_public
from stackdeploy.report.plan_view import to_text
from stackdeploy.report.progress import ProgressReporter


@account_command
def ls(
    region: RegionsOption = None,
    all_regions: AllRegionsOption = False,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json", help="Machine-readable list on stdout.", rich_help_panel=OUTPUT_PANEL
        ),
    ] = False,
    cost: Annotated[
        bool,
        typer.Option(
            "--cost/--no-cost",
            help="Estimate each stack's hourly cost (one more read per priced type and region).",
        ),
    ] = True,
    *,
    options: GlobalOptions,
) -> None:
    """List every stack that owns something in the account: copy, regions, resources by
    type, when it was made, when it expires, its cost, its state record and kept snapshots."""
    reporter = ProgressReporter(progress_console(options), debug=True) if options.debug else None
    ws = workspace_in(options, home_region(options, region), reporter or ignore)
    account = list_stacks(ws, chosen_regions(ws, options, region, all_regions), with_cost=cost)
    now = datetime.now(UTC)
    console = output_console(options)
    if json_output:
        console.file.write(json.dumps(inventory_to_public(account, now), indent=2) + "\n")
    else:
        for line in inventory_lines(account, now):
            console.print(to_text(line), soft_wrap=True)
    if options.debug:
        print_api_stats(ws, progress_console(options))
