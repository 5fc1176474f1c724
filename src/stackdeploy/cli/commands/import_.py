"""deploy import: adopt a resource made outside stackdeploy as one the stack file declares."""

from pathlib import Path
from typing import Annotated

import typer

from stackdeploy.apply.importing import import_resource
from stackdeploy.cli.commands.common import print_api_stats
from stackdeploy.cli.options import GlobalOptions, stack_command
from stackdeploy.cli.runtime import load, output_console, progress_console, workspace
from stackdeploy.report.progress import ProgressReporter


@stack_command
def import_(
    stack_file: Annotated[Path, typer.Argument(help="The stack file (YAML + Jinja2).")],
    logical_id: Annotated[
        str, typer.Argument(help="The logical id the stack file declares it under.")
    ],
    physical_id: Annotated[
        str,
        typer.Argument(
            help="Its id in AWS, as stackdeploy records it: vpc-0abc..., a bucket or role "
            "name, a load balancer's ARN."
        ),
    ],
    *,
    options: GlobalOptions,
) -> None:
    """Adopt an existing resource: write the stack's ownership tags onto it and record it in
    the state; the next plan shows only how it differs from the file."""
    stack = load(options, stack_file)
    progress = progress_console(options)
    with ProgressReporter(progress, debug=options.debug) as reporter:
        ws = workspace(options, stack, reporter)
        imported = import_resource(ws, stack, logical_id, physical_id)
    if options.debug:
        print_api_stats(ws, progress)
    console = output_console(options)
    what = f"{imported.physical_id} ({imported.type}, {imported.region})"
    if imported.already:
        console.print(f"{what} is recorded as '{imported.address}' already; nothing to do.")
        return
    console.print(
        f"Imported {what} as '{imported.address}': its ownership tags are written and the "
        "state records it."
    )
    console.print(f"Run `deploy plan {stack_file}` to see how it differs from the stack file.")
