"""References between resources, `${logical_id.attribute}`, and lookups, `${ssm:/name}`.

A reference names another resource's attribute: it orders the graph and resolves at apply
time. A lookup reads a value that exists outside the stack (an SSM public parameter such as
the latest Amazon Linux AMI, or `${aws:account_id}`, the account the credentials belong to);
it is resolved during refresh, so plans compare real values.
A string that is exactly one token takes its value (of any type); a token embedded in a
longer string is interpolated. `$${` writes a literal `${`, for shell scripts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from stackdeploy.model.values import UNKNOWN

_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
# Pseudo values read from the credentials, like CloudFormation's AWS::AccountId. Only these
# exact names are lookups: any other `${aws:...}` is an IAM policy variable (`${aws:username}`)
# and stays literal text.
AWS_PSEUDO_KEYS = ("account_id",)
# `${stack:NAME.OUTPUT}`: an output another stack recorded at its last apply, read from the
# same state backend (a copy reads the same copy of that stack).
STACK_OUTPUT_BODY = r"stack:[A-Za-z][A-Za-z0-9-]{0,63}\.[A-Za-z_][A-Za-z0-9_]*"
# The body of a lookup token, "source:key" (also used to protect tokens from YAML parsing).
LOOKUP_BODY = (
    r"ssm:[A-Za-z0-9_./-]+|aws:(?:" + "|".join(AWS_PSEUDO_KEYS) + r")|" + STACK_OUTPUT_BODY
)
REF_PATTERN = re.compile(r"(?<!\$)\$\{(" + _NAME + r")\.([A-Za-z_][A-Za-z0-9_]*)\}")
LOOKUP_PATTERN = re.compile(r"(?<!\$)\$\{(" + LOOKUP_BODY + r")\}")
TOKEN_PATTERN = re.compile(
    r"(?<!\$)\$\{(?:(" + LOOKUP_BODY + r")|(" + _NAME + r")\.([A-Za-z_][A-Za-z0-9_]*))\}"
)
_ESCAPED = "$${"


@dataclass(frozen=True, order=True)
class Ref:
    """A reference to an attribute of another resource in the same stack."""

    target: str
    attribute: str

    def __str__(self) -> str:
        return "${" + f"{self.target}.{self.attribute}" + "}"


@dataclass(frozen=True, order=True)
class Lookup:
    """A value read from outside the stack, e.g. an SSM parameter."""

    source: str  # "ssm", "aws" or "stack"
    # The parameter name, the pseudo value's name ("account_id"), or "<stack>.<output>".
    key: str

    def __str__(self) -> str:
        return "${" + f"{self.source}:{self.key}" + "}"

    def scoped(self, region: str) -> str:
        """The key of this lookup's value in a plan: values differ by region."""
        return f"{region}|{self.source}:{self.key}"


Token = Ref | Lookup


def _lookup(body: str) -> Lookup:
    source, key = body.split(":", 1)
    return Lookup(source, key)


def _token(match: re.Match[str]) -> Token:
    if match.group(1):
        return _lookup(match.group(1))
    return Ref(match.group(2), match.group(3))


def lookups_in(value: Any) -> set[Lookup]:
    """Every lookup inside a nested value."""
    if isinstance(value, str):
        return {_lookup(m.group(1)) for m in LOOKUP_PATTERN.finditer(value)}
    if isinstance(value, dict):
        return set().union(*(lookups_in(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(lookups_in(v) for v in value)) if value else set()
    return set()


def refs_in_string(text: str) -> list[Ref]:
    return [Ref(m.group(1), m.group(2)) for m in REF_PATTERN.finditer(text)]


def find_refs(
    value: Any, path: tuple[str | int, ...] = ()
) -> Iterator[tuple[Ref, tuple[str | int, ...]]]:
    """Every reference inside a nested value, with the path of the string that holds it."""
    if isinstance(value, str):
        for ref in refs_in_string(value):
            yield ref, path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from find_refs(item, (*path, key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from find_refs(item, (*path, index))


def substitute(value: Any, resolve: Callable[[Token], Any]) -> Any:
    """Replace every reference and lookup in a nested value by what `resolve` returns.

    If any token inside an interpolated string is UNKNOWN, the whole string is UNKNOWN.
    """
    if isinstance(value, str):
        return _substitute_string(value, resolve)
    if isinstance(value, dict):
        return {key: substitute(item, resolve) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, resolve) for item in value]
    return value


def _substitute_string(text: str, resolve: Callable[[Token], Any]) -> Any:
    whole = TOKEN_PATTERN.fullmatch(text)
    if whole:
        return resolve(_token(whole))
    if "${" not in text:
        return text
    parts: list[str] = []
    position = 0
    for match in TOKEN_PATTERN.finditer(text):
        resolved = resolve(_token(match))
        if resolved is UNKNOWN:
            return UNKNOWN
        parts.append(text[position : match.start()])
        parts.append(resolved if isinstance(resolved, str) else _scalar_text(resolved))
        position = match.end()
    parts.append(text[position:])
    return "".join(parts).replace(_ESCAPED, "${")


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def single_ref(value: Any) -> Ref | None:
    """The reference a value consists of, if it is exactly one reference (e.g. "${vpc.id}")."""
    if isinstance(value, str):
        match = REF_PATTERN.fullmatch(value)
        if match:
            return Ref(match.group(1), match.group(2))
    return None
