"""S3 bucket names: AWS's naming rules, the generated name, and ARNs.

Bucket names are global across every AWS account, so a name generated from the stack and the
logical id alone would clash as soon as two accounts deploy the same stack. A generated name
ends with the account id, written as the `${aws:account_id}` lookup: it is resolved during
refresh (the account is known only once credentials are), so the plan shows the real name.
"""

from __future__ import annotations

import ipaddress
import re

from stackdeploy.specs.base import generated_name

MIN_LENGTH, MAX_LENGTH = 3, 63
ACCOUNT_ID = "${aws:account_id}"
ACCOUNT_ID_LENGTH = 12
# What a name is validated with where it holds the account-id lookup (12 digits, like any id).
_ACCOUNT_STAND_IN = "0" * ACCOUNT_ID_LENGTH
_CHARACTERS = re.compile(r"^[a-z0-9.-]+$")
# AWS reserves these for access points, Object Lambda, directory and table buckets.
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::([^/]+)$")


def bucket_name_problem(name: str) -> str | None:
    """Why S3 would refuse this bucket name (InvalidBucketName), or None.

    The account-id lookup counts as 12 digits; other references are known only at apply
    time and are not judged.
    """
    candidate = name.replace(ACCOUNT_ID, _ACCOUNT_STAND_IN)
    if "${" in candidate:
        return None
    if not MIN_LENGTH <= len(candidate) <= MAX_LENGTH:
        return f"bucket name '{name}' must be {MIN_LENGTH} to {MAX_LENGTH} characters long"
    if not _CHARACTERS.match(candidate):
        bad = sorted({c for c in candidate if not _CHARACTERS.match(c)})
        return (
            f"bucket name '{name}' may hold only lowercase letters, digits, dots and hyphens "
            f"(not {' '.join(repr(c) for c in bad)})"
        )
    if not (candidate[0].isalnum() and candidate[-1].isalnum()):
        return f"bucket name '{name}' must start and end with a letter or digit"
    if ".." in candidate:
        return f"bucket name '{name}' must not hold two dots in a row"
    if _is_ip_address(candidate):
        return f"bucket name '{name}' must not look like an IP address"
    for prefix in RESERVED_PREFIXES:
        if candidate.startswith(prefix):
            return f"bucket name '{name}' must not start with '{prefix}' (reserved by AWS)"
    for suffix in RESERVED_SUFFIXES:
        if candidate.endswith(suffix):
            return f"bucket name '{name}' must not end with '{suffix}' (reserved by AWS)"
    return None


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def generated_bucket_name(stack: str, logical_id: str, max_length: int) -> str:
    """`<stack>-<logical id>-<account id>`, lowercase, within S3's 63 characters."""
    room = max_length - ACCOUNT_ID_LENGTH - 1
    return f"{generated_name(stack, logical_id, room).lower()}-{ACCOUNT_ID}"


def generated_prefix(stack: str) -> str:
    """The start every name generated for this stack shares (for listing them)."""
    room = MAX_LENGTH - ACCOUNT_ID_LENGTH - 1
    # generated_name keeps `<stack>-` whole unless the pair is too long and gets a hash.
    return f"{stack}-".lower()[: room - 9]


def bucket_arn(name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{name}"


def bucket_of_arn(arn: str) -> str | None:
    """The bucket an S3 bucket ARN names (arn:aws:s3:::name), or None if it is no such ARN."""
    match = _ARN.match(arn)
    return match.group(1) if match else None


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"
