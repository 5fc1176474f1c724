"""What the strictness tests use to poke the layer: a client through it, and the refusal a
call gets back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from stackdeploy.aws import session as aws_session
from tests.conftest import REGION

# One attempt: the test sees exactly what the layer (or moto) answered.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def hooked_client(aws: str, service: str, region: str = REGION) -> Any:
    """A client through the installed layer, made as the engine's factory makes them."""
    session = aws_session.new_boto3_session(None)
    return session.client(service, region_name=region, endpoint_url=aws, config=NO_RETRIES)


def refusal(call: Callable[[], object]) -> tuple[str, str, int]:
    """(code, message, HTTP status) of the error `call` must raise."""
    with pytest.raises(ClientError) as raised:
        call()
    response: dict[str, Any] = raised.value.response
    error = response["Error"]
    return (
        str(error["Code"]),
        str(error["Message"]),
        int(response["ResponseMetadata"]["HTTPStatusCode"]),
    )
