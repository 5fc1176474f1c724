"""Where the loader gathers the problems it finds, so that one run reports them all."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from stackdeploy.config.yamlsource import YamlDocument, YamlPath
from stackdeploy.errors import ConfigError


@dataclass
class ErrorCollector:
    document: YamlDocument
    errors: list[ConfigError] = field(default_factory=list)

    def add(self, path: YamlPath, message: str, hint: str | None = None) -> None:
        self.errors.append(ConfigError(message, location=self.document.location(path), hint=hint))

    def add_validation(self, prefix: YamlPath, error: ValidationError) -> None:
        for item in error.errors():
            location = tuple(part for part in item["loc"] if part != "__root__")
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = f"unknown field '{location[-1]}'"
            elif item["type"] == "missing":
                message = f"missing required field '{location[-1]}'"
            self.add((*prefix, *location), message)
