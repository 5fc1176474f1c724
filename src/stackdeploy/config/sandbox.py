"""The Jinja2 environment stack files render in: sandboxed, and bounded in time and memory.

Jinja2's sandbox keeps templates away from Python internals but, as its documentation says,
not from exhausting the machine: `{{ "a" * 10**9 }}` allocates a gigabyte, two nested
`range(100000)` loops run for hours, and a template may include itself. Here every template
of one stack draws on one `RenderBudget`:

- steps: loop iterations, calls and filters;
- work: characters made by the operations that can multiply a size (`*`, `**`, `%`, `+`,
  `~`, joins, replacements, padding, blocks captured with `{% set %}`), charged before they
  allocate (growth.py estimates them);
- output: characters rendered.

Past any of them rendering stops with a `TemplateLimitError`, which the renderer turns into
a ConfigError naming the template line.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.loaders import split_template_path
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from stackdeploy.config import growth, limits
from stackdeploy.config.textfile import read_text_file
from stackdeploy.errors import SourceLocation


class TemplateLimitError(Exception):
    """Rendering went past a bound (of the RenderBudget, or on the rendered size)."""

    def __init__(self, message: str, hint: str, location: SourceLocation | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.location = location  # when known better than the current template line


# Steps stand for time. A loop iteration takes about 0.3 µs, a filter 2-5 µs, a call of a
# method or macro about 10 µs: so a million steps are about a second at most.
_FILTER_STEPS = 4
_CALL_STEPS = 10
# Sizes are measured up to the whole work budget (growth.weight stops one past it).
_MEASURE = limits.TEMPLATE_WORK_CHARS


def _count(size: int) -> str:
    return f"more than {_MEASURE:,}" if size == _MEASURE + 1 else f"{size:,}"


class RenderBudget:
    """What the templates of one stack may still spend (see the module docstring)."""

    def __init__(self) -> None:
        self.steps = limits.TEMPLATE_STEPS
        self.work = limits.TEMPLATE_WORK_CHARS
        self.output = limits.RENDERED_TOTAL_CHARS

    def step(self, cost: int = 1) -> None:
        self.steps -= cost
        if self.steps < 0:
            raise TemplateLimitError(
                f"the templates take more than {limits.TEMPLATE_STEPS:,} steps "
                f"(a loop iteration is one, a filter {_FILTER_STEPS}, a call {_CALL_STEPS})",
                "is a loop nested in another by mistake, or a macro calling itself?",
            )

    def spend(self, size: int, what: str) -> None:
        """Charge `size` characters that `what` is about to make."""
        if size > self.work:
            spent = limits.TEMPLATE_WORK_CHARS - self.work
            raise TemplateLimitError(
                f"{what} would make {_count(size)} characters; the templates of a stack may "
                f"make {limits.TEMPLATE_WORK_CHARS:,} in all and have made {spent:,}",
                "templates build the text of a stack file: a few megabytes at most",
            )
        self.work -= size


class BoundedCodeGenerator(CodeGenerator):
    """Compiles loops to count their iterations and `~` to charge what it makes."""

    # Jinja2's visitor calls visit_<node class name>.
    def visit_For(self, node: nodes.For, frame: Frame) -> None:  # noqa: N802
        counted = nodes.EnvironmentAttribute("count_iterations", lineno=node.lineno)
        node.iter = nodes.Call(counted, [node.iter], [], None, None, lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:  # noqa: N802
        # As CodeGenerator.visit_Concat, with the parts charged before they are joined.
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"{join}(environment.charge_concat((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write(")))")


class BoundedLoader(jinja2.FileSystemLoader):
    """FileSystemLoader reading through read_text_file: sized, UTF-8, errors naming the file."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)
        for folder in self.searchpath:
            path = Path(folder, *pieces)
            if path.is_file():
                text = read_text_file(path, "template", limits.TEMPLATE_FILE_BYTES)
                return text, str(path), _unchanged_since(path)
        raise jinja2.TemplateNotFound(template)


