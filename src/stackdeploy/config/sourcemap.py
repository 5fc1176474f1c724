"""Which template line produced each rendered line, so errors found after rendering can name
the line the user wrote.

Jinja2 cannot tell, so each rendered line is matched against the template lines, with their
`{{ ... }}` expressions read as wildcards. Rendered lines mostly follow the template in order,
so the first match after the previous one wins; a loop body repeats, so when no later line
matches, the first match in the file does.

A big stack is mostly literal lines, and a rendered line can only come from a template line
that starts the same way. So literal lines are found in a dict, lines with expressions are
filed by their indentation and the first characters of their text, and only those are tried,
in file order from the previous match: loading stays linear in the size of the file.
"""

from __future__ import annotations

import heapq
import re
import sys
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator

_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")
_CONTROL_LINE = re.compile(r"^\s*(\{%.*%\}|\{#.*#\})\s*$")
# How many characters of a line's text (after its indentation) file a line with expressions.
_KEY_LENGTH = 8


class SourceMap:
    """Maps 1-based rendered line numbers to 1-based template line numbers."""

    def __init__(self, template: str, rendered: str):
        lines = _TemplateLines(template.splitlines())
        self._mapping: list[int | None] = []
        previous = -1
        for text in rendered.splitlines():
            chosen = lines.first_match(text, after=previous)
            if chosen is None and previous >= 0:
                chosen = lines.first_match(text, after=-1, before=previous + 1)
            if chosen is None:
                # Text from an included partial: attribute it to the last known template line.
                self._mapping.append(previous + 1 if previous >= 0 else None)
                continue
            self._mapping.append(chosen + 1)
            previous = chosen

    def __call__(self, rendered_line: int) -> int | None:
        if 1 <= rendered_line <= len(self._mapping):
            return self._mapping[rendered_line - 1]
        return None


class _TemplateLines:
    """The template's lines, indexed for finding the first one that matches a rendered line."""

    def __init__(self, lines: list[str]):
        self._literal: dict[str, list[int]] = defaultdict(list)
        # (indentation, first characters of the text) -> indices of lines with expressions
        self._keyed: dict[tuple[int, str], list[int]] = defaultdict(list)
        # Lines whose text starts with an expression: any rendered line may come from them.
        self._unkeyed: list[int] = []
        self._pieces: dict[int, list[str]] = {}
        for index, line in enumerate(lines):
            if _CONTROL_LINE.match(line):
                continue  # with trim_blocks/lstrip_blocks a tag-only line renders to nothing
            pieces = _EXPRESSION.split(line)
            if len(pieces) == 1:
                self._literal[line].append(index)
                continue
            self._pieces[index] = pieces
            indent, text = _split_indent(pieces[0])
            if text:
                self._keyed[(indent, text[:_KEY_LENGTH])].append(index)
            else:
                self._unkeyed.append(index)

    def first_match(self, text: str, *, after: int, before: int = sys.maxsize) -> int | None:
        """The first line index in (after, before) that could have rendered `text`."""
        best: int | None = None
        limit = before
        literal = self._literal.get(text)
        if literal:
            position = bisect_right(literal, after)
            if position < len(literal) and literal[position] < limit:
                best = limit = literal[position]
        for index in self._candidates(text, after):
            if index >= limit:
                break
            if _fills(self._pieces[index], text):
                return index
        return best

    def _candidates(self, text: str, after: int) -> Iterator[int]:
        """Indices after `after` of the lines with expressions that `text` starts like, in order."""
        if not self._pieces:
            return iter(())
        indent, rest = _split_indent(text)
        buckets = [self._unkeyed] if self._unkeyed else []
        for length in range(1, min(_KEY_LENGTH, len(rest)) + 1):
            bucket = self._keyed.get((indent, rest[:length]))
            if bucket:
                buckets.append(bucket)
        tails = [_from(bucket, bisect_right(bucket, after)) for bucket in buckets]
        return tails[0] if len(tails) == 1 else heapq.merge(*tails)


def _from(items: list[int], start: int) -> Iterator[int]:
    for position in range(start, len(items)):
        yield items[position]


def _split_indent(line: str) -> tuple[int, str]:
    text = line.lstrip(" ")
    return len(line) - len(text), text


def _fills(pieces: list[str], text: str) -> bool:
    """Whether `text` is the literal pieces in order with anything between them.

    The same as matching `piece.*?piece.*?piece` against the whole text, without a regular
    expression's backtracking: placing each middle piece as early as possible leaves the most
    room for the rest, so one left-to-right pass decides.
    """
    first, *middle, last = pieces
    end = len(text) - len(last)
    if end < len(first) or not text.startswith(first) or not text.endswith(last):
        return False
    position = len(first)
    for piece in middle:
        found = text.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True
