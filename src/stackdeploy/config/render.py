"""Jinja2 rendering of stack files, in a sandbox with StrictUndefined.

Errors found after rendering name template lines through `sourcemap.SourceMap`.
"""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from stackdeploy.errors import ConfigError, SourceLocation


def cidrsubnet(prefix: str, newbits: int, netnum: int) -> str:
    """Terraform's cidrsubnet: the netnum-th subnet of prefix with newbits more prefix bits."""
    network = ipaddress.ip_network(prefix, strict=False)
    new_prefix = network.prefixlen + newbits
    if newbits < 0 or new_prefix > network.max_prefixlen:
        raise ValueError(
            f"cidrsubnet: {prefix} cannot be split by {newbits} more bits "
            f"(its prefix is /{network.prefixlen} of at most /{network.max_prefixlen})"
        )
    # Computed, not listed: "10.0.0.0/8" split 24 more ways has 16 million subnets.
    count = 1 << newbits
    if not 0 <= netnum < count:
        raise ValueError(f"cidrsubnet: {prefix} has {count} /{new_prefix} subnets")
    first = int(network.network_address) + netnum * (1 << (network.max_prefixlen - new_prefix))
    return str(ipaddress.ip_network((first, new_prefix)))


def template_search_path(stack_file: Path) -> list[Path]:
    """Where `{% include %}` looks: the stack's folder, then the nearest `templates/` above it."""
    folders = [stack_file.parent]
    for parent in [stack_file.parent, *stack_file.parent.parents]:
        candidate = parent / "templates"
        if candidate.is_dir():
            folders.append(candidate)
            break
    cwd_templates = Path.cwd() / "templates"
    if cwd_templates.is_dir() and cwd_templates not in folders:
        folders.append(cwd_templates)
    return folders


def make_environment(search_path: Sequence[Path]) -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(p) for p in search_path]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.globals["cidrsubnet"] = cidrsubnet
    return environment


def render_template(
    text: str, file: str, context: Mapping[str, Any], search_path: Sequence[Path]
) -> str:
    """Render a stack file (or a user-data template); errors name the template line."""
    environment = make_environment(search_path)
    try:
        template = environment.from_string(text)
        template.filename = file
        return template.render(**context)
    except jinja2.TemplateSyntaxError as error:
        where = SourceLocation(error.filename or file, error.lineno)
        raise ConfigError(f"template syntax error: {error.message}", location=where) from None
    except jinja2.TemplateNotFound as error:
        folders = ", ".join(str(p) for p in search_path)
        raise ConfigError(
            f"template '{error.name}' not found",
            location=SourceLocation(file, _template_line(file)),
            hint=f"included templates are looked up in: {folders}",
        ) from None
    except jinja2.UndefinedError as error:
        raise ConfigError(
            f"undefined variable: {error.message}",
            location=SourceLocation(file, _template_line(file)),
            hint="declare it under vars: in the stack file, or pass --var NAME=VALUE",
        ) from None
    except (jinja2.TemplateError, ValueError, TypeError, ArithmeticError) as error:
        raise ConfigError(
            f"template error: {error}", location=SourceLocation(file, _template_line(file))
        ) from None


def render_file(name: str, context: Mapping[str, Any], search_path: Sequence[Path]) -> str:
    """Render a template file (e.g. user data) found on the search path."""
    environment = make_environment(search_path)
    try:
        template = environment.get_template(name)
    except jinja2.TemplateNotFound:
        folders = ", ".join(str(p) for p in search_path)
        raise ConfigError(
            f"template '{name}' not found", hint=f"templates are looked up in: {folders}"
        ) from None
    except jinja2.TemplateSyntaxError as error:
        where = SourceLocation(error.filename or name, error.lineno)
        raise ConfigError(f"template syntax error: {error.message}", location=where) from None
    file = template.filename or name
    try:
        return template.render(**context)
    except jinja2.UndefinedError as error:
        raise ConfigError(
            f"undefined variable in template: {error.message}",
            location=SourceLocation(file, _template_line(file)),
            hint="declare it under vars: in the stack file, or pass --var NAME=VALUE",
        ) from None
    except (jinja2.TemplateError, ValueError, TypeError, ArithmeticError) as error:
        raise ConfigError(
            f"template error: {error}", location=SourceLocation(file, _template_line(file))
        ) from None


def _template_line(file: str) -> int | None:
    """The template line being rendered when the current exception was raised.

    Jinja2 rewrites tracebacks so template frames carry the template's name and line.
    """
    traceback = sys.exc_info()[2]
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == file:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line
