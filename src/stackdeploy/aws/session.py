"""The one client factory: region, profile, endpoint, retry policy, call counting.

Every boto3 client comes from here, wrapped so that each call is retried on throttling and
transient errors by one policy (botocore's own retries are off, so the two never multiply),
and counted, so benchmarks can report API calls per plan.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)
from tenacity.wait import wait_base

from stackdeploy import __version__
from stackdeploy.aws.errors import error_code, is_throttle, never_reached_aws, outcome_unknown
from stackdeploy.aws.operations import Declared, declared
from stackdeploy.aws.pacing import Pacer
from stackdeploy.aws.timing import DEFAULT_TIMING, Timing
from stackdeploy.events import Event, EventSink, current_address, ignore
from stackdeploy.events import Retrying as RetryingEvent


def new_boto3_session(profile: str | None) -> boto3.Session:
    """A boto3 session. Tests wrap this to attach the AWS strictness layer to every client."""
    return boto3.Session(profile_name=profile)


class SharedSession:
    """One boto3 session and one pacer for the client factories of many copies of a stack
    applied in one run: a session loads each service's model once (about a second and 20 MB
    for EC2's), and AWS's rate limits are the account's, whichever copy calls."""

    def __init__(self, profile: str | None, pacer: Pacer | None = None) -> None:
        self.profile = profile
        self.pacer = pacer
        self.lock = threading.Lock()  # boto3 sessions are not thread-safe; clients are
        self._session: boto3.Session | None = None

    def session(self) -> boto3.Session:
        """The session; call it holding `lock`."""
        if self._session is None:
            self._session = new_boto3_session(self.profile)
        return self._session


@dataclass
class ApiStats:
    """How many calls each operation took, including retries."""

    calls: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] += 1

    def count_retry(self, operation: str) -> None:
        with self._lock:
            self.retries[operation] += 1

    def counting_retries(self, events: EventSink) -> EventSink:
        """`events`, counting every retry announced on the way: a client's after a throttle
        or 5xx, and a wait's (retry_while) while AWS catches up. Counted where retries are
        announced, so what --debug counts and what the progress shows cannot disagree."""

        def sink(event: Event) -> None:
            if isinstance(event, RetryingEvent):
                self.count_retry(event.operation)
            events(event)

        return sink

    def total(self, prefix: str = "") -> int:
        with self._lock:
            return sum(n for op, n in self.calls.items() if op.split(".", 1)[-1].startswith(prefix))


def _retryable(declaration: Declared, kwargs: dict[str, Any]) -> Callable[[BaseException], bool]:
    """Throttles and connections that never opened are always retried: AWS did nothing.

    After a 5xx or a lost answer AWS may have acted, so the request is resent only if its
    declaration (aws/operations.py) says a repeat cannot do more than the first did. A create
    that is not resent leaves its ownership tags for the next run to find it by.
    """
    resend_safe = declaration.safe_to_resend(kwargs)

    def should_retry(error: BaseException) -> bool:
        if is_throttle(error) or never_reached_aws(error):
            return True
        return resend_safe and outcome_unknown(error)

    return should_retry


