"""Per-resource reads a few at a time: where AWS has no batched form (a bucket's settings, an
instance's termination protection, a key's policy), they cost one latency per READ_WORKERS
resources instead of one each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Enough to hide latency, few enough to stay inside the services' describe rate buckets.
READ_WORKERS = 8


def map_concurrently(
    items: Sequence[T], read_one: Callable[[T], R], workers: int = READ_WORKERS
) -> list[R]:
    """`read_one` of every item, in the items' order, `workers` at a time."""
    if len(items) <= 1:
        return [read_one(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(read_one, items))


def read_concurrently(items: Sequence[T], read_one: Callable[[T], R | None]) -> list[R]:
    """Like map_concurrently, leaving out None results (gone since they were listed)."""
    return [result for result in map_concurrently(items, read_one) if result is not None]
