"""Classifying AWS errors: what to retry, what means "gone", what to tell the user."""

from __future__ import annotations

import os

import botocore.session
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.parsers import ResponseParserError

from stackdeploy.errors import ProviderError

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "SlowDown",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
        "BandwidthLimitExceeded",
    }
)
TRANSIENT_CODES = frozenset(
    {
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "Unavailable",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
# The connection never opened: the request cannot have reached AWS.
UNSENT_ERRORS = (EndpointConnectionError, ConnectTimeoutError)
# The request went out and its answer was lost: AWS may have acted on it, as after a 5xx.
# An answer botocore cannot parse is one too: an HTML error page from a proxy or a load
# balancer in front of the endpoint (botocore raises ResponseParserError, not a ClientError,
# for an XML protocol's 5xx whose body is not XML).
ANSWER_LOST_ERRORS = (ReadTimeoutError, ConnectionClosedError, ResponseParserError)
# Everything a boto3 call raises about AWS or the way to it (ResponseParserError is neither a
# ClientError nor a BotoCoreError).
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError)


def error_code(error: BaseException) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def http_status(error: BaseException) -> int:
    if isinstance(error, ClientError):
        return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return 0


def is_throttle(error: BaseException) -> bool:
    return error_code(error) in THROTTLING_CODES


def never_reached_aws(error: BaseException) -> bool:
    """Sending again cannot repeat anything: AWS never saw the request."""
    return isinstance(error, UNSENT_ERRORS)


def outcome_unknown(error: BaseException) -> bool:
    """Server-side trouble or a lost answer: the same request may well succeed again, but
    AWS may also have acted on the first one (resend only what is safe to repeat)."""
    if isinstance(error, ANSWER_LOST_ERRORS):
        return True
    return error_code(error) in TRANSIENT_CODES or http_status(error) >= 500


def is_not_found(error: BaseException) -> bool:
    code = error_code(error)
    return code.endswith(
        (".NotFound", "NotFound", "NotFoundException", "NotFoundFault")
    ) or code in {
        "NoSuchEntity",
        "NoSuchBucket",
        "ResourceNotFoundException",
    }


_NAME_TAKEN_CODES = frozenset(
    {"BucketAlreadyExists", "BucketAlreadyOwnedByYou", "ResourceInUseException"}
)


def name_taken(error: BaseException) -> bool:
    """A create refused because its name is already in use: AWS made nothing. (Also the
    providers' own refusals of a name held by a resource that is not theirs.)"""
    code = error_code(error) or str(getattr(error, "code", "") or "")
    return (
        code in _NAME_TAKEN_CODES
        or "AlreadyExists" in code
        or "Duplicate" in code
        or code.endswith(".InUse")
    )


def has_code(error: BaseException, *codes: str) -> bool:
    return error_code(error) in codes


def describe(error: BaseException) -> str:
    """A one-line message for a user: the AWS code and message, without botocore's framing."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = details.get("Code", "Error")
        message = details.get("Message") or str(error)
        return f"{code}: {message}"
    if isinstance(error, NoCredentialsError):
        return "no AWS credentials found"
    if isinstance(error, BotoCoreError):
        return str(error)
    if isinstance(error, ResponseParserError):
        return "the endpoint answered with something that is not an AWS response"
    return f"{type(error).__name__}: {error}"


def profile_hint() -> str:
    """Where profiles are read from, and the ones found there."""
    config = os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")
    credentials = os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    try:
        known = sorted(botocore.session.Session().available_profiles)
    except Exception:  # a malformed config file: botocore's own error says why elsewhere
        known = []
    found = f"profiles found: {', '.join(known)}" if known else "no profile is defined there"
    return (
        f"profiles are read from {config} ([profile NAME] sections) and {credentials} "
        f"([NAME] sections); {found}"
    )


def as_provider_error(error: BaseException, address: str | None = None) -> ProviderError:
    hint = None
    code = error_code(error)
    if isinstance(error, NoCredentialsError):
        hint = "configure credentials (aws configure, AWS_PROFILE, env vars) or use --local"
    elif isinstance(error, ProfileNotFound):
        hint = profile_hint()
    elif code in {"UnauthorizedOperation", "AccessDenied", "AccessDeniedException"}:
        hint = "the credentials lack a permission this operation needs"
    elif is_throttle(error):
        hint = "AWS kept throttling; lower --parallelism or try again later"
    elif isinstance(error, ResponseParserError):
        hint = (
            "an error page from a proxy or load balancer in front of the endpoint, most "
            "likely; it was retried where that is safe. Try again, and check --endpoint-url "
            f"and any HTTPS_PROXY (botocore said: {str(error).splitlines()[0][:160]})"
        )
    return ProviderError(describe(error), code=code, hint=hint, address=address)
