"""Shared fixtures: a moto server for the session, reset before each test that uses AWS."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator

import pytest

# Never touch a real account or the developer's AWS config from tests.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-west-2",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        # Default AMIs cost ~1 s per reset; tests that launch instances register their own.
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }
)
for variable in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL"):
    os.environ.pop(variable, None)

# moto's server logs every request; keep test output about the tests.
logging.getLogger("werkzeug").setLevel(logging.WARNING)

from stackdeploy.aws.session import ClientFactory  # noqa: E402
from stackdeploy.aws.timing import DEFAULT_TIMING, Timing  # noqa: E402

# Retries and polls at a thousandth of real time: same code paths, no waiting.
FAST = DEFAULT_TIMING.scaled(0.001)
REGION = "us-west-2"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws(moto_endpoint: str) -> str:
    """A clean moto backend for this test; returns its endpoint URL."""
    import urllib.request

    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    return moto_endpoint


@pytest.fixture
def iam_managed_policies(monkeypatch: pytest.MonkeyPatch, aws: str) -> None:
    """AWS-managed policies (arn:aws:iam::aws:policy/...) in moto's IAM, for this test only.

    Loading them costs ~0.6 s per reset, so only tests that attach them ask for it; moto
    builds the IAM backend lazily after the reset, when this setting is read.
    """
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


@pytest.fixture
def fast_timing() -> Timing:
    return FAST


@pytest.fixture
def clients(aws: str) -> ClientFactory:
    return ClientFactory(endpoint_url=aws, default_region=REGION, timing=FAST)
