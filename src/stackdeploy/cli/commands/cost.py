"""deploy cost: what the stack costs once applied, from the price table shipped with
stackdeploy (hourly and monthly, per resource), and what is not estimated."""

import json
from pathlib import Path
from typing import Annotated

import typer

from stackdeploy.apply.engine import Permissions, plan_stack
from stackdeploy.cli.options import (
    OUTPUT_PANEL,
    AdoptOption,
    ForceOwnedOption,
    GlobalOptions,
    stack_command,
)
from stackdeploy.cli.runtime import load, output_console, progress_console, workspace
from stackdeploy.events import ignore
from stackdeploy.pricing.estimate import estimate_plan
from stackdeploy.pricing.public import stack_cost_to_public
from stackdeploy.report.cost_view import stack_cost_lines
from stackdeploy.report.plan_view import to_text
from stackdeploy.report.progress import ProgressReporter


@stack_command
def cost(
    stack_file: Annotated[Path, typer.Argument(help="The stack file (YAML + Jinja2).")],
    json_output: Annotated[
        bool,
        typer.Option(
            "--json", help="Machine-readable estimate on stdout.", rich_help_panel=OUTPUT_PANEL
        ),
    ] = False,
    target: Annotated[
        list[str] | None,
        typer.Option(help="Limit to this resource and what it needs (repeatable)."),
    ] = None,
    destroy: Annotated[
        bool, typer.Option("--destroy", help="What destroying the stack stops paying.")
    ] = False,
    adopt: AdoptOption = False,
    force_owned: ForceOwnedOption = False,
    *,
    options: GlobalOptions,
) -> None:
    """Refresh like plan, then estimate what the stack costs once applied."""
    stack = load(options, stack_file)
    reporter = ProgressReporter(progress_console(options), debug=options.debug)
    ws = workspace(options, stack, reporter if options.debug else ignore)
    permissions = Permissions(adopt=adopt, force_owned=force_owned)
    run = plan_stack(ws, stack, destroy=destroy, targets=target or [], permissions=permissions)
    plan = run.plan
    estimate = estimate_plan(plan)
    console = output_console(options)
    if json_output:
        document = stack_cost_to_public(
            stack=plan.stack,
            region=plan.region,
            account=plan.account,
            destroy=plan.destroy,
            targets=plan.targets,
            cost=estimate,
        )
        console.file.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
        return
    for line in stack_cost_lines(plan, estimate):
        console.print(to_text(line), soft_wrap=True)
