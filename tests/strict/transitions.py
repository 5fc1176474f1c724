"""Fake state transitions: moto has no clock, so the layer counts observations instead.

A transition says "report resource X as `pending` for the next N observations". An
observation is a describe call that lists X (the way a poller notices time passing), and,
when the layer is built with `refusals_advance_time`, a call the layer refused because of X
(an engine that retries the dependent call instead of polling also waits, on AWS). When the
count runs out, moto's real state shows through again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from tests.strict.core import Call, StrictAws


@dataclass
class _Transition:
    state: str  # what is reported while it runs
    remaining: int  # observations left


class TransitionClock:
    """Reported states of resources in transition, by resource id. Thread-safe."""

    def __init__(self) -> None:
        self._running: dict[str, _Transition] = {}
        self._lock = threading.Lock()

    def start(self, resource_id: str, state: str, observations: int) -> None:
        with self._lock:
            if observations > 0:
                self._running[resource_id] = _Transition(state, observations)
            else:
                self._running.pop(resource_id, None)

    def reported(self, resource_id: str, real_state: str) -> str:
        """The state the layer currently reports, without letting time pass."""
        with self._lock:
            transition = self._running.get(resource_id)
            return transition.state if transition else real_state

    def observe(self, resource_id: str, real_state: str) -> str:
        """The state a describe call reports now; the observation uses up one step."""
        with self._lock:
            transition = self._running.get(resource_id)
            if transition is None:
                return real_state
            self._tick_locked(resource_id, transition)
            return transition.state

    def tick(self, resource_id: str) -> None:
        """Let one step of time pass for a resource (no-op when it is not in transition)."""
        with self._lock:
            transition = self._running.get(resource_id)
            if transition is not None:
                self._tick_locked(resource_id, transition)

    def _tick_locked(self, resource_id: str, transition: _Transition) -> None:
        transition.remaining -= 1
        if transition.remaining <= 0:
            del self._running[resource_id]


def fake_states(
    strict: StrictAws,
    clock: TransitionClock,
    *,
    service: str,
    operation: str,
    items_key: str,
    id_key: str,
    filter_param: str = "Filters",
    state_key: str = "State",
) -> None:
    """Make a describe operation report the clock's states, `state` filter included.

    moto would apply a `state` filter to its own (final) states, so the filter is taken out of
    the request and applied here to the reported states instead.
    """
    note = f"state-filter:{operation}"

    def take_state_filter(call: Call) -> None:
        filters = call.params.get(filter_param)
        if not filters:
            return
        wanted = [f for f in filters if f.get("Name") == "state"]
        if not wanted:
            return
        call.notes[note] = {value for f in wanted for value in f.get("Values", [])}
        rest = [f for f in filters if f.get("Name") != "state"]
        # A new list: the caller's own filter list is never mutated.
        if rest:
            call.params[filter_param] = rest
        else:
            del call.params[filter_param]

    def report(call: Call, parsed: dict[str, Any]) -> None:
        items = parsed.get(items_key, [])
        for item in items:
            item[state_key] = clock.observe(item[id_key], item[state_key])
        wanted: set[str] | None = call.notes.get(note)
        if wanted is not None:
            parsed[items_key] = [item for item in items if item[state_key] in wanted]

    strict.params(service, operation, take_state_filter)
    strict.after(service, operation, report)
