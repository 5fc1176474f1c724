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

from stackdeploy.config import limits
from stackdeploy.config.includes import check_includes
from stackdeploy.config.sandbox import BoundedEnvironment, RenderBudget, TemplateLimitError
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


def make_environment(search_path: Sequence[Path], budget: RenderBudget) -> BoundedEnvironment:
    environment = BoundedEnvironment(search_path, budget)
    environment.globals["cidrsubnet"] = cidrsubnet
    return environment


def render_template(
    text: str,
    file: str,
    context: Mapping[str, Any],
    search_path: Sequence[Path],
    budget: RenderBudget,
) -> str:
    """Render a stack file; errors name the template line."""
    environment = make_environment(search_path, budget)
    limit = min(limits.RENDERED_STACK_CHARS, budget.output)
    return _render(environment, text, None, file, context, limit)


def render_file(
    name: str, context: Mapping[str, Any], search_path: Sequence[Path], budget: RenderBudget
) -> str:
    """Render a template file (e.g. user data) found on the search path."""
    environment = make_environment(search_path, budget)
    try:
        text, file, _ = environment.loader.get_source(environment, name)  # type: ignore[union-attr]
    except jinja2.TemplateNotFound:
        folders = ", ".join(str(p) for p in search_path)
        raise ConfigError(
            f"template '{name}' not found", hint=f"templates are looked up in: {folders}"
        ) from None
    return _render(environment, text, name, file or name, context, budget.output)


def _render(
    environment: BoundedEnvironment,
    text: str,
    name: str | None,
    file: str,
    context: Mapping[str, Any],
    limit: int,
) -> str:
    """Parse, check includes, compile and render, stopping past `limit` characters."""
    rendering = False  # a RecursionError before rendering comes from nesting, not a loop
    try:
        tree = environment.parse(text, name, file)
        check_includes(environment, tree, file)
        template = environment.from_string(tree)
        template.filename, template.name = file, name
        rendering = True
        return _stream(template, context, file, limit, environment.budget)
    except jinja2.TemplateSyntaxError as error:
        where = SourceLocation(error.filename or file, error.lineno)
        raise ConfigError(f"template syntax error: {error.message}", location=where) from None
    except jinja2.TemplateNotFound as error:
        folders = ", ".join(str(p) for p in environment.loader.searchpath)  # type: ignore[union-attr]
        raise ConfigError(
            f"template '{error.name}' not found",
            location=SourceLocation(file, _template_line(file)),
            hint=f"included templates are looked up in: {folders}",
        ) from None
    except jinja2.UndefinedError as error:
        raise ConfigError(
            f"undefined variable: {error.message}",
            location=SourceLocation(file, _template_line(file)),
            # A copy's missing copy_index says how to give it (config/copies.py).
            hint=getattr(error, "hint", None)
            or "declare it under vars: in the stack file, or pass --var NAME=VALUE",
        ) from None
    except TemplateLimitError as error:
        where = error.location or SourceLocation(file, _template_line(file))
        raise ConfigError(error.message, location=where, hint=error.hint) from None
    except ConfigError as error:  # an included template that cannot be read
        error.location = error.location or SourceLocation(file, _template_line(file))
        raise
    except RecursionError:
        if not rendering:
            raise ConfigError(
                "the template nests too deeply to read (blocks or parentheses)",
                location=SourceLocation(file),
                hint="nest fewer blocks and parentheses inside each other",
            ) from None
        raise ConfigError(
            "the template recurses without end",
            location=SourceLocation(file, _template_line(file)),
            hint="a macro that calls itself, or a template that includes itself by a "
            "computed name, needs a condition that stops it",
        ) from None
    except SyntaxError as error:  # Python's own limits when compiling the template
        raise ConfigError(
            f"the template nests blocks too deeply to compile ({error.msg})",
            location=SourceLocation(file),
            hint="nest fewer {% for %} and {% if %} blocks inside each other",
        ) from None
    except (jinja2.TemplateError, ValueError, TypeError, ArithmeticError) as error:
        raise ConfigError(
            f"template error: {error}", location=SourceLocation(file, _template_line(file))
        ) from None


def _stream(
    template: jinja2.Template,
    context: Mapping[str, Any],
    file: str,
    limit: int,
    budget: RenderBudget,
) -> str:
    """The rendered text, read piece by piece so that rendering stops past `limit`."""
    parts: list[str] = []
    size = 0
    pieces = template.generate(**context)
    for part in pieces:
        size += len(part)
        if size > limit:
            raise TemplateLimitError(
                f"{file} renders to more than {limits.describe_size(limit)}",
                "is a loop producing more than intended? A stack renders to at most "
                f"{limits.describe_size(limits.RENDERED_STACK_CHARS)}, all its templates to "
                f"{limits.describe_size(limits.RENDERED_TOTAL_CHARS)} (CloudFormation "
                "accepts 1 MB)",
                location=_rendering_at(pieces),
            )
        parts.append(part)
    budget.output -= size
    return "".join(parts)


def _rendering_at(pieces: Any) -> SourceLocation | None:
    """Where a paused render is: the innermost template frame of its generators."""
    where = None
    while pieces is not None:
        frame = getattr(pieces, "gi_frame", None)
        template = frame.f_globals.get("__jinja_template__") if frame else None
        if frame is not None and template is not None and template.filename:
            where = SourceLocation(
                template.filename, template.get_corresponding_lineno(frame.f_lineno)
            )
        pieces = getattr(pieces, "gi_yieldfrom", None)
    return where


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
