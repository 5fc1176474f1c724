"""Many copies of a stack in one run (--copies): each copy's whole workflow, a few copies at
a time, one copy's failure never stopping the others.

A run has two phases, so that one confirmation covers every copy: `plan` loads, locks and
plans each copy; `apply` executes the plans that change something and releases the locks.
Each copy has its own stack (`<stack>-<copy>`), state record, lock and client factory (its
events name it); the factories share one boto3 session and one pacer (aws/pacing.py), so
the run as a whole stays within AWS's rate limits.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from stackdeploy.apply.engine import Permissions, PlannedRun, Workspace, apply_planned, plan_stack
from stackdeploy.apply.executor import ApplyResult
from stackdeploy.config.copies import StackCopy
from stackdeploy.errors import DeployError
from stackdeploy.model.stack import Stack

T = TypeVar("T")
# Several copies at once: their waits (a NAT gateway's two minutes) overlap, while the
# pacer keeps the calls of all of them within AWS's rate limits.
DEFAULT_COPY_PARALLELISM = 8


def per_copy_parallelism(total: int, copy_parallelism: int) -> int:
    """Each copy's share of --parallelism, so that copies together do about as much at once
    as one stack would; at least 2, so a long wait (a NAT gateway) never holds a copy's only
    worker."""
    return max(2, total // copy_parallelism)


@dataclass(frozen=True)
class CopyWork:
    """What the run does to each copy; the callables come from the CLI (options, output)."""

    load: Callable[[StackCopy], Stack]
    # The copy's AWS side: its own client factory, whose events name the copy.
    workspace: Callable[[Stack, StackCopy], Workspace]
    destroy: bool = False
    targets: tuple[str, ...] = ()
    permissions: Permissions = field(default_factory=Permissions)
    lock: str | None = "apply"  # the state lock's command; None: plan only, no lock
    expires_in: int | None = None  # --expires-in, in seconds (apply/expiry.py)


@dataclass
class CopyRun:
    """One copy's way through the run."""

    copy: StackCopy
    stack: Stack | None = None
    workspace: Workspace | None = None
    planned: PlannedRun | None = None
    result: ApplyResult | None = None
    error: BaseException | None = None
    seconds: float = 0.0
    locks: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    skipped: bool = False  # planned, but Ctrl-C came before its apply started

    @property
    def failed(self) -> bool:
        return self.error is not None or bool(self.result and self.result.failures)

    @property
    def changes(self) -> bool:
        return self.planned is not None and self.planned.plan.has_changes()

    def outcome(self) -> str:
        """failed, interrupted, not run, planned, no changes, applied or destroyed."""
        if self.failed:
            return "failed"
        if self.result is not None:
            if self.result.interrupted:
                return "interrupted"
            return "destroyed" if self.planned and self.planned.plan.destroy else "applied"
        if self.planned is None or self.skipped:
            return "not run"
        return "planned" if self.changes else "no changes"

    def counts(self) -> dict[str, int]:
        """What was done: created, updated, replaced and destroyed resources."""
        if self.result is None:
            return {"created": 0, "updated": 0, "replaced": 0, "destroyed": 0}
        done, replaced = self.result.done, self.result.replaced
        return {
            "created": done["create"] - replaced,
            "updated": done["update"],
            "replaced": replaced,
            "destroyed": done["delete"] - replaced,
        }

    def error_summary(self) -> str:
        """The first thing that went wrong, in one line."""
        if self.error is not None:
            return _one_line(self.error)
        failures = sorted(self.result.failures.items()) if self.result else []
        if not failures:
            return ""
        address, error = failures[0]
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        return f"{address}: {_one_line(error)}{more}"


def _one_line(error: BaseException) -> str:
    message = (
        error.message if isinstance(error, DeployError) else f"{type(error).__name__}: {error}"
    )
    return message.splitlines()[0] if message else type(error).__name__


class CopiesRunner:
    """Runs the phases over every copy, `copy_parallelism` copies at a time."""

    def __init__(
        self,
        copies: Sequence[StackCopy],
        work: CopyWork,
        *,
        copy_parallelism: int = DEFAULT_COPY_PARALLELISM,
        parallelism: int = 10,
    ) -> None:
        self.runs = [CopyRun(copy) for copy in copies]
        self.work = work
        self.copy_parallelism = copy_parallelism
        self.parallelism = per_copy_parallelism(parallelism, copy_parallelism)
        # Set by Ctrl-C: copies not started stay so, running ones start no new step.
        self.cancel = threading.Event()

    def plan(self) -> list[CopyRun]:
        """Load, lock (unless planning only) and plan every copy; a copy that fails keeps
        its error and holds no lock."""
        for_each(self.runs, self._plan_one, self.copy_parallelism, self.cancel)
        return self.runs

    def apply(self) -> list[CopyRun]:
        """Execute the plans that change something, then release every lock."""
        try:
            pending = [run for run in self.runs if run.changes and not run.failed]
            for_each(pending, self._apply_one, self.copy_parallelism, self.cancel)
            for run in pending:
                run.skipped = run.result is None and run.error is None
        finally:
            self.release()
        return self.runs

    def release(self) -> None:
        for run in self.runs:
            run.locks.close()

    def _plan_one(self, run: CopyRun) -> None:
        started = time.monotonic()
        try:
            run.stack = self.work.load(run.copy)
            run.workspace = self.work.workspace(run.stack, run.copy)
            if self.work.lock:
                run.locks.enter_context(run.workspace.store(run.stack).lock(self.work.lock))
            run.planned = plan_stack(
                run.workspace,
                run.stack,
                destroy=self.work.destroy,
                targets=self.work.targets,
                permissions=self.work.permissions,
                expires_in=self.work.expires_in,
            )
        except Exception as error:  # isolated: the other copies go on
            run.error = error
            run.locks.close()
        finally:
            run.seconds += time.monotonic() - started

    def _apply_one(self, run: CopyRun) -> None:
        assert run.workspace is not None and run.planned is not None
        started = time.monotonic()
        try:
            run.result = apply_planned(
                run.workspace, run.planned, parallelism=self.parallelism, cancel=self.cancel
            )
        except Exception as error:
            run.error = error
        finally:
            run.locks.close()
            run.seconds += time.monotonic() - started

    def api_calls(self) -> int:
        """AWS API calls of every copy, retries included."""
        return sum(
            sum(run.workspace.clients.stats.calls.values()) for run in self.runs if run.workspace
        )


def for_each(
    items: Iterable[T], work: Callable[[T], None], parallelism: int, cancel: threading.Event
) -> None:
    """`work` on every item, `parallelism` at a time. `work` keeps its own errors (any
    exception escaping it is a bug, raised here after the others finished). The first Ctrl-C
    sets `cancel`: items not started are skipped, running ones finish what they do; a second
    one stops waiting for them."""

    def guarded(item: T) -> None:
        if not cancel.is_set():
            work(item)

    pool = concurrent.futures.ThreadPoolExecutor(parallelism, thread_name_prefix="copy")
    futures = [pool.submit(guarded, item) for item in items]
    try:
        while True:
            try:
                done, running = concurrent.futures.wait(futures, timeout=0.5)
            except KeyboardInterrupt:
                if cancel.is_set():
                    raise
                cancel.set()
                continue
            if not running:
                break
        for future in done:
            future.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
