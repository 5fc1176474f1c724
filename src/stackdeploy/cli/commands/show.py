"""deploy show: a saved plan (`deploy plan -o PLANFILE`) as text, JSON or markdown, with no
AWS call (no credentials needed): for reviewing the plan a pipeline stage saved."""

from pathlib import Path
from typing import Annotated

import typer

from stackdeploy.cli.commands.common import write_plan
from stackdeploy.cli.options import (
    OUTPUT_PANEL,
    GlobalOptions,
    PlanJsonOption,
    PlanMarkdownOption,
    check_one_format,
    run_guarded,
)
from stackdeploy.cli.plan_files import is_plan_file, read_plan_file
from stackdeploy.cli.runtime import output_console
from stackdeploy.errors import DeployError


def show(
    plan_file: Annotated[Path, typer.Argument(help="A plan saved with `deploy plan -o PLANFILE`.")],
    json_output: PlanJsonOption = False,
    markdown: PlanMarkdownOption = False,
    no_color: Annotated[
        bool,
        typer.Option(
            "--no-color",
            envvar="NO_COLOR",
            help="Plain output without colours.",
            rich_help_panel=OUTPUT_PANEL,
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks.", rich_help_panel=OUTPUT_PANEL)
    ] = False,
) -> None:
    """Show a saved plan as `deploy plan` would (text, --json or --markdown); no AWS call."""
    options = GlobalOptions(no_color=no_color, debug=debug)

    def body() -> None:
        check_one_format(json_output=json_output, markdown=markdown)
        if not is_plan_file(plan_file):
            raise DeployError(
                f"{plan_file} is not a saved plan",
                hint="save one with `deploy plan STACK -o PLANFILE`",
            )
        stack, plan = read_plan_file(plan_file)
        write_plan(
            output_console(options),
            plan,
            copy=stack.copy_name,
            plan_file=plan_file,
            json_output=json_output,
            markdown=markdown,
        )

    run_guarded(options, body)