class RetryingClient:
    """A boto3 client whose every API call goes through the retry policy."""

    def __init__(
        self,
        client: Any,
        service: str,
        timing: Timing,
        stats: ApiStats,
        events: EventSink,
        pacer: Pacer | None = None,
    ) -> None:
        self._client = client
        self._service = service
        self._pacer = pacer
        self._timing = timing
        self._stats = stats
        self._events = events
        self.meta = client.meta
        self.exceptions = client.exceptions

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        api_name = self._client.meta.method_to_api_mapping.get(name)
        if api_name is None:  # not an API call: can_paginate, get_paginator, close, ...
            return attribute
        operation = f"{self._service}.{api_name}"
        declaration = declared(operation)  # an undeclared operation fails before it is sent

        def call(**kwargs: Any) -> Any:
            return self._call(operation, declaration, attribute, kwargs)

        return call

    def _call(
        self,
        operation: str,
        declaration: Declared,
        method: Callable[..., Any],
        kwargs: dict[str, Any],
    ) -> Any:
        timing = self._timing

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            delay = state.next_action.sleep if state.next_action else 0.0
            self._events(
                RetryingEvent(
                    current_address.get(),
                    operation,
                    error_code(error) if error else "",
                    state.attempt_number,
                    delay,
                )
            )

        retrying = Retrying(
            retry=retry_if_exception(_retryable(declaration, kwargs)),
            wait=_RetryBackoff(timing.retry_initial, timing.retry_max),
            stop=stop_after_delay(timing.retry_deadline)
            & stop_after_attempt(timing.retry_min_attempts),
            before_sleep=before_sleep,
            reraise=True,
        )
        api_name = operation.split(".", 1)[1]
        for attempt in retrying:
            with attempt:
                if self._pacer is not None:  # every attempt spends one of AWS's tokens
                    self._pacer.wait(self._service, api_name, self.meta.region_name)
                self._stats.count(operation)
                return method(**kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    def paginate(
        self,
        method: str,
        result_key: str,
        *,
        input_token: str = "NextToken",
        output_token: str = "NextToken",
        **kwargs: Any,
    ) -> list[Any]:
        """Every page of a list/describe call, each page retried on its own."""
        items: list[Any] = []
        token: str | None = None
        while True:
            page_args = {**kwargs, input_token: token} if token else kwargs
            page = getattr(self, method)(**page_args)
            items.extend(page.get(result_key, []))
            token = page.get(output_token)
            if not token:
                return items


class ClientFactory:
    """Creates (and caches) retrying clients per (service, region)."""

    def __init__(
        self,
        *,
        profile: str | None = None,
        endpoint_url: str | None = None,
        default_region: str = "us-east-1",
        timing: Timing = DEFAULT_TIMING,
        events: EventSink = ignore,
        static_credentials: tuple[str, str] | None = None,
        max_pool_connections: int = 20,
        shared: SharedSession | None = None,
    ) -> None:
        self.profile = profile
        self._shared = shared
        self.endpoint_url = endpoint_url
        self.default_region = default_region
        self.timing = timing
        self.stats = ApiStats()
        # Everything that retries announces it here: the clients and, through the Workspace,
        # the providers' waits.
        self.events = self.stats.counting_retries(events)
        self._static_credentials = static_credentials
        self._config = Config(
            # One attempt, so our policy alone decides what is resent. (botocore's
            # `max_attempts` counts retries: 1 still resent a create after a 5xx.) An explicit
            # total also wins over AWS_MAX_ATTEMPTS and a profile's max_attempts.
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=10,
            read_timeout=60,
            max_pool_connections=max_pool_connections,
            user_agent_extra=f"stackdeploy/{__version__}",
        )
        self._session: boto3.Session | None = None
        self._clients: dict[tuple[str, str], RetryingClient] = {}
        self._lock = shared.lock if shared else threading.Lock()
        self._account: str | None = None

    def _boto3_session(self) -> boto3.Session:
        if self._shared is not None:
            return self._shared.session()
        if self._session is None:
            self._session = new_boto3_session(self.profile)
        return self._session

    def client(self, service: str, region: str | None = None) -> RetryingClient:
        region = region or self.default_region
        key = (service, region)
        with self._lock:  # boto3 sessions are not thread-safe; clients are
            cached = self._clients.get(key)
            if cached is None:
                extra: dict[str, Any] = {}
                if self._static_credentials:
                    extra["aws_access_key_id"], extra["aws_secret_access_key"] = (
                        self._static_credentials
                    )
                raw = self._boto3_session().client(
                    service,
                    region_name=region,
                    endpoint_url=self.endpoint_url,
                    config=self._config,
                    **extra,
                )
                pacer = self._shared.pacer if self._shared else None
                cached = RetryingClient(raw, service, self.timing, self.stats, self.events, pacer)
                self._clients[key] = cached
            return cached

    def account_id(self) -> str:
        if self._account is None:
            identity = self.client("sts").get_caller_identity()
            self._account = str(identity["Account"])
        return self._account


class _RetryBackoff(wait_base):
    """min(cap, initial * 2**(attempt - 1) + up to a second of jitter), as Google's retry strategy.

    tenacity's own wait_exponential_jitter names its first argument `initial` before 9.2.1 and
    `multiplier` from 9.2.1 on (warning about the other), so the formula is written out here.
    """

    def __init__(self, initial: float, cap: float) -> None:
        self.initial = initial
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        exponent = min(retry_state.attempt_number - 1, 64)  # 2**64 s is past any cap
        return max(0.0, min(self.cap, self.initial * 2.0**exponent + random.uniform(0, 1)))


def jittered(delay: float) -> float:
    return delay * (0.8 + 0.4 * random.random())


def sleep(seconds: float) -> None:
    time.sleep(max(0.0, seconds))
