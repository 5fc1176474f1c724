"""A YAML loader that refuses documents too deep or whose aliases expand too far.

Parsing (text to events) is libyaml's when PyYAML has it: five times faster than PyYAML's
own Python parser, which spends a minute on a 1 MB file of half a million list items.
Composition (events to nodes) stays in Python, here, because that is where the bounds are:

An alias (`*name`) repeats the whole node its anchor (`&name`) marks. Nine levels of nine
aliases each are 300 bytes of text and 387 million nodes once expanded, which every step
after parsing (copying, line recording, validation) would expand. Composition is where the
node graph is built, so it is measured there: each node's expanded size and height are
known when it is complete, an alias adds its target's, and the alias that goes past a
bound is the one named in the error. An alias inside its own anchor (a recursive structure)
is refused too: nothing downstream could walk it. And the nodes written out are counted: a
file of the largest size full of one-character items would take most of a gigabyte.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.resolver import Resolver

from stackdeploy.config import limits

try:
    from yaml._yaml import CParser as _Parser
except ImportError:  # PyYAML built without libyaml: its own reader, scanner and parser

    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str):
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)


class YamlLimitError(Exception):
    """A document beyond a bound; `line` is where in the (rendered) text, 1-based."""

    def __init__(self, message: str, mark: Any, hint: str):
        super().__init__(message)
        self.message = message
        self.line: int | None = mark.line + 1 if mark is not None else None
        self.hint = hint


DEPTH_HINT = "flatten the structure; a stack file needs about a dozen levels"
_ALIAS_HINT = (
    "each use of an alias repeats its whole anchored node; write the data out, "
    "or generate it with a Jinja2 loop"
)


class BoundedLoader(Composer, SafeConstructor, Resolver, _Parser):
    """A safe loader with bounds on nesting depth, on the nodes written out and on the nodes
    aliases add. Composer comes before the parser: libyaml's would compose unbounded, in C."""

    def __init__(self, stream: str):
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._depth = 0  # of the node being composed
        self._nodes = 0  # nodes composed from the text
        self._alias_nodes = 0  # nodes added so far by expanding aliases
        # id(node) -> (node count, height) of a complete node with its aliases expanded
        self._expanded: dict[int, tuple[int, int]] = {}

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()
        mark = event.start_mark if event is not None else None
        if isinstance(event, yaml.AliasEvent):
            target = super().compose_node(parent, index)
            if target is not None:
                self._add_alias(target, event)
            return target
        if self._depth >= limits.YAML_DEPTH:
            raise YamlLimitError(
                f"the YAML nests deeper than {limits.YAML_DEPTH} levels",
                mark,
                DEPTH_HINT,
            )
        self._nodes += 1
        if self._nodes > limits.YAML_NODES:
            raise YamlLimitError(
                f"the YAML has more than {limits.YAML_NODES:,} values, keys and list items",
                mark,
                "a stack file needs a few tens of thousands at most: is this file generated?",
            )
        self._depth += 1
        node = super().compose_node(parent, index)
        self._depth -= 1
        if node is not None:
            self._expanded[id(node)] = self._measure(node)
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A scalar that resolves to an impossible value (an integer of 5,000 digits, the date
        # 2024-13-45) raises ValueError without a mark; give it the node's line.
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as error:
            text = str(node.value)
            shown = (
                text if len(text) <= 40 else f"{text[:20]}...{text[-10:]} ({len(text)} characters)"
            )
            reason = "too many digits" if "digits" in str(error) else str(error)
            raise ConstructorError(
                None, None, f"cannot read {shown}: {reason}", node.start_mark
            ) from None

    def _measure(self, node: yaml.Node) -> tuple[int, int]:
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            return 1, 1
        measured = [self._expanded[id(child)] for child in children]
        count = 1 + sum(size for size, _ in measured)
        height = 1 + max((child_height for _, child_height in measured), default=0)
        return count, height

    def _add_alias(self, target: yaml.Node, alias: yaml.AliasEvent) -> None:
        measured = self._expanded.get(id(target))
        if measured is None:
            raise YamlLimitError(
                f"alias *{alias.anchor} is inside the node its anchor &{alias.anchor} marks "
                "(a recursive structure)",
                alias.start_mark,
                "an alias can only repeat a node that ends before it",
            )
        count, height = measured
        if self._depth + height > limits.YAML_DEPTH:
            raise YamlLimitError(
                f"alias *{alias.anchor} makes the YAML nest deeper than {limits.YAML_DEPTH} levels",
                alias.start_mark,
                DEPTH_HINT,
            )
        self._alias_nodes += count
        if self._alias_nodes > limits.YAML_ALIAS_NODES:
            raise YamlLimitError(
                f"aliases expand to more than {limits.YAML_ALIAS_NODES:,} nodes "
                f"(*{alias.anchor} here repeats {count:,})",
                alias.start_mark,
                _ALIAS_HINT,
            )


def load_bounded(text: str) -> Any:
    """Parse one YAML document (plain data, no line numbers) within the bounds."""
    loader = BoundedLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
