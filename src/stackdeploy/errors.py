"""Typed errors with user-facing messages.

Every error the user can cause or meet carries what went wrong, where (a file and line, or a
resource address) and, when we know it, what to do about it. Only the CLI turns these into exit
codes; nothing below it prints or exits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLocation:
    """Where in a stack file something was written."""

    file: str
    line: int | None = None
    path: str = ""  # YAML path of the field, e.g. "resources.vpc.properties.cidr_block"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where} ({self.path})" if self.path else where


class DeployError(Exception):
    """Base of every error meant for a human: message, optional hint and resource address."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None, address: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.address = address

    def details(self) -> list[str]:
        """Lines that follow the headline: where, then what to do."""
        lines = []
        if self.address:
            lines.append(f"resource: {self.address}")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return lines

    def __str__(self) -> str:
        return "\n".join([self.message, *self.details()])


class ConfigError(DeployError):
    """The stack file, its variables or its templates are wrong. Nothing was sent to AWS."""

    def __init__(
        self,
        message: str,
        *,
        location: SourceLocation | None = None,
        hint: str | None = None,
        address: str | None = None,
    ):
        super().__init__(message, hint=hint, address=address)
        self.location = location

    def details(self) -> list[str]:
        lines = [f"at {self.location}"] if self.location else []
        return lines + super().details()


class ConfigErrors(DeployError):
    """Several configuration errors, reported together so one run shows them all."""

    def __init__(self, errors: Sequence[ConfigError]):
        self.errors = list(errors)
        count = len(self.errors)
        super().__init__(f"{count} error{'s' if count != 1 else ''} in the stack configuration")

    def __str__(self) -> str:
        return "\n\n".join(str(e) for e in self.errors)


class GraphError(ConfigError):
    """The dependency graph is not a DAG (a cycle) or names something that does not exist."""


class ProviderError(DeployError):
    """An AWS call failed in a way retries could not fix."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "",
        hint: str | None = None,
        address: str | None = None,
    ):
        super().__init__(message, hint=hint, address=address)
        self.code = code


class InconsistentResultError(ProviderError):
    """What AWS reports after a create/update differs from what was asked (Terraform's check)."""


class WaitTimeoutError(ProviderError):
    """A resource did not reach the state we waited for within the time limit."""


class StateError(DeployError):
    """The local state record is unreadable, locked by someone else, or from another stack."""


class StalePlanError(DeployError):
    """A saved plan no longer matches what is live in AWS."""


class ApplyError(DeployError):
    """An apply or destroy finished with failed resources; the rest was done and recorded."""

    def __init__(self, failures: Sequence[tuple[str, Exception]], skipped: Sequence[str]):
        self.failures = list(failures)
        self.skipped = list(skipped)
        noun = "resource" if len(self.failures) == 1 else "resources"
        message = f"{len(self.failures)} {noun} failed"
        if self.skipped:
            were = "resource was" if len(self.skipped) == 1 else "resources were"
            message += f"; {len(self.skipped)} dependent {were} not attempted"
        super().__init__(message)

    def __str__(self) -> str:
        lines = [self.message]
        for address, error in self.failures:
            lines.append(f"  {address}: {error}")
        if self.skipped:
            lines.append(f"  skipped (a dependency failed): {', '.join(sorted(self.skipped))}")
        return "\n".join(lines)


class EmulatorError(DeployError):
    """The embedded local emulator could not be started, found or stopped."""


class UserAbort(DeployError):
    """The user declined a confirmation prompt."""
