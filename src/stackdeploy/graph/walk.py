"""A generic readiness-driven walker: each node starts the moment its predecessors finish.

It knows only nodes, edges and a callback. Among ready nodes the highest priority starts
first (the executor passes the critical-path length, so long poles such as NAT gateways start
early). A failed node skips only its descendants; everything independent carries on.
"""

from __future__ import annotations

import enum
import heapq
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import networkx as nx


class Outcome(enum.Enum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # a predecessor failed or the walk was cancelled


@dataclass
class WalkResult:
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    errors: dict[str, BaseException] = field(default_factory=dict)
    cancelled: bool = False
    interrupted: bool = False  # stopped by Ctrl-C

    def failed(self) -> list[str]:
        return sorted(k for k, v in self.outcomes.items() if v is Outcome.FAILED)

    def skipped(self) -> list[str]:
        return sorted(k for k, v in self.outcomes.items() if v is Outcome.SKIPPED)


def walk(
    graph: nx.DiGraph[str],
    visit: Callable[[str], None],
    *,
    parallelism: int = 10,
    priority: Mapping[str, float] | None = None,
    cancel: threading.Event | None = None,
    on_cancel: Callable[[list[str]], None] | None = None,
) -> WalkResult:
    """Run `visit(node)` for every node, dependencies first, up to `parallelism` at once.

    `visit` raising marks the node failed. Setting `cancel` (or a first KeyboardInterrupt)
    stops new nodes from starting; running ones finish (they are never interrupted half-way
    through an AWS call), and `on_cancel` is called once, as soon as the walk sees the
    cancellation, with the nodes it is still waiting for. A KeyboardInterrupt once cancelled
    leaves the walk at once.
    """
    priority = priority or {}
    cancel = cancel or threading.Event()
    result = WalkResult()
    waiting = {node: graph.in_degree(node) for node in graph.nodes}
    ready: list[tuple[float, str]] = []
    for node, count in waiting.items():
        if count == 0:
            heapq.heappush(ready, (-priority.get(node, 0.0), node))
    running: dict[Future[None], str] = {}

    def finish(node: str, outcome: Outcome) -> None:
        result.outcomes[node] = outcome
        if outcome is not Outcome.DONE:
            for descendant in nx.descendants(graph, node):
                result.outcomes.setdefault(descendant, Outcome.SKIPPED)
        for successor in graph.successors(node):
            waiting[successor] -= 1
            if waiting[successor] == 0 and successor not in result.outcomes:
                heapq.heappush(ready, (-priority.get(successor, 0.0), successor))

    announced = False
    pool = ThreadPoolExecutor(max_workers=max(1, parallelism))
    try:
        while ready or running:
            while ready and len(running) < parallelism and not cancel.is_set():
                _, node = heapq.heappop(ready)
                running[pool.submit(visit, node)] = node
            if cancel.is_set() and not announced:
                announced = True
                if on_cancel is not None:
                    on_cancel(sorted(running.values()))
            if cancel.is_set() and not running:
                break
            if not running:
                continue
            try:
                done, _ = wait(list(running), return_when=FIRST_COMPLETED, timeout=0.2)
            except KeyboardInterrupt:
                if cancel.is_set():
                    raise  # a second Ctrl-C abandons the in-flight calls
                # The first Ctrl-C stops new work; in-flight calls finish and are recorded.
                result.interrupted = True
                cancel.set()
                continue
            for future in done:
                node = running.pop(future)
                error = future.exception()
                if error is None:
                    finish(node, Outcome.DONE)
                else:
                    result.errors[node] = error
                    finish(node, Outcome.FAILED)
    except KeyboardInterrupt:
        # Abandoned: leave without waiting for the running calls (their threads run on
        # until they return, or until the process exits).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    except BaseException:
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)
    if cancel.is_set():
        result.cancelled = True
        for node in graph.nodes:
            result.outcomes.setdefault(node, Outcome.SKIPPED)
    return result
