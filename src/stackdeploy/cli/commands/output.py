"""deploy output: the stack's outputs as recorded by the last apply."""

import json
from pathlib import Path
from typing import Annotated

import typer

from stackdeploy.cli.options import OUTPUT_PANEL, GlobalOptions, stack_command
from stackdeploy.cli.runtime import load, output_console, workspace
from stackdeploy.events import ignore
from stackdeploy.report.values import show


@stack_command
def output(
    stack_file: Annotated[Path, typer.Argument(help="The stack file (YAML + Jinja2).")],
    name: Annotated[str | None, typer.Argument(help="Print only this output's value.")] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Outputs as JSON.", rich_help_panel=OUTPUT_PANEL)
    ] = False,
    *,
    options: GlobalOptions,
) -> None:
    """Print the outputs recorded by the last apply."""
    stack = load(options, stack_file)
    record = workspace(options, stack, ignore).store(stack).load()
    outputs = record.outputs
    console = output_console(options)
    if name is not None:
        if name not in outputs:
            from stackdeploy.errors import DeployError

            raise DeployError(
                f"no output named '{name}'",
                hint=f"outputs: {', '.join(sorted(outputs)) or 'none (apply the stack first)'}",
            )
        value = outputs[name]
        console.file.write((json.dumps(value) if json_output else str(value)) + "\n")
        return
    if json_output:
        console.file.write(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
        return
    if not outputs:
        console.print("No outputs recorded. Apply the stack first.")
        return
    width = max(len(key) for key in outputs)
    for key, value in sorted(outputs.items()):
        console.print(f"{key.ljust(width)} = {show(value)}", highlight=False)
