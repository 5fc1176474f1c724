"""deploy drift: what changed outside stackdeploy since the last apply."""

from pathlib import Path
from typing import Annotated

import typer

from stackdeploy.apply.drift import drift_of
from stackdeploy.cli.commands.common import print_api_stats
from stackdeploy.cli.options import OUTPUT_PANEL, GlobalOptions, stack_command
from stackdeploy.cli.runtime import load, output_console, progress_console, workspace
from stackdeploy.events import ignore
from stackdeploy.report.drift_view import drift_lines, dumps_drift
from stackdeploy.report.plan_view import to_text
from stackdeploy.report.progress import ProgressReporter

DRIFT_EXIT_CODE = 2


@stack_command
def drift(
    stack_file: Annotated[Path, typer.Argument(help="The stack file (YAML + Jinja2).")],
    json_output: Annotated[
        bool,
        typer.Option(
            "--json", help="Machine-readable drift on stdout.", rich_help_panel=OUTPUT_PANEL
        ),
    ] = False,
    *,
    options: GlobalOptions,
) -> None:
    """List what changed in AWS outside stackdeploy since the last apply, property by
    property, and what was deleted. Exit 0: none; 2: drift; 1: error. Changes nothing."""
    stack = load(options, stack_file)
    reporter = ProgressReporter(progress_console(options), debug=options.debug)
    ws = workspace(options, stack, reporter if options.debug else ignore)
    found = drift_of(ws, stack)
    console = output_console(options)
    if json_output:
        console.file.write(dumps_drift(found))
    else:
        for line in drift_lines(found, str(stack_file)):
            console.print(to_text(line), soft_wrap=True)
    if options.debug:
        print_api_stats(ws, progress_console(options))
    if found.has_drift:
        raise typer.Exit(DRIFT_EXIT_CODE)
