"""The strictness layer's core: one dispatcher on botocore's event system, rules per operation.

Every client the engine makes comes from `stackdeploy.aws.session.new_boto3_session`.
`StrictAws.install` replaces that function with one whose sessions carry three handlers
(botocore copies session handlers into every client created from the session):

- `before-parameter-build`: records the caller's API parameters in the request context, as a
  `Call`, and lets rules adjust them (e.g. drop a `state` filter the layer applies itself);
- `before-call`: runs the fault injection, then the rules of that operation; a rule that
  raises `AwsError` answers for AWS, and the request never reaches moto;
- `after-call`: lets rules rewrite a successful response (e.g. a NAT gateway still `pending`).

Rules read moto's real state through the layer's own plain clients (`StrictAws.plain`), made
from a separate session without these handlers, so a check never triggers other rules, never
gets throttled, and never advances a fake clock.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from stackdeploy.aws.errors import THROTTLING_CODES

# Where the `Call` travels from one event to the next: botocore passes the same request
# context dict to all three events of one API call.
_CONTEXT_KEY = "stackdeploy.strict.call"


@dataclass
class Call:
    """One API call as the rules see it."""

    service: str  # the boto3 client name: "ec2", "elbv2", "autoscaling", ...
    operation: str  # the API name: "DeleteSubnet"
    region: str
    protocol: str  # the wire protocol: "ec2", "query", "json", "rest-json", "rest-xml"
    params: dict[str, Any]  # the caller's parameters (a rule may adjust them before sending)
    notes: dict[str, Any] = field(default_factory=dict)  # scratch space between a rule's hooks

    @property
    def name(self) -> str:
        return f"{self.service}.{self.operation}"


class AwsError(Exception):
    """Raised by a rule: the caller gets a ClientError with this code, as from AWS."""

    def __init__(
        self, code: str, message: str, status: int = 400, *, settling: bool = False
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        # True when AWS refuses only because it has not caught up yet (a deleted load
        # balancer's interfaces still being released), not because the caller was out of order.
        self.settling = settling


def settling(error: AwsError) -> AwsError:
    """The same refusal, marked as one that time alone resolves."""
    error.settling = True
    return error


class StrictLayerError(RuntimeError):
    """A bug in the layer (or moto under it), never mistaken for an AWS answer."""


@dataclass(frozen=True)
class Injection:
    """An error the layer answered instead of moto."""

    operation: str  # "ec2.DeleteSubnet"
    code: str
    message: str
    settling: bool = False  # see AwsError.settling


BeforeRule = Callable[[Call], None]  # raises AwsError to refuse the call
AfterRule = Callable[[Call, dict[str, Any]], None]  # rewrites a successful response in place
ParamsRule = Callable[[Call], None]  # adjusts call.params before they are serialized
Family = Callable[["StrictAws"], None]  # registers one service family's rules


class _Body:
    """The raw body of an injected response, readable like urllib3's. It is the XML error
    document AWS sends, because a few botocore handlers read the raw body even of an error
    (s3.GetBucketLocation's after-call parser fails on an empty one)."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


class StrictAws:
    """moto, made to behave like AWS for the engine's end-to-end tests."""

    def __init__(
        self,
        endpoint: str,
        *,
        throttle_rate: float = 0.1,
        server_error_rate: float = 0.0,
        pending_polls: int = 2,
        vpc_pending_polls: int = 1,
        refusals_advance_time: bool = True,
        seed: int = 1234,
        families: Sequence[Family] | None = None,
    ) -> None:
        self.endpoint = endpoint
        # Knobs the rule families read; change them mid-test to switch a behaviour off.
        self.throttle_rate = throttle_rate
        self.server_error_rate = server_error_rate
        self.pending_polls = pending_polls
        self.vpc_pending_polls = vpc_pending_polls
        self.refusals_advance_time = refusals_advance_time
        self.seed = seed
        self.calls: Counter[str] = Counter()  # every call the hooked clients made, by operation
        self.injections: list[Injection] = []
        self._any_rules: list[BeforeRule] = []
        self._before: dict[str, list[BeforeRule]] = {}
        self._after: dict[str, list[AfterRule]] = {}
        self._params: dict[str, list[ParamsRule]] = {}
        self._plain: dict[tuple[str, str], Any] = {}
        self._plain_session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        self._lock = threading.RLock()
        if families is None:
            from tests.strict.families import DEFAULT_FAMILIES

            families = DEFAULT_FAMILIES
        for register in families:
            register(self)

    # -- registration (used by the family modules) ------------------------------------------

    def before_any(self, rule: BeforeRule) -> None:
        """A rule for every call, run before the per-operation rules (fault injection)."""
        self._any_rules.append(rule)

    def before(self, service: str, operation: str, rule: BeforeRule) -> None:
        self._before.setdefault(f"{service}.{operation}", []).append(rule)

    def after(self, service: str, operation: str, rule: AfterRule) -> None:
        self._after.setdefault(f"{service}.{operation}", []).append(rule)

    def params(self, service: str, operation: str, rule: ParamsRule) -> None:
        self._params.setdefault(f"{service}.{operation}", []).append(rule)

    # -- what rules and tests use -------------------------------------------------------------

    def plain(self, service: str, region: str) -> Any:
        """A client on moto without the layer: the truth, for checks and test setup."""
        with self._lock:  # boto3 sessions are not thread-safe; the clients are
            client = self._plain.get((service, region))
            if client is None:
                client = self._plain_session.client(
                    service,
                    region_name=region,
                    endpoint_url=self.endpoint,
                    config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
                )
                self._plain[(service, region)] = client
            return client

    def count(
        self,
        code: str | None = None,
        operation: str | None = None,
        *,
        settling: bool | None = None,
    ) -> int:
        """How many errors the layer injected, optionally of one code and/or operation, and
        only settling (or only out-of-order) refusals when `settling` is given."""
        with self._lock:
            return sum(
                1
                for injection in self.injections
                if (code is None or injection.code == code)
                and (operation is None or injection.operation == operation)
                and (settling is None or injection.settling == settling)
            )

    @property
    def throttles(self) -> int:
        """Injected throttling errors, by the engine's own idea of what throttling is."""
        with self._lock:
            return sum(1 for injection in self.injections if injection.code in THROTTLING_CODES)

    def session(self, profile: str | None = None) -> boto3.Session:
        """A boto3 session whose clients go through the layer (replaces new_boto3_session)."""
        session = boto3.Session(profile_name=profile)
        events = session.events
        events.register("before-parameter-build", self._on_params)
        # First, so botocore's own generic before-call handlers need not run for a refusal.
        events.register_first("before-call", self._on_before_call)
        events.register("after-call", self._on_after_call)
        return session

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("stackdeploy.aws.session.new_boto3_session", self.session)

    # -- the three handlers -------------------------------------------------------------------

    def _on_params(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        call = Call(
            service=model.service_model.service_name,
            operation=model.name,
            region=str(context.get("client_region") or ""),
            protocol=str(model.service_model.protocol),
            params=params,
        )
        context[_CONTEXT_KEY] = call
        for rule in self._params.get(call.name, ()):
            rule(call)

    def _on_before_call(
        self, model: Any, context: dict[str, Any], **_: Any
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        call: Call | None = context.get(_CONTEXT_KEY)
        if call is None:  # pragma: no cover - botocore always emits before-parameter-build
            return None
        with self._lock:
            self.calls[call.name] += 1
        try:
            for rule in (*self._any_rules, *self._before.get(call.name, ())):
                rule(call)
        except AwsError as error:
            with self._lock:
                self.injections.append(
                    Injection(call.name, error.code, error.message, error.settling)
                )
            return _error_response(self.endpoint, error)
        except ClientError as error:
            # A rule's own read failed. Passed on as it is, the engine would take it for the
            # answer to its call (a NotFound would even read as "already deleted").
            raise StrictLayerError(f"a strictness rule for {call.name} failed: {error}") from error
        return None

    def _on_after_call(
        self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        call: Call | None = context.get(_CONTEXT_KEY)
        # Errors (moto's or injected) pass through untouched: only successes are rewritten.
        if call is None or http_response.status_code >= 300:
            return
        for rule in self._after.get(call.name, ()):
            rule(call, parsed)


def _error_response(endpoint: str, error: AwsError) -> tuple[AWSResponse, dict[str, Any]]:
    """What botocore would have parsed from AWS's error response."""
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-requestid": request_id}
    parsed = {
        "Error": {"Code": error.code, "Message": error.message},
        "ResponseMetadata": {
            "RequestId": request_id,
            "HTTPStatusCode": error.status,
            "HTTPHeaders": headers,
            "RetryAttempts": 0,
        },
    }
    document = (
        f"<Error><Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message>"
        f"<RequestId>{request_id}</RequestId></Error>"
    )
    return AWSResponse(endpoint, error.status, headers, _Body(document.encode())), parsed
