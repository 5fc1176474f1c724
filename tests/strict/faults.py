"""Throttling and server errors: moto never throttles and never fails transiently; AWS does.

At `throttle_rate` of calls (seeded, so a run replays the same way for the same call order)
the layer answers with the throttling error of the service's protocol instead of forwarding
the call. `server_error_rate` (off by default) does the same with a 500, for reads only: a 5xx
on a write leaves AWS in an unknown state, which the layer cannot model since it never
forwards the call.

A caller is never failed twice in a row on the same operation, so any retry policy that
tries at least twice always gets through; the counting is per thread, because the engine
calls AWS from a pool and the promise is about one caller's retries.
"""

from __future__ import annotations

import random
import threading

from tests.strict.core import AwsError, Call, StrictAws

_READ_PREFIXES = ("Describe", "List", "Get", "Head")


def register(strict: StrictAws) -> None:
    strict.before_any(_Faults(strict))


def throttling(call: Call) -> AwsError:
    """The throttling error AWS returns for this service, with its HTTP status."""
    if call.protocol == "ec2":
        return AwsError("RequestLimitExceeded", "Request limit exceeded.", 503)
    if call.service == "s3":
        return AwsError("SlowDown", "Please reduce your request rate.", 503)
    if call.protocol == "query":  # IAM, STS, RDS, ELB, Auto Scaling, CloudFormation
        return AwsError("Throttling", "Rate exceeded", 400)
    if call.protocol == "rest-json":
        return AwsError("TooManyRequestsException", "Rate exceeded", 429)
    return AwsError("ThrottlingException", "Rate exceeded", 400)  # json: DynamoDB, KMS


def server_error(call: Call) -> AwsError:
    if call.protocol == "ec2" or call.service == "s3":
        return AwsError("InternalError", "An internal error has occurred", 500)
    return AwsError("InternalFailure", "The request processing has failed.", 500)


class _Faults:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        self._rng = random.Random(strict.seed)
        self._lock = threading.Lock()
        self._just_failed: set[tuple[int, str]] = set()  # (thread, operation)

    def __call__(self, call: Call) -> None:
        key = (threading.get_ident(), call.name)
        throttle_rate = self._strict.throttle_rate
        error_rate = self._strict.server_error_rate
        with self._lock:
            if key in self._just_failed:
                self._just_failed.discard(key)
                return
            roll = self._rng.random()
            if roll < throttle_rate:
                error = throttling(call)
            elif roll < throttle_rate + error_rate and call.operation.startswith(_READ_PREFIXES):
                error = server_error(call)
            else:
                return
            self._just_failed.add(key)
        raise error
