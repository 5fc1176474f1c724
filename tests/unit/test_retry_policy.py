"""The retry policy per error and per declared operation, on a stand-in client (no AWS).

What may be sent again: anything AWS rejected before acting (throttling) or never saw (the
connection did not open); after a 5xx or a lost answer, only what aws/operations.py declares
safe to repeat.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from stackdeploy.aws.operations import UndeclaredOperation
from stackdeploy.aws.session import ApiStats, ClientFactory, RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.events import Recorder, Retrying, ignore
from tests.conftest import FAST

URL = "https://ec2.us-west-2.amazonaws.com"


def _aws_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "Operation",
    )


THROTTLED = _aws_error("RequestLimitExceeded", 503)
SERVER_ERROR = _aws_error("InternalError", 500)
UNAVAILABLE = _aws_error("Unavailable", 503)
INVALID = _aws_error("InvalidParameterValue", 400)
UNREACHABLE = EndpointConnectionError(endpoint_url=URL)
CONNECT_TIMEOUT = ConnectTimeoutError(endpoint_url=URL)
READ_TIMEOUT = ReadTimeoutError(endpoint_url=URL)
CONNECTION_CLOSED = ConnectionClosedError(endpoint_url=URL)


class _FailingOnce:
    """A raw boto3 client whose every API method fails once with `error`, then succeeds."""

    API = {
        "create_vpc": "CreateVpc",
        "run_instances": "RunInstances",
        "put_role_policy": "PutRolePolicy",
        "describe_vpcs": "DescribeVpcs",
        "create_flow_logs": "CreateFlowLogs",
    }

    def __init__(self, error: Exception) -> None:
        self.meta = SimpleNamespace(method_to_api_mapping=self.API)
        self.exceptions = SimpleNamespace()
        self.sent = 0
        self._error: Exception | None = error

    def __getattr__(self, name: str) -> Any:
        if name not in self.API:
            raise AttributeError(name)

        def method(**_: Any) -> dict[str, Any]:
            self.sent += 1
            error, self._error = self._error, None
            if error is not None:
                raise error
            return {}

        return method


def _resent(service: str, method: str, error: Exception, **params: Any) -> bool:
    """Whether one call of `method` whose first answer is `error` sends it again (and then
    succeeds) rather than passing the error on after a single request."""
    raw = _FailingOnce(error)
    client = RetryingClient(raw, service, FAST, ApiStats(), ignore)
    try:
        getattr(client, method)(**params)
    except type(error) as raised:
        if raised is not error:
            raise
        assert raw.sent == 1
        return False
    assert raw.sent == 2
    return True


@pytest.mark.parametrize(
    "error",
    [THROTTLED, UNREACHABLE, CONNECT_TIMEOUT],
    ids=["throttled", "unreachable", "connect-timeout"],
)
def test_a_create_is_resent_when_aws_did_nothing(error: Exception) -> None:
    assert _resent("ec2", "create_vpc", error, CidrBlock="10.0.0.0/16")


@pytest.mark.parametrize(
    "error",
    [SERVER_ERROR, UNAVAILABLE, READ_TIMEOUT, CONNECTION_CLOSED],
    ids=["500", "503", "read-timeout", "connection-closed"],
)
def test_a_create_that_may_have_happened_is_sent_once(error: Exception) -> None:
    assert not _resent("ec2", "create_vpc", error, CidrBlock="10.0.0.0/16")
    assert not _resent("ec2", "run_instances", error, MinCount=1, MaxCount=1)


@pytest.mark.parametrize(
    "error",
    [SERVER_ERROR, READ_TIMEOUT, CONNECTION_CLOSED],
    ids=["500", "read-timeout", "connection-closed"],
)
def test_what_is_safe_to_repeat_is_resent_after_an_unknown_outcome(error: Exception) -> None:
    assert _resent("ec2", "describe_vpcs", error)
    assert _resent("iam", "put_role_policy", error, RoleName="r", PolicyName="p")
    assert _resent("ec2", "run_instances", error, MinCount=1, MaxCount=1, ClientToken="t")


def test_a_refusal_is_never_resent() -> None:
    assert not _resent("ec2", "describe_vpcs", INVALID)


def test_an_undeclared_operation_is_refused_before_it_is_sent() -> None:
    raw = _FailingOnce(SERVER_ERROR)
    client = RetryingClient(raw, "ec2", FAST, ApiStats(), ignore)
    with pytest.raises(UndeclaredOperation):
        client.create_flow_logs(ResourceIds=["vpc-1"])
    assert raw.sent == 0


def test_the_retries_of_a_wait_are_counted_with_the_clients_own() -> None:
    shown = Recorder()
    clients = ClientFactory(timing=FAST, events=shown)
    refusals = iter([_aws_error("DependencyViolation", 400)] * 2)

    def delete_subnet() -> None:
        refusal = next(refusals, None)
        if refusal is not None:
            raise refusal

    retry_while(
        delete_subnet,
        codes={"DependencyViolation"},
        deadline=FAST.dependency_deadline,
        timing=FAST,
        events=clients.events,
        operation="ec2.DeleteSubnet",
    )
    assert len(shown.of(Retrying)) == 2  # still shown, and counted on the way
    assert clients.stats.retries == {"ec2.DeleteSubnet": 2}