def _unchanged_since(path: Path) -> Callable[[], bool]:
    modified = path.stat().st_mtime

    def unchanged() -> bool:
        try:
            return path.stat().st_mtime == modified
        except OSError:
            return False

    return unchanged


class BoundedEnvironment(SandboxedEnvironment):
    """The sandbox, with every operation that can cost much charged to a RenderBudget."""

    code_generator_class = BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, search_path: Sequence[Path], budget: RenderBudget):
        super().__init__(
            loader=BoundedLoader([str(p) for p in search_path]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,
            finalize=self._check_printable,
        )
        self.budget = budget
        # lipsum(n, min, max) writes n paragraphs of random words: no use in a stack file.
        self.globals.pop("lipsum", None)
        self.filters = {name: self._bounded_filter(name, f) for name, f in self.filters.items()}

    def count_iterations(self, items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            self.budget.step()
            yield item

    def charge_concat(self, parts: tuple[Any, ...]) -> tuple[Any, ...]:
        self.budget.spend(growth.weight(parts, _MEASURE), "`~`")
        return parts

    def concat(self, parts: Iterable[str]) -> str:
        """Joins the output captured by {% set %} blocks, macros and filter blocks."""
        collected = []
        for part in parts:
            self.budget.spend(len(part), "a captured block")
            collected.append(part)
        return "".join(collected)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        bits = growth.int_bits(operator, left, right)
        if bits > limits.TEMPLATE_INT_BITS:
            raise TemplateLimitError(
                f"`{operator}` would make a number of about {bits * 3 // 10:,} digits",
                f"numbers in templates are limited to {limits.TEMPLATE_INT_BITS} bits",
            )
        size = growth.binop_size(operator, left, right, _MEASURE)
        if size is not None:
            self.budget.spend(size, f"`{operator}`")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        __self.budget.step(_CALL_STEPS)
        args = growth.measurable(__obj, args)
        size = growth.method_size(__obj, args, _MEASURE)
        if size is not None:
            __self.budget.spend(size, f"{__obj.__name__}()")
        result = super().call(__context, __obj, *args, **kwargs)
        if size is None and isinstance(result, str):
            __self.budget.spend(len(result), f"{getattr(__obj, '__name__', 'a call')}()")
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        template = value.__self__

        def bounded(*args: Any, **kwargs: Any) -> str:
            size = growth.brace_format_size(template, (args, kwargs), _MEASURE)
            self.budget.spend(size, f"{value.__name__}()")
            return wrapper(*args, **kwargs)

        return functools.update_wrapper(bounded, value)

    def _check_printable(self, value: Any) -> Any:
        # Printing a list prints each item each time it appears: [s, s, s] with a large s.
        size = growth.weight(value, _MEASURE)
        if size > self.budget.output:
            raise TemplateLimitError(
                f"a value of {_count(size)} characters is more than the templates may still "
                f"print ({self.budget.output:,})",
                "print less: a stack renders to a few megabytes at most",
            )
        return value

    def _bounded_filter(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        passes_context = getattr(function, "jinja_pass_arg", None) is not None
        measured = name in growth.MEASURED_FILTERS or name in growth.PRINTING_FILTERS

        @functools.wraps(function)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            self.budget.step(_FILTER_STEPS)
            lead, (value, *rest) = args[: int(passes_context)], args[int(passes_context) :]
            if not measured:
                result = function(*args, **kwargs)
                if isinstance(result, str | list):
                    self.budget.spend(len(result), f"the {name} filter")
                return result
            if name in growth.MEASURED_FILTERS and not isinstance(value, growth.SIZED):
                value = list(value)  # an iterator (from map or select) is measured as a list
            size = growth.filter_size(name, (value, *rest), kwargs, _MEASURE)
            size = max(size, growth.weight(value, _MEASURE))
            self.budget.spend(size, f"the {name} filter")
            return function(*lead, value, *rest, **kwargs)

        return bounded
