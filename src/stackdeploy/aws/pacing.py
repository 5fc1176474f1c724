"""Client-side pacing of AWS calls, for runs that apply many copies of a stack at once.

AWS throttles each account and region with token buckets (research/perf-anchors.md §2, from
AWS's own documentation): EC2 per action (reads 100 at once then 20/s; writes 50 then 5/s;
CreateNatGateway 10 then 1/s; RunInstances 5 then 2/s), Elastic Load Balancing per action
(CreateLoadBalancer 10 then 0.2/s), RDS for all its actions together (300 then 12/s). One stack
stays far below them; thirty copies of a VPC send thirty CreateNatGateway calls within a
second. Throttled calls are retried anyway, but pacing keeps the run from burning the
account's tokens that everything else in it shares (the console, other tools, other runs):
every bucket here is half of AWS's, in size and in refill.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_READ_PREFIXES = ("Describe", "Get", "List", "Search")


@dataclass(frozen=True)
class Bucket:
    """A token bucket: `burst` calls at once, then `per_second`."""

    burst: float
    per_second: float


# AWS's published buckets, halved. Keys: "service.Operation", else "service.<reads|writes>";
# a service listed as "service.*" shares one bucket across all its actions.
_EC2_WRITE = Bucket(25, 2.5)
RATE_LIMITS: dict[str, Bucket] = {
    "ec2.reads": Bucket(50, 10),
    "ec2.writes": _EC2_WRITE,
    "ec2.CreateNatGateway": Bucket(5, 0.5),
    "ec2.DeleteNatGateway": Bucket(5, 0.5),
    "ec2.RunInstances": Bucket(2, 1),
    "ec2.TerminateInstances": Bucket(50, 2.5),
    "ec2.CreateTags": Bucket(50, 5),
    "ec2.DeleteTags": Bucket(50, 5),
    "elb.reads": Bucket(20, 5),
    "elb.writes": Bucket(10, 1.5),
    "elb.CreateLoadBalancer": Bucket(5, 0.1),
    "elbv2.reads": Bucket(20, 5),
    "elbv2.writes": Bucket(10, 1.5),
    "elbv2.CreateLoadBalancer": Bucket(5, 0.1),
    "elbv2.SetSubnets": Bucket(5, 0.1),
    "elbv2.RegisterTargets": Bucket(10, 2),
    "elbv2.DeregisterTargets": Bucket(10, 2),
    "rds.*": Bucket(150, 6),
}
# Services without published figures (IAM, S3, DynamoDB's control plane, KMS, Auto Scaling,
# STS, SSM, Secrets Manager): the EC2 figures, the most conservative AWS publishes.
DEFAULT_READS = Bucket(50, 10)
DEFAULT_WRITES = _EC2_WRITE


def bucket_key(service: str, operation: str) -> tuple[str, Bucket]:
    """Which bucket a call draws from, and its size."""
    shared = f"{service}.*"
    if shared in RATE_LIMITS:
        return shared, RATE_LIMITS[shared]
    exact = f"{service}.{operation}"
    if exact in RATE_LIMITS:
        return exact, RATE_LIMITS[exact]
    kind = "reads" if operation.startswith(_READ_PREFIXES) else "writes"
    # Unlisted operations of a listed service each get a bucket of their kind, as AWS does.
    listed = RATE_LIMITS.get(f"{service}.{kind}")
    default = DEFAULT_READS if kind == "reads" else DEFAULT_WRITES
    return exact, listed or default


class Pacer:
    """Token buckets per (region, bucket), shared by every client of a run; `wait` blocks a
    call until its bucket has a token. Thread-safe."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], tuple[float, float]] = {}  # -> (tokens, at)
        self.waited_seconds = 0.0  # summed over calls, for benchmarks
        self.paced_calls = 0  # calls that had to wait

    def wait(self, service: str, operation: str, region: str) -> None:
        key, bucket = bucket_key(service, operation)
        delay = self._take((region, key), bucket)
        if delay > 0:
            self._sleep(delay)

    def _take(self, key: tuple[str, str], bucket: Bucket) -> float:
        """Take a token now or reserve the next one; the seconds to wait for it. A reserved
        token makes the count negative, so callers queue in arrival order."""
        with self._lock:
            now = self._clock()
            tokens, at = self._tokens.get(key, (bucket.burst, now))
            tokens = min(bucket.burst, tokens + (now - at) * bucket.per_second) - 1
            self._tokens[key] = (tokens, now)
            if tokens >= 0:
                return 0.0
            delay = -tokens / bucket.per_second
            self.waited_seconds += delay
            self.paced_calls += 1
            return delay
