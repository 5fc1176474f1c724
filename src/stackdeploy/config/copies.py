"""Copies of a stack (--copy, --copies): their names, their indexes and the variables a stack
file sees for them.

A copy of stack `net` named `alice` is the stack `net-alice`: its own state, its own ownership
tags, generated names that include the copy (they derive from the stack name), and the
`stackdeploy:copy` mark on every resource. Stack files see it as `copy` (the name) and
`copy_index` (a number, for per-copy values such as CIDRs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from stackdeploy.config import limits
from stackdeploy.config.documents import STACK_NAME
from stackdeploy.config.textfile import read_text_file
from stackdeploy.errors import ConfigError, DeployError, SourceLocation

# Lowercase, because copies end up in S3 bucket names and RDS identifiers, which are
# lowercase: `Alice` and `alice` would otherwise be two copies with one bucket. No double or
# trailing hyphen, which RDS identifiers refuse.
COPY_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
COPY_VARIABLES = ("copy", "copy_index")
# A teacher's class is tens of copies; the bound keeps a mistaken file (a log, a CSV of
# thousands) from starting thousands of runs.
MAX_COPIES = 500
COPIES_FILE_BYTES = 64 * limits.KB
_STACK_NAME_MAX = 64  # documents.STACK_NAME: a letter, then up to 63 more


@dataclass(frozen=True)
class StackCopy:
    """One copy: its name, and its index when one is known (a position in --copies, or
    NAME=INDEX). A single --copy NAME has none: its `copy_index` is then undefined, so that a
    file computing a CIDR from it stops instead of silently taking another copy's value."""

    name: str
    index: int | None = None

    def __str__(self) -> str:
        return self.name if self.index is None else f"{self.name}={self.index}"


def check_copy_name(name: str) -> str:
    """The name, or ValueError saying what a copy name may hold."""
    if not COPY_NAME.match(name):
        raise ValueError(
            f"'{name}' is not a copy name: use lowercase letters, digits and single hyphens, "
            "starting and ending with a letter or digit (e.g. alice, team-2)"
        )
    if len(name) > _STACK_NAME_MAX - 2:
        raise ValueError(f"copy name '{name}' is longer than {_STACK_NAME_MAX - 2} characters")
    return name


def parse_copy(text: str) -> StackCopy:
    """NAME or NAME=INDEX (INDEX from 0); ValueError otherwise."""
    name, sep, index = (part.strip() for part in text.partition("="))
    check_copy_name(name)
    if not sep:
        return StackCopy(name)
    if not index.isdigit():
        raise ValueError(f"'{text}': the index after = must be a whole number from 0")
    return StackCopy(name, int(index))


def parse_copies(entries: Iterable[str], origin: str = "--copies") -> list[StackCopy]:
    """Copies from NAME or NAME=INDEX entries, in order. A copy without an index gets its
    position (from 0); names and indexes must be unique, since two copies sharing an index
    would share what the stack computes from it (a CIDR, a port)."""
    copies: list[StackCopy] = []
    for position, entry in enumerate(entries):
        try:
            copy = parse_copy(entry)
        except ValueError as error:
            raise DeployError(f"{origin}: {error}") from None
        copies.append(copy if copy.index is not None else StackCopy(copy.name, position))
    if not copies:
        raise DeployError(f"{origin} names no copy", hint="give names: --copies alice,bob")
    if len(copies) > MAX_COPIES:
        raise DeployError(f"{origin} names {len(copies)} copies; at most {MAX_COPIES} per run")
    _check_unique(copies, origin)
    return copies


def _check_unique(copies: list[StackCopy], origin: str) -> None:
    names: dict[str, StackCopy] = {}
    indexes: dict[int | None, StackCopy] = {}
    for copy in copies:
        if copy.name in names:
            raise DeployError(f"{origin} names copy '{copy.name}' twice")
        names[copy.name] = copy
        other = indexes.setdefault(copy.index, copy)
        if other is not copy:
            raise DeployError(
                f"{origin}: copies '{other.name}' and '{copy.name}' both have index {copy.index}",
                hint="a copy without =INDEX takes its position in the list (from 0); give "
                "every copy its own index, or none",
            )


def split_copies_option(value: str) -> list[str]:
    """`alice,bob=3, carol` -> the entries (empty ones dropped: a trailing comma is fine)."""
    return [entry.strip() for entry in value.split(",") if entry.strip()]


def read_copies_file(path: Path) -> list[str]:
    """The entries of a copies file: one NAME or NAME=INDEX a line; `#` starts a comment."""
    text = read_text_file(path, "copies file", COPIES_FILE_BYTES)
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if any(blank in entry for blank in " \t,"):
            raise ConfigError(
                f"'{entry}' is not one copy: write one NAME or NAME=INDEX a line",
                location=SourceLocation(str(path), number),
            )
        entries.append(entry)
    return entries


def copy_stack_name(stack: str, copy: StackCopy) -> str:
    """`<stack>-<copy>`, or a DeployError naming --copy when it is no valid stack name."""
    name = f"{stack}-{copy.name}"
    if not re.match(STACK_NAME, name):
        room = _STACK_NAME_MAX - len(stack) - 1
        raise DeployError(
            f"--copy {copy.name}: the copy's stack name '{name}' has {len(name)} characters; "
            f"stack names have at most {_STACK_NAME_MAX}",
            hint=f"copies of stack {stack} may have names of at most {room} characters"
            if room > 0
            else f"shorten the stack name {stack}",
        )
    return name


class CopyIndexUndefined(jinja2.UndefinedError):
    """Raised when a stack file uses `copy_index` of a copy that has none; `hint` replaces
    the loader's usual advice (declare it under vars:), which would not help here."""

    hint = (
        "give the copy its index: --copy NAME=INDEX (the same as in --copies: its position "
        "there from 0, or the index written after = in the list or copies file)"
    )


def copy_variables(
    copy: StackCopy | None, declared: Mapping[str, Any], file: str
) -> dict[str, Any]:
    """What a stack file sees of its copy: `copy` ("" for the stack itself) and `copy_index`
    (0 for the stack itself; undefined for a copy given without an index). A file may not
    declare variables of these names: --var copy=... would be silently ignored."""
    for name in COPY_VARIABLES:
        if name in declared:
            raise ConfigError(
                f"variable '{name}' is reserved: stackdeploy sets it for copies of a stack "
                "(--copy, --copies)",
                location=SourceLocation(file, None, f"vars.{name}"),
                hint=f"rename the variable; '{name}' is "
                + ("the copy's name" if name == "copy" else "the copy's index"),
            )
    if copy is None:
        return {"copy": "", "copy_index": 0}
    index: Any = copy.index
    if index is None:
        index = jinja2.StrictUndefined(
            hint=f"copy_index has no value: --copy {copy.name} gives no index",
            name="copy_index",
            exc=CopyIndexUndefined,
        )
    return {"copy": copy.name, "copy_index": index}


def probe_copy(copy: StackCopy) -> StackCopy:
    """Another copy of the same shape, to see which values change with the copy: a name of
    the same length (so no length rule tells them apart) and a neighbouring index (index ^ 1
    stays in the same range: 0 and 1, 254 and 255)."""
    other = "x" * len(copy.name) if copy.name != "x" * len(copy.name) else "y" * len(copy.name)
    return StackCopy(other, None if copy.index is None else copy.index ^ 1)
