"""Where the loader gathers the problems it finds, so that one run reports them all, in the
order of the stack file, each once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError

from stackdeploy.config.wording import problems
from stackdeploy.config.yamlsource import YamlDocument, YamlPath
from stackdeploy.errors import ConfigError


@dataclass
class ErrorCollector:
    document: YamlDocument
    # (line in the stack file it is sorted by, error), in the order found.
    _found: list[tuple[int, ConfigError]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self._found)

    def add(self, path: YamlPath, message: str, hint: str | None = None) -> None:
        self.add_error(ConfigError(message, location=self.document.location(path), hint=hint))

    def add_error(self, error: ConfigError, at: YamlPath = ()) -> None:
        """An error found while reading the field at `at`: it may name another file (a
        template, a key file), and is then listed where that field is."""
        location = error.location
        if location is None or location.file != self.document.file:
            location = self.document.location(at)
        self._found.append((location.line or 0, error))

    def add_validation(
        self,
        prefix: YamlPath,
        error: ValidationError,
        model: type[BaseModel] | None = None,
        hint_for: Callable[[YamlPath], str | None] | None = None,
    ) -> None:
        """Each problem pydantic found, at its field, in plain words (config/wording.py);
        `model`, the one validated, lets a misspelt field name suggest the nearest real one;
        `hint_for` may give a hint by the field's path (relative to `prefix`)."""
        for problem in problems(error.errors(), model):
            hint = hint_for(problem.loc) if hint_for else None
            self.add((*prefix, *problem.loc), problem.message, hint)

    def errors(self) -> list[ConfigError]:
        """Every error once, by line (a stable sort: one line's errors in the order found).
        One mistake can be met more than once: a user data template that two instances
        render fails the same way at the same template line for both."""
        seen: set[tuple[str, str | None, str]] = set()
        ordered: list[ConfigError] = []
        for _, error in sorted(self._found, key=lambda found: found[0]):
            key = (error.message, error.hint, str(error.location))
            if key not in seen:
                seen.add(key)
                ordered.append(error)
        return ordered
