"""How big a template value is, and how big an operation would make one, before it runs.

Most template operations make results about as big as their inputs. A few multiply:
`"a" * 10**9`, `10 ** 10**9`, `"%999999999s" % x`, `s.replace("", t)`, `sep.join(items)`,
`s | indent(10**6)`, `x | batch(10**9, fill)`. Jinja2's sandbox does not bound any of them,
so each is estimated here (an upper bound, in characters or list items) and the sandbox
charges the estimate before the operation is allowed to allocate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

SIZED = (str, bytes, list, tuple, dict, set, frozenset)

# %-format conversions: their width and precision (a `*` takes them from the arguments).
_PERCENT_FIELD = re.compile(r"%[-+ #0]*(\d+|\*)?(?:\.(\d+|\*))?")
# {}-format fields: any number in a format spec is a width or a precision at most.
_BRACE_FIELD = re.compile(r"\{[^{}]*\}")
_NUMBER = re.compile(r"\d+")


def weight(value: Any, limit: int) -> int:
    """Characters plus items in a value, counting a shared value each time it appears (as
    printing would), or limit + 1 once past the limit."""
    total, pending = 0, [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, dict):
            total += len(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            pending.extend(item)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 1
        else:
            total += 1
        if total > limit:
            return limit + 1
    return total


def binop_size(operator: str, left: Any, right: Any, limit: int) -> int | None:
    """Characters or items `left <operator> right` would make, when it can outgrow its
    operands (None when it cannot)."""
    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            if isinstance(sequence, SIZED) and isinstance(times, int):
                return max(times, 0) * weight(sequence, limit)
        return None
    if operator == "+" and isinstance(left, SIZED) and isinstance(right, SIZED):
        return weight(left, limit) + weight(right, limit)
    if operator == "%" and isinstance(left, str):
        arguments = right if isinstance(right, tuple) else (right,)
        return percent_format_size(left, arguments, limit)
    return None


def int_bits(operator: str, left: Any, right: Any) -> int:
    """About how many bits an integer `*` or `**` makes (0 when it is not one)."""
    if not (isinstance(left, int) and isinstance(right, int)):
        return 0
    if operator == "*":
        return left.bit_length() + right.bit_length()
    if operator == "**" and right > 0:
        return left.bit_length() * right if abs(left) > 1 else 1
    return 0


def percent_format_size(template: str, arguments: tuple[Any, ...], limit: int) -> int:
    """An upper bound on the length of `template % arguments`."""
    integers = [a for a in arguments if isinstance(a, int)]
    widest = max(integers, default=0)  # a `*` width or precision comes from an argument
    padding = 0
    for field in _PERCENT_FIELD.finditer(template):
        for part in field.groups():
            if part is not None:
                padding += widest if part == "*" else int(part)
    return len(template) + padding + weight(arguments, limit)


def brace_format_size(template: str, arguments: Any, limit: int) -> int:
    """An upper bound on the length of `template.format(...)`: widths in the format specs,
    and the arguments each time a field could print them."""
    fields = _BRACE_FIELD.findall(template)
    padding = sum(int(number) for field in fields for number in _NUMBER.findall(field))
    return len(template) + padding + max(len(fields), 1) * weight(arguments, limit)


def method_size(method: Any, args: tuple[Any, ...], limit: int) -> int | None:
    """What calling a str method that can multiply sizes would make (None for others)."""
    text = getattr(method, "__self__", None)
    estimate = _STR_METHODS.get(getattr(method, "__name__", ""))
    if not isinstance(text, str) or estimate is None:
        return None
    try:
        return estimate(text, limit, *args)
    except TypeError:  # wrong arguments: the call itself will say so
        return None


def measurable(method: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """The arguments, with an iterator that str.join would consume listed, so it can be
    measured first (join reads it all anyway)."""
    joins = isinstance(getattr(method, "__self__", None), str) and method.__name__ == "join"
    if joins and args and not isinstance(args[0], SIZED):
        return (list(args[0]), *args[1:])
    return args


def filter_size(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any], limit: int) -> int:
    """What a filter that can multiply sizes would make (0 for other filters)."""
    estimate = _FILTERS.get(name)
    if estimate is None:
        return 0
    try:
        return estimate(limit, *args, **kwargs)
    except TypeError:
        return 0


def _replace_size(text: str, old: Any, new: Any, count: Any, limit: int) -> int:
    if not (isinstance(old, str) and isinstance(new, str)):
        return len(text)
    found = len(text) + 1 if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * len(new)


def _join_size(separator: str, items: Any, limit: int) -> int:
    count = len(items) if isinstance(items, SIZED) else 0
    return max(count - 1, 0) * len(separator) + weight(items, limit)


def _lines(text: Any) -> int:
    return str(text).count("\n") + 1 if isinstance(text, str) else 1


def _indent_size(limit: int, s: Any, width: Any = 4, *_: Any, **__: Any) -> int:
    step = width if isinstance(width, int) else len(str(width))
    return weight(s, limit) + max(step, 0) * _lines(s)


def _wordwrap_size(
    limit: int, s: Any, width: Any = 79, *_: Any, wrapstring: Any = None, **__: Any
) -> int:
    size = weight(s, limit)
    breaks = size // max(width, 1) + _lines(s) if isinstance(width, int) else size
    return size + breaks * len(wrapstring if isinstance(wrapstring, str) else "\n")


def _tojson_size(limit: int, value: Any, indent: Any = None) -> int:
    # Each item starts a line indented by its depth; data nests a few levels, never 64.
    step = indent if isinstance(indent, int) else 0
    return weight(value, limit) * (4 + max(step, 0) * 64)


def _sum_size(limit: int, value: Any, attribute: Any = None, start: Any = 0) -> int:
    # Summing lists copies the growing total at every step.
    if isinstance(start, int | float):
        return 0
    return weight(value, limit) * (len(value) if isinstance(value, SIZED) else 1)


_STR_METHODS: dict[str, Callable[..., int]] = {
    "center": lambda text, limit, width, *_: max(len(text), width),
    "ljust": lambda text, limit, width, *_: max(len(text), width),
    "rjust": lambda text, limit, width, *_: max(len(text), width),
    "zfill": lambda text, limit, width: max(len(text), width),
    "expandtabs": lambda text, limit, size=8: len(text) * max(size, 1),
    "replace": lambda text, limit, old, new, count=-1: _replace_size(text, old, new, count, limit),
    "join": lambda text, limit, items: _join_size(text, items, limit),
}

_FILTERS: dict[str, Callable[..., int]] = {
    "center": lambda limit, value, width=80: max(weight(value, limit), width),
    "indent": _indent_size,
    "wordwrap": _wordwrap_size,
    "replace": lambda limit, s, old, new, count=None: _replace_size(str(s), old, new, count, limit),
    "join": lambda limit, value, d="", attribute=None: _join_size(str(d), value, limit),
    "format": lambda limit, value, *args, **kwargs: percent_format_size(
        str(value), (*args, *kwargs.values()), limit
    ),
    "batch": lambda limit, value, linecount, fill_with=None: (
        weight(value, limit) + (linecount if fill_with is not None else 0)
    ),
    "slice": lambda limit, value, slices, fill_with=None: weight(value, limit) + slices,
    "tojson": _tojson_size,
    "sum": _sum_size,
}
# Filters whose result can outgrow their input: estimated before they run. They consume
# their input, so an iterator (from map or select) is listed first to be measured.
MEASURED_FILTERS = frozenset(_FILTERS)
# Filters that print their input (str() of a list prints each item each time it appears):
# charged the input's weight before they run. Other filters are charged what they return.
PRINTING_FILTERS = frozenset(
    {
        "capitalize", "e", "escape", "forceescape", "lower", "pprint", "safe", "string",
        "striptags", "title", "trim", "truncate", "upper", "urlencode", "urlize",
        "wordcount", "xmlattr",
    }
)  # fmt: skip
