"""Stack variables: defaults declared in the file, overridden by --var-file, then --var.

The `vars:` block must be known before the file is rendered (the body uses the variables), so
it is read in a first pass, as plain YAML without Jinja2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from stackdeploy.config import limits
from stackdeploy.config.textfile import read_text_file
from stackdeploy.config.yamlbounds import YamlLimitError, load_bounded
from stackdeploy.config.yamlsource import parse_yaml
from stackdeploy.errors import ConfigError, SourceLocation

_VARS_HEADER = re.compile(r"^vars\s*:")


def _top_level_block(text: str, header: re.Pattern[str]) -> tuple[int, str] | None:
    lines = text.splitlines()
    for start, line in enumerate(lines):
        if header.match(line):
            block = [line]
            for following in lines[start + 1 :]:
                if following.strip() == "" or following[0] in " \t#":
                    block.append(following)
                    continue
                break
            return start + 1, "\n".join(block)
    return None


def declared_variables(text: str, file: str) -> dict[str, Any]:
    """The `vars:` block of a stack file, parsed before rendering."""
    found = _top_level_block(text, _VARS_HEADER)
    if found is None:
        return {}
    first_line, block = found
    if "{{" in block or "{%" in block:
        raise ConfigError(
            "the vars: block cannot use Jinja2: it is read before the file is rendered",
            location=SourceLocation(file, first_line, "vars"),
            hint="give literal defaults in vars:, and compute derived values in the body",
        )
    document = parse_yaml(block, file, lambda line: line + first_line - 1)
    values = (document.data or {}).get("vars") if isinstance(document.data, dict) else None
    if values is None:
        return {}
    if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
        raise ConfigError(
            "vars: must be a mapping of variable names to default values",
            location=SourceLocation(file, first_line, "vars"),
        )
    return values


def top_level_scalar(text: str, key: str) -> str | None:
    """A plain top-level scalar such as `region: us-west-2`, read before rendering."""
    # Split by hand: as one regular expression (value, spaces, comment) a long line of spaces
    # backtracks for minutes.
    label = re.compile(re.escape(key) + r"\s*:")
    for line in text.splitlines():
        found = label.match(line)
        if found is None:
            continue
        value = line[found.end() :].strip()
        if value and value[0] not in "#{}":
            return value.split("#", 1)[0].strip().strip("'\"")
    return None


def parse_cli_var(assignment: str) -> tuple[str, str]:
    name, sep, value = assignment.partition("=")
    if not sep or not name.strip():
        raise ConfigError(
            f"--var '{assignment}' is not NAME=VALUE",
            hint="for example: --var admin_cidr=203.0.113.7/32",
        )
    return name.strip(), value


def _coerce(name: str, raw: str, default: Any) -> Any:
    """A --var value keeps the type of its default: strings stay strings, others parse as YAML."""
    if isinstance(default, str):
        return raw
    try:
        return load_bounded(raw) if raw != "" else ""
    except YamlLimitError as error:
        raise ConfigError(f"--var {name}: {error.message}", hint=error.hint) from None
    except yaml.YAMLError:
        return raw


def load_var_file(path: Path) -> dict[str, Any]:
    text = read_text_file(path, "var file", limits.VAR_FILE_BYTES)
    document = parse_yaml(text, str(path))
    data = document.data or {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"var file {path} must hold a mapping of NAME: value",
            location=SourceLocation(str(path), 1),
        )
    return data


def resolve_variables(
    declared: Mapping[str, Any],
    var_files: Sequence[Path],
    cli_vars: Sequence[str],
    file: str,
) -> dict[str, Any]:
    """Merge defaults, var files and --var assignments; unknown names are errors."""
    values = dict(declared)

    def check_declared(name: str, origin: str) -> None:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise ConfigError(
                f"{origin} sets variable '{name}', which {file} does not declare",
                hint=f"declared variables: {known}. Add '{name}' under vars: to use it.",
            )

    for var_file in var_files:
        for name, value in load_var_file(var_file).items():
            check_declared(str(name), f"var file {var_file}")
            values[str(name)] = value
    for assignment in cli_vars:
        name, raw = parse_cli_var(assignment)
        check_declared(name, "--var")
        values[name] = _coerce(name, raw, declared.get(name))
    return values
