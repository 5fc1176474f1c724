"""Ctrl-C while a plan runs: the first is acknowledged at once with what is in flight, which
is waited for; the second leaves without waiting."""

from __future__ import annotations

import io
import os
import signal
import threading
import time

import networkx as nx
import pytest
from rich.console import Console

from stackdeploy.cli.commands.common import first_interrupt_cancels
from stackdeploy.events import Interrupted, StepStarted, Waiting
from stackdeploy.graph.walk import Outcome, walk
from stackdeploy.report.progress import ProgressReporter


def _interrupt_after(seconds: float) -> None:
    threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT)).start()


def _graph() -> nx.DiGraph[str]:
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_edges_from([("slow", "after_slow"), ("quick", "after_quick")])
    return graph


def test_first_ctrl_c_names_what_is_in_flight_at_once_and_waits_for_it() -> None:
    graph = _graph()
    graph.add_node("slow_too")
    release = threading.Event()
    acknowledged: list[tuple[float, list[str]]] = []

    def visit(node: str) -> None:
        if node.startswith("slow"):
            release.wait(10)

    cancel = threading.Event()
    _interrupt_after(0.3)
    threading.Timer(1.5, release.set).start()
    started = time.monotonic()
    with first_interrupt_cancels(cancel):
        result = walk(
            graph,
            visit,
            cancel=cancel,
            on_cancel=lambda running: acknowledged.append((time.monotonic(), running)),
        )
    [(when, running)] = acknowledged
    assert running == ["slow", "slow_too"]  # `quick` was done already; `after_quick` too
    assert when - started < 0.3 + 0.5  # at once, not once the slow ones return
    assert time.monotonic() - started >= 1.5  # then waited for them
    assert result.cancelled
    assert result.outcomes["slow"] is Outcome.DONE  # finished, so the executor records it
    assert result.outcomes["after_slow"] is Outcome.SKIPPED  # nothing new started


def test_second_ctrl_c_leaves_without_waiting_for_what_is_in_flight() -> None:
    release = threading.Event()
    cancel = threading.Event()
    _interrupt_after(0.2)
    _interrupt_after(0.6)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt), first_interrupt_cancels(cancel):
            walk(_graph(), lambda node: release.wait(10) if node == "slow" else None, cancel=cancel)
        assert time.monotonic() - started < 3  # not the 10 s the slow node takes
    finally:
        release.set()


def test_the_handler_is_removed_afterwards_and_an_ignored_sigint_stays_ignored() -> None:
    before = signal.getsignal(signal.SIGINT)
    with first_interrupt_cancels(threading.Event()):
        assert signal.getsignal(signal.SIGINT) is not before
    assert signal.getsignal(signal.SIGINT) is before
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with first_interrupt_cancels(threading.Event()):
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def test_the_acknowledgement_says_what_each_operation_is_doing() -> None:
    out = io.StringIO()
    reporter = ProgressReporter(Console(file=out, no_color=True, width=400))
    reporter(StepStarted("vpc", "create"))
    reporter(StepStarted("nat", "delete"))
    reporter(Waiting("nat", "NAT gateway to be deleted", "deleting", 12.0))
    reporter(Interrupted(None, (("nat", "delete"), ("vpc", "create"))))
    assert (
        "Interrupt received: waiting for 2 operations in flight to finish and be recorded "
        "(nat: destroying, deleting; vpc: creating). Press Ctrl-C again to abandon them."
    ) in out.getvalue()
    reporter(Interrupted(None, ()))
    assert "Interrupt received: nothing is in flight" in out.getvalue()
