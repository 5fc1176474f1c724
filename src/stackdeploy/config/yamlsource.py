"""YAML parsing that remembers the line of every field, so errors can name file:line.

References (`${vpc.id}`) contain `{` and `}`, which YAML reads as flow-mapping braces inside a
flow list such as `[${a.id}, ${b.id}]`. They are swapped for private-use characters before
parsing and restored after, so users never have to quote them.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import yaml

from stackdeploy.config import limits
from stackdeploy.config.yamlbounds import DEPTH_HINT, BoundedLoader, YamlLimitError
from stackdeploy.errors import ConfigError, SourceLocation
from stackdeploy.model.refs import LOOKUP_BODY

YamlPath = tuple[str | int, ...]

_OPEN, _CLOSE = "\ue000", "\ue001"
# What YAML 1.1 readers refuse (PyYAML's Reader.NON_PRINTABLE).
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
_PROTECT = re.compile(
    r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_]*|" + LOOKUP_BODY + r")\}"
)


def protect_refs(text: str) -> str:
    return _PROTECT.sub(lambda m: _OPEN + m.group(1) + _CLOSE, text)


def restore_refs(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(_OPEN, "${").replace(_CLOSE, "}")
    if isinstance(value, dict):
        return {restore_refs(k): restore_refs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [restore_refs(v) for v in value]
    return value


def format_path(path: YamlPath) -> str:
    """("resources", "web", "ingress", 0, "port") -> "resources.web.ingress[0].port"."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class YamlDocument:
    """Parsed data plus the (rendered) line of every mapping key and sequence item."""

    data: Any
    file: str
    lines: dict[YamlPath, int] = field(default_factory=dict)
    line_of_rendered: Callable[[int], int | None] = lambda line: line

    def location(self, path: YamlPath) -> SourceLocation:
        """The source location of a path, falling back to its nearest parent with a known line."""
        probe = path
        while probe and probe not in self.lines:
            probe = probe[:-1]
        rendered = self.lines.get(probe)
        line = self.line_of_rendered(rendered) if rendered is not None else None
        return SourceLocation(self.file, line, format_path(path))


def parse_yaml(
    text: str, file: str, line_of_rendered: Callable[[int], int | None] | None = None
) -> YamlDocument:
    """Parse one YAML document, recording lines and rejecting duplicate keys."""
    mapper = line_of_rendered or (lambda line: line)
    _refuse_control_characters(text, file, mapper)
    protected = protect_refs(text)
    with _no_cycle_collection():
        return _parse(protected, file, mapper)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Parsing allocates objects and frees few, so the cyclic garbage collector would scan
    them over and over, finding nothing: a third of the time of a large file, and growing
    faster than the file. Bounded documents make no cycles (recursive aliases are refused)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _parse(protected: str, file: str, mapper: Callable[[int], int | None]) -> YamlDocument:
    try:
        loader = BoundedLoader(protected)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except YamlLimitError as error:
        raise ConfigError(
            error.message,
            location=SourceLocation(file, mapper(error.line) if error.line else None),
            hint=error.hint,
        ) from None
    except yaml.MarkedYAMLError as error:
        lines = protected.rstrip("\n").count("\n") + 1
        line = _line_of(error.problem_mark or error.context_mark, mapper, lines)
        if "nesting depth" in str(error.problem):  # libyaml's own bound (1,000), met first
            raise ConfigError(
                f"the YAML nests deeper than {limits.YAML_DEPTH} levels",
                location=SourceLocation(file, line),
                hint=DEPTH_HINT,
            ) from None
        problem = restore_refs(error.problem or str(error))
        started = _line_of(error.context_mark, mapper, lines)
        if error.context and started is not None and started != line:
            # At the end of the file the problem's own line says little: name the line
            # where the unfinished thing (a quote, a bracket) began.
            problem = f"{problem} ({error.context} that began on line {started})"
        raise ConfigError(
            f"invalid YAML: {problem}",
            location=SourceLocation(file, line),
            hint="check indentation and quoting near this line",
        ) from None
    except yaml.YAMLError as error:  # not marked with a line (e.g. a reader error)
        raise ConfigError(f"invalid YAML: {error}", location=SourceLocation(file)) from None
    document = YamlDocument(restore_refs(data), file, {}, mapper)
    if node is not None:
        _record_lines(node, (), document)
    return document


def _line_of(mark: yaml.Mark | None, mapper: Callable[[int], int | None], lines: int) -> int | None:
    """The source line of a YAML error mark; a mark past the last line (an error at the
    end of the file) is the last line."""
    if mark is None:
        return None
    rendered = min(mark.line + 1, lines)
    while rendered > 0:
        line = mapper(rendered)
        if line is not None:
            return line
        rendered -= 1
    return None


def _refuse_control_characters(text: str, file: str, mapper: Callable[[int], int | None]) -> None:
    """YAML allows no control characters but tab and line breaks; found here, before
    parsing, the error can name the line whichever parser reads the text."""
    found = _NOT_PRINTABLE.search(text)
    if found is None:
        return
    code = ord(found.group())
    escape = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    raise ConfigError(
        f"invalid YAML: the control character U+{code:04X} is not allowed in YAML text",
        location=SourceLocation(file, mapper(text.count("\n", 0, found.start()) + 1)),
        hint=f'remove it, or write it as "{escape}" in a double-quoted string',
    )


def _record_lines(node: yaml.Node, path: YamlPath, document: YamlDocument) -> None:
    document.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = restore_refs(str(key_node.value))
            if key == "<<":
                continue
            if key in seen:
                raise ConfigError(
                    f"duplicate key '{key}'",
                    location=SourceLocation(
                        document.file,
                        document.line_of_rendered(key_node.start_mark.line + 1),
                        format_path((*path, key)),
                    ),
                    hint="each key may appear once; a later one would silently replace the first",
                )
            seen.add(key)
            document.lines[(*path, key)] = key_node.start_mark.line + 1
            _record_lines(value_node, (*path, key), document)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            document.lines[(*path, index)] = item.start_mark.line + 1
            _record_lines(item, (*path, index), document)
