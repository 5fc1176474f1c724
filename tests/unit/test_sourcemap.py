"""SourceMap: rendered lines map back to the template lines that produced them.

The indexed SourceMap must choose exactly what the simple definition chooses (try every
template line as a pattern, take the first match after the previous one, else the first
match), which `reference_mapping` spells out and random templates compare against.
"""

from __future__ import annotations

import random
import re

import pytest
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from stackdeploy.config.sourcemap import SourceMap

_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")
_CONTROL_LINE = re.compile(r"^\s*(\{%.*%\}|\{#.*#\})\s*$")


def reference_mapping(template: str, rendered: str) -> list[int | None]:
    patterns = [
        None
        if _CONTROL_LINE.match(line)
        else re.compile(".*?".join(map(re.escape, _EXPRESSION.split(line))), re.DOTALL)
        for line in template.splitlines()
    ]
    mapping: list[int | None] = []
    previous = -1
    for text in rendered.splitlines():
        matches = [i for i, p in enumerate(patterns) if p is not None and p.fullmatch(text)]
        later = [i for i in matches if i > previous]
        chosen = later[0] if later else (matches[0] if matches else None)
        if chosen is None:
            mapping.append(previous + 1 if previous >= 0 else None)
            continue
        mapping.append(chosen + 1)
        previous = chosen
    return mapping


LINES = [
    "vpc:",
    "  a",
    "    cidr: 10.0.0.0/16",
    "- z",
    "{{ v }}",
    "k: {{ v }}",
    "  k{{ i }}: {{ v }}x",
    "  k1: ax",
    "{{ i }}{{ v }}",
    "  - {{ v }}-{{ i }}-q",
    "  - a-{{ i }}-q",
    "",
    "  # comment",
]


def random_template(rng: random.Random) -> str:
    lines, depth = [], 0
    for _ in range(rng.randint(1, 25)):
        roll = rng.random()
        if roll < 0.1 and depth < 2:
            lines.append(f"{{% for i in range({rng.randint(0, 4)}) %}}")
            depth += 1
        elif roll < 0.18 and depth:
            lines.append("{% endfor %}")
            depth -= 1
        else:
            lines.append(" " * rng.choice([0, 2, 4]) + rng.choice(LINES))
    return "\n".join(lines + ["{% endfor %}"] * depth) + "\n"


@pytest.mark.parametrize("seed", range(3))
def test_source_map_chooses_what_trying_every_line_chooses(seed: int) -> None:
    rng = random.Random(seed)
    environment = SandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    compared = 0
    for _ in range(120):
        template = random_template(rng)
        try:
            rendered = environment.from_string(template).render(
                v=rng.choice(["a", "vpc", "k: 1", ""]), i=1
            )
        except TemplateError:
            continue
        source_map = SourceMap(template, rendered)
        lines = len(rendered.splitlines())
        assert [source_map(n) for n in range(1, lines + 1)] == reference_mapping(
            template, rendered
        ), template
        compared += 1
    assert compared > 90


def test_loop_lines_map_to_the_loop_body_and_partials_to_the_last_line() -> None:
    template = "a: 1\n{% for i in range(2) %}\n  b{{ i }}: x\n  c: y\n{% endfor %}\nd: 2\n"
    rendered = "a: 1\n  b0: x\n  c: y\n  b1: x\n  c: y\nfrom a partial\nd: 2\n"
    source_map = SourceMap(template, rendered)
    assert [source_map(n) for n in range(1, 8)] == [1, 3, 4, 3, 4, 4, 6]


def test_a_long_rendered_line_does_not_backtrack() -> None:
    # As a regular expression, x.*?y.*?z against a long line without z takes quadratic time.
    template = "k: x{{ a }}y{{ b }}z{{ c }}\n" * 50
    rendered = "k: x" + "y" * 200_000 + "\n"
    assert SourceMap(template, rendered)(1) is None
