"""Events the engine emits; reporters subscribe. The engine itself never prints."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

# The resource a worker thread is handling, so low-level events (retries) can name it.
current_address: ContextVar[str | None] = ContextVar("current_address", default=None)


@dataclass(frozen=True)
class Event:
    address: str | None


@dataclass(frozen=True)
class StepStarted(Event):
    action: str  # create | update | delete (+ "replacement" wording is the reporter's job)
    replacing: bool = False


@dataclass(frozen=True)
class StepFinished(Event):
    action: str
    seconds: float
    physical_id: str | None = None
    replacing: bool = False


@dataclass(frozen=True)
class StepFailed(Event):
    action: str
    seconds: float
    error: str


@dataclass(frozen=True)
class StepSkipped(Event):
    action: str
    because: str


@dataclass(frozen=True)
class Waiting(Event):
    what: str  # e.g. "NAT gateway to become available"
    status: str  # the state AWS reported
    seconds: float


@dataclass(frozen=True)
class Retrying(Event):
    operation: str  # e.g. "ec2.DeleteSubnet"
    code: str
    attempt: int
    delay: float


@dataclass(frozen=True)
class Interrupted(Event):
    """The run was interrupted (Ctrl-C): nothing new starts; `in_flight` (address, action)
    are being finished and recorded."""

    in_flight: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Message(Event):
    text: str
    level: str = "info"  # info | warning


EventSink = Callable[[Event], None]


def ignore(_: Event) -> None:
    """An event sink that drops everything (library use, tests)."""


class Recorder:
    """An event sink that keeps every event; thread-safe."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: type[Event]) -> list[Event]:
        with self._lock:
            return [e for e in self.events if isinstance(e, kind)]
