"""deploy render: the stack file after Jinja2, as the loader parses it; no AWS call."""

from pathlib import Path
from typing import Annotated

import typer

from stackdeploy.cli.options import GlobalOptions, stack_command
from stackdeploy.cli.plan_files import check_stack_file
from stackdeploy.cli.runtime import load_options, output_console
from stackdeploy.config.loader import render_stack_file


@stack_command
def render(
    stack_file: Annotated[Path, typer.Argument(help="The stack file (YAML + Jinja2).")],
    *,
    options: GlobalOptions,
) -> None:
    """Print STACK_FILE rendered with its variables (--var, --var-file, --copy): the YAML
    that validate, plan and apply read. Nothing is validated beyond the rendering."""
    check_stack_file(stack_file)
    rendered = render_stack_file(stack_file, load_options(options))
    output_console(options).file.write(rendered.rendered.rstrip("\n") + "\n")
