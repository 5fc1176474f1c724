"""Templates that include themselves, found before rendering.

A template that includes, imports or extends itself, directly or through others, renders
until Python's recursion limit and ends in a RecursionError far from the line at fault. When
the template names are constants, the chain is followed here first, and a cycle is an
error naming the file and line of the include that closes it. Names computed at render time
cannot be followed; a cycle through them is still stopped, by the recursion limit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import jinja2
from jinja2 import nodes

from stackdeploy.errors import ConfigError, SourceLocation

# How many templates deep includes may go; a stack file uses two or three.
INCLUDE_DEPTH = 32
_INCLUDES = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


@dataclass
class _Walk:
    environment: jinja2.Environment
    chain: list[tuple[str, str, int]] = field(default_factory=list)  # (file, includes, line)
    open_files: list[str] = field(default_factory=list)
    done: set[str] = field(default_factory=set)


def check_includes(environment: jinja2.Environment, tree: nodes.Template, file: str) -> None:
    """Refuse include cycles and include chains deeper than INCLUDE_DEPTH, starting from
    the parsed template `tree` read from `file`."""
    _visit(_Walk(environment), tree, file)


def _visit(walk: _Walk, tree: nodes.Template, file: str) -> None:
    key = os.path.realpath(file)
    walk.open_files.append(key)
    for node in tree.find_all(_INCLUDES):
        named = getattr(node, "template", None)
        name = named.value if isinstance(named, nodes.Const) else None
        if not isinstance(name, str):
            continue  # computed at render time
        try:
            included = _load(walk.environment, name)
        except ConfigError as error:  # found, but too big or not text
            error.location = error.location or SourceLocation(file, node.lineno)
            raise
        if included is None:
            continue  # not found or not valid: rendering reports it, with its own message
        source, included_file = included
        walk.chain.append((file, name, node.lineno))
        included_key = os.path.realpath(included_file)
        if included_key in walk.open_files:
            raise _cycle_error(walk.chain, included_key)
        if len(walk.chain) > INCLUDE_DEPTH:
            raise ConfigError(
                f"templates include each other more than {INCLUDE_DEPTH} levels deep",
                location=SourceLocation(file, node.lineno),
                hint=_describe(walk.chain[:4]) + ", ...",
            )
        if included_key not in walk.done:
            _visit(walk, source, included_file)
        walk.chain.pop()
    walk.open_files.pop()
    walk.done.add(key)


def _load(environment: jinja2.Environment, name: str) -> tuple[nodes.Template, str] | None:
    loader = environment.loader
    if loader is None:
        return None
    try:
        source, filename, _ = loader.get_source(environment, name)
        return environment.parse(source, name, filename), filename or name
    except (jinja2.TemplateNotFound, jinja2.TemplateSyntaxError):
        return None


def _cycle_error(chain: list[tuple[str, str, int]], repeated: str) -> ConfigError:
    start = next(i for i, (file, _, _) in enumerate(chain) if os.path.realpath(file) == repeated)
    cycle = chain[start:]
    file, name, line = cycle[-1]
    itself = len(cycle) == 1
    return ConfigError(
        f"template {name} includes itself" if itself else f"templates include each other: {name}",
        location=SourceLocation(file, line),
        hint=("" if itself else _describe(cycle) + "; ")
        + "an include inside the file it includes never ends",
    )


def _describe(chain: list[tuple[str, str, int]]) -> str:
    return ", ".join(f"{file}:{line} includes {name}" for file, name, line in chain)
