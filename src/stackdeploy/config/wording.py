"""Validation errors in plain words: pydantic's wording ("Input should be a valid boolean,
unable to interpret input") replaced by what was expected and the value given, and a
mistyped field name answered once, with the nearest name, instead of "unknown field" plus
"missing required field"."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

Loc = tuple[int | str, ...]

_EXPECTED = {
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "string_type": "text",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
}


@dataclass(frozen=True)
class Problem:
    """One problem to report: where (relative to the validated document) and what."""

    loc: Loc
    message: str


def shown(value: Any) -> str:
    """A value as the user wrote it, kept short."""
    text = repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "nothing (null)"
    return text if len(text) <= 60 else f"{text[:57]}..."


def plain_message(item: ErrorDetails) -> str:
    """The message for one pydantic error, in plain words with the value given."""
    kind, given = item["type"], item.get("input")
    context = item.get("ctx") or {}
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {shown(given)}"
    if kind in ("literal_error", "enum"):
        # YAML spells booleans true and false, not Python's True and False.
        expected = str(context.get("expected")).replace("True", "true").replace("False", "false")
        return f"expected {expected}, got {shown(given)}"
    bounds = {
        "greater_than": "more than {gt}",
        "greater_than_equal": "at least {ge}",
        "less_than": "less than {lt}",
        "less_than_equal": "at most {le}",
    }
    if kind in bounds:
        return f"must be {bounds[kind].format(**context)}, got {shown(given)}"
    if kind == "string_too_long":
        return f"is too long: at most {context.get('max_length')} characters, got {_size(given)}"
    if kind == "string_too_short":
        return f"is too short: at least {context.get('min_length')} characters, got {_size(given)}"
    if kind == "too_long":
        return f"has too many items: at most {context.get('max_length')}, got {_size(given)}"
    if kind == "too_short":
        least = context.get("min_length")
        return f"needs at least {least} item{'s' if least != 1 else ''}, got {_size(given)}"
    return str(item["msg"]).removeprefix("Value error, ")


def _size(value: Any) -> str:
    try:
        return str(len(value))
    except TypeError:
        return shown(value)


def problems(errors: Sequence[ErrorDetails], model: type[BaseModel] | None) -> list[Problem]:
    """The problems to report for one validation, a misspelt field answered once."""
    located = [(tuple(p for p in item["loc"] if p != "__root__"), item) for item in errors]
    missing = {loc for loc, item in located if item["type"] == "missing"}
    answered: set[Loc] = set()
    found: list[Problem] = []
    for loc, item in located:
        if item["type"] == "extra_forbidden":
            allowed = fields_at(model, loc[:-1]) if model else set()
            wanted = {str(m[-1]) for m in missing if m[:-1] == loc[:-1]}
            nearest = _nearest(str(loc[-1]), wanted) or _nearest(str(loc[-1]), allowed)
            if nearest is not None and nearest in wanted:
                answered.add((*loc[:-1], nearest))
            hint = f": did you mean '{nearest}'?" if nearest else ""
            found.append(Problem(loc, f"unknown field '{loc[-1]}'{hint}"))
        elif item["type"] == "missing":
            found.append(Problem(loc, f"missing required field '{loc[-1]}'"))
        else:
            found.append(Problem(loc, plain_message(item)))
    return [p for p in found if not (p.loc in answered and p.message.startswith("missing"))]


def _nearest(name: str, candidates: set[str]) -> str | None:
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.75)
    return close[0] if close else None


def fields_at(model: type[BaseModel], loc: Loc) -> set[str]:
    """The field names (and aliases) a mapping at `loc` inside `model` may hold."""
    current: list[type[BaseModel]] = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        following: list[type[BaseModel]] = []
        for candidate in current:
            for name, info in candidate.model_fields.items():
                if part in (name, info.alias):
                    following.extend(_models_in(info.annotation))
        # No field of that name: a key of a mapping of models (dict[str, Model]), whose
        # models the previous step already reached.
        current = following or current
    names: set[str] = set()
    for candidate in current:
        for name, info in candidate.model_fields.items():
            names.add(info.alias or name)
    return names


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models a field's annotation may hold: Model, Model | None, list[Model], ..."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return []
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
