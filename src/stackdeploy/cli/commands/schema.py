"""deploy schema: the JSON Schema of stack files (editor autocompletion) or, with --plan, of
`deploy plan --json` documents."""

import json
from typing import Annotated

import typer

from stackdeploy.config.schema import stack_json_schema
from stackdeploy.report.plan_json import plan_json_schema


def schema(
    plan: Annotated[
        bool,
        typer.Option(
            "--plan", help="The schema of `deploy plan --json` (Terraform's plan shape) instead."
        ),
    ] = False,
) -> None:
    """Print the JSON Schema of the stack file format (or, with --plan, of JSON plans)."""
    document = plan_json_schema() if plan else stack_json_schema()
    print(json.dumps(document, indent=2, sort_keys=True))
