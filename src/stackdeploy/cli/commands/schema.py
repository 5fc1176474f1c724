"""deploy schema: the JSON Schema of stack files, for editor autocompletion."""

import json

from stackdeploy.config.schema import stack_json_schema


def schema() -> None:
    """Print the JSON Schema of the stack file format."""
    print(json.dumps(stack_json_schema(), indent=2, sort_keys=True))
