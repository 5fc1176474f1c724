"""Live progress on stderr while applying: one line per event, plus a heartbeat."""

from __future__ import annotations

import threading
import time

from rich.console import Console
from rich.text import Text

from stackdeploy.events import (
    Event,
    EventSink,
    Interrupted,
    Message,
    Retrying,
    StepFailed,
    StepFinished,
    StepSkipped,
    StepStarted,
    Waiting,
)

_ING = {
    "create": "Creating",
    "update": "Modifying",
    "delete": "Destroying",
    "forget": "Retaining (untagging, not deleting)",
}
_DONE = {
    "create": "Creation",
    "update": "Modifications",
    "delete": "Destruction",
    "forget": "Retention",
}
HEARTBEAT_SECONDS = 10.0
# Retries worth telling a person about even without --debug: AWS is releasing something.
_EXPECTED_WAITS = {
    "DependencyViolation",
    "InvalidGroup.InUse",
    "AuthFailure",
    "InvalidIPAddress.InUse",
}


class ProgressReporter:
    """An event sink that prints Terraform-style progress lines. Several copies of a stack
    applied at once share one, each through `for_copy`, so that every line names its copy."""

    def __init__(self, console: Console, *, debug: bool = False) -> None:
        self.console = console
        self.debug = debug
        # (copy, address) -> (action, start, status)
        self._running: dict[tuple[str, str], tuple[str, float, str]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def __enter__(self) -> ProgressReporter:
        self._heartbeat = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self._heartbeat.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()

    def for_copy(self, copy: str) -> EventSink:
        """The sink for one copy's events: its lines start with `[copy]`."""
        return lambda event: self._handle(event, copy)

    def _say(self, copy: str, address: str | None, text: str, style: str = "") -> None:
        line = Text()
        if copy:
            line.append(f"[{copy}] ", style="cyan")
        if address:
            line.append(f"{address}: ", style="bold")
        line.append(text, style=style or None)
        with self._lock:
            self.console.print(line, soft_wrap=True)

    def __call__(self, event: Event) -> None:
        self._handle(event, "")

    def _handle(self, event: Event, copy: str) -> None:
        key = (copy, event.address or "")
        if isinstance(event, StepStarted):
            with self._lock:
                self._running[key] = (event.action, time.monotonic(), "")
            suffix = " (replacement)" if event.replacing else ""
            self._say(copy, event.address, f"{_ING[event.action]}...{suffix}")
        elif isinstance(event, StepFinished):
            with self._lock:
                self._running.pop(key, None)
            ident = f" [id={event.physical_id}]" if event.physical_id else ""
            self._say(
                copy,
                event.address,
                f"{_DONE[event.action]} complete after {event.seconds:.0f}s{ident}",
                "green",
            )
        elif isinstance(event, StepFailed):
            with self._lock:
                self._running.pop(key, None)
            self._say(
                copy,
                event.address,
                f"{_DONE[event.action]} failed after {event.seconds:.0f}s",
                "red",
            )
        elif isinstance(event, StepSkipped):
            self._say(copy, event.address, f"Skipped ({event.because})", "yellow")
        elif isinstance(event, Waiting):
            with self._lock:
                if key in self._running:
                    action, start, _ = self._running[key]
                    self._running[key] = (action, start, event.status)
        elif isinstance(event, Retrying):
            if self.debug or event.code in _EXPECTED_WAITS:
                self._say(
                    copy,
                    event.address,
                    f"{event.operation} answered {event.code or 'an error'}; "
                    f"retrying in {event.delay:.1f}s (attempt {event.attempt})",
                    "dim",
                )
        elif isinstance(event, Message):
            style = "yellow" if event.level == "warning" else ""
            self._say(copy, event.address, event.text, style)
        elif isinstance(event, Interrupted):
            self._say(copy, None, self._acknowledgement(event, copy), "bold yellow")

    def _acknowledgement(self, event: Interrupted, copy: str) -> str:
        """What a first Ctrl-C does, said at once: which operations are still in flight."""
        if not event.in_flight:
            return "Interrupt received: nothing is in flight; no new operation will start."
        with self._lock:
            statuses = {key: status for key, (_, _, status) in self._running.items()}
        described = []
        for address, action in event.in_flight:
            status = statuses.get((copy, address))
            described.append(
                f"{address}: {_ING[action].lower()}" + (f", {status}" if status else "")
            )
        count = len(event.in_flight)
        noun, them = ("operation", "it") if count == 1 else ("operations", "them")
        return (
            f"Interrupt received: waiting for {count} {noun} in flight to finish and be "
            f"recorded ({'; '.join(described)}). Press Ctrl-C again to abandon {them}."
        )

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            now = time.monotonic()
            with self._lock:
                running = sorted(self._running.items())
            for (copy, address), (action, start, status) in running:
                if now - start >= HEARTBEAT_SECONDS:
                    detail = f", {status}" if status else ""
                    self._say(
                        copy,
                        address,
                        f"Still {_ING[action].lower()}... [{now - start:.0f}s elapsed{detail}]",
                    )
