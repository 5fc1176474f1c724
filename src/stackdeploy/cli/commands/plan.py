"""deploy plan: show what apply would change."""

from pathlib import Path
from typing import Annotated

import typer

from stackdeploy.apply.engine import Permissions, plan_stack
from stackdeploy.apply.saved_plan import save_plan
from stackdeploy.cli.commands.common import print_api_stats, write_plan
from stackdeploy.cli.copies import (
    COPY_PARALLELISM,
    CopiesFileOption,
    CopiesOption,
    CopyParallelismOption,
    chosen_copies,
    plan_copies,
)
from stackdeploy.cli.options import (
    AdoptOption,
    ExpiresInOption,
    ForceOwnedOption,
    GlobalOptions,
    PlanJsonOption,
    PlanMarkdownOption,
    check_one_format,
    parse_expires_in,
    stack_command,
)
from stackdeploy.cli.runtime import load, output_console, progress_console, workspace
from stackdeploy.errors import DeployError
from stackdeploy.events import ignore
from stackdeploy.report.progress import ProgressReporter


@stack_command
def plan(
    stack_file: Annotated[Path, typer.Argument(help="The stack file (YAML + Jinja2).")],
    json_output: PlanJsonOption = False,
    markdown: PlanMarkdownOption = False,
    detailed_exitcode: Annotated[
        bool,
        typer.Option(
            "--detailed-exitcode", help="Exit 0 when nothing changes, 2 when something does."
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Save the plan; `deploy apply FILE` runs exactly it."),
    ] = None,
    target: Annotated[
        list[str] | None,
        typer.Option(help="Limit to this resource and what it needs (repeatable)."),
    ] = None,
    destroy: Annotated[
        bool, typer.Option("--destroy", help="Plan the destruction of the stack.")
    ] = False,
    adopt: AdoptOption = False,
    force_owned: ForceOwnedOption = False,
    expires_in: ExpiresInOption = None,
    copies: CopiesOption = None,
    copies_file: CopiesFileOption = None,
    copy_parallelism: CopyParallelismOption = COPY_PARALLELISM,
    *,
    options: GlobalOptions,
) -> None:
    """Refresh live state and show the changes apply would make."""
    check_one_format(json_output=json_output, markdown=markdown)
    chosen = chosen_copies(options, copies, copies_file)
    if chosen is not None:
        if out is not None:
            raise DeployError("--out saves one plan: save each copy's with --copy NAME")
        plan_copies(
            options,
            stack_file,
            chosen,
            destroy=destroy,
            json_output=json_output,
            markdown=markdown,
            detailed_exitcode=detailed_exitcode,
            copy_parallelism=copy_parallelism,
            targets=target or [],
            permissions=Permissions(adopt=adopt, force_owned=force_owned),
            expires_in=parse_expires_in(expires_in),
        )
        return
    stack = load(options, stack_file)
    reporter = ProgressReporter(progress_console(options), debug=options.debug)
    events = reporter if options.debug else ignore
    ws = workspace(options, stack, events)
    permissions = Permissions(adopt=adopt, force_owned=force_owned)
    run = plan_stack(
        ws,
        stack,
        destroy=destroy,
        targets=target or [],
        permissions=permissions,
        expires_in=parse_expires_in(expires_in),
    )
    write_plan(
        output_console(options),
        run.plan,
        copy=stack.copy_name,
        plan_file=out,
        json_output=json_output,
        markdown=markdown,
    )
    if out is not None:
        save_plan(run.stack, run.plan, out, target or [])
        progress_console(options).print(
            f"Saved the plan to {out}; run `deploy apply {out}` to apply exactly it."
        )
    if options.debug:
        print_api_stats(ws, progress_console(options))
    if detailed_exitcode and run.plan.has_changes():
        raise typer.Exit(2)
