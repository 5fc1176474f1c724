"""deploy graph: the dependency graph as DOT or Mermaid."""

import enum
from pathlib import Path
from typing import Annotated

import typer

from stackdeploy.cli.options import GlobalOptions, stack_command
from stackdeploy.cli.runtime import load, output_console
from stackdeploy.graph.build import build_graph
from stackdeploy.graph.render import to_dot, to_mermaid


class GraphFormat(enum.StrEnum):
    dot = "dot"
    mermaid = "mermaid"


@stack_command
def graph(
    stack_file: Annotated[Path, typer.Argument(help="The stack file (YAML + Jinja2).")],
    output_format: Annotated[
        GraphFormat, typer.Option("--format", help="dot or mermaid.")
    ] = GraphFormat.dot,
    *,
    options: GlobalOptions,
) -> None:
    """Print the dependency graph (no AWS calls)."""
    stack = load(options, stack_file)
    dependencies = build_graph(stack)
    text = (
        to_dot(stack, dependencies)
        if output_format is GraphFormat.dot
        else to_mermaid(stack, dependencies)
    )
    output_console(options).file.write(text)
