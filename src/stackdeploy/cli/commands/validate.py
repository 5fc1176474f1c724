"""deploy validate: render and validate a stack file; no AWS call at all."""

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from stackdeploy.cli.options import GlobalOptions, error_console, stack_command
from stackdeploy.cli.runtime import load, output_console
from stackdeploy.graph.build import build_graph


@stack_command
def validate(
    stack_file: Annotated[Path, typer.Argument(help="The stack file (YAML + Jinja2).")],
    *,
    options: GlobalOptions,
) -> None:
    """Render and validate STACK_FILE without calling AWS."""
    stack = load(options, stack_file)
    build_graph(stack)
    counts = Counter(resource.type for resource in stack.resources.values())
    kinds = ", ".join(f"{name} ×{count}" for name, count in sorted(counts.items()))
    line = Text("✓ ", style="bold green")
    line.append(f"{stack_file} is valid: stack {stack.name} ({stack.region}), ")
    line.append(f"{len(stack.resources)} resources" + (f" ({kinds})" if kinds else ""))
    output_console(options).print(line)
    diagnostics = error_console(options)
    for warning in stack.warnings:
        diagnostics.print(Text("Warning: ", style="bold yellow") + Text(warning, style="yellow"))
