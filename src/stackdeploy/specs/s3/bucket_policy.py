"""Bucket policies: resource-based IAM policy documents, compared by meaning.

The canonical form is IAM's (see specs/iam/policy.py): statement and action order, a single
value versus a list, and an account id versus its root ARN never make a difference, so a
policy written differently from the way S3 hands it back plans no change.

What S3 refuses (MalformedPolicy) is checked here before any call: every statement needs an
Effect, an Action (s3 actions only), a Principal (the policy sits on the bucket, so it must
say who it applies to) and a Resource, and the whole document is at most 20 KB.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from stackdeploy.specs.base import is_ref_like
from stackdeploy.specs.iam.policy import VERSIONS, canonical_policy, parse_policy, policy_json

MAX_POLICY_BYTES = 20 * 1024
_STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
_PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
_S3_ACTION = re.compile(r"^(s3:[A-Za-z0-9*?]+|s3:\*|\*)$")


def bucket_policy_document(value: Any) -> dict[str, Any]:
    """A user's bucket policy, validated and canonical; {} when there is none."""
    if value is None or value in ({}, ""):
        return {}
    document = parse_policy(value)
    problems = list(_problems(document))
    if problems:
        raise ValueError("; ".join(problems))
    text = policy_json(document)
    if "${" not in text and len(text.encode()) > MAX_POLICY_BYTES:
        raise ValueError(
            f"the policy is {len(text.encode())} bytes; S3 allows {MAX_POLICY_BYTES} per bucket"
        )
    canonical: dict[str, Any] = canonical_policy(document)
    return canonical


def _problems(document: Any) -> Iterator[str]:
    if not isinstance(document, Mapping):
        yield "a bucket policy is a mapping with Version and Statement"
        return
    for key in document:
        if key not in ("Version", "Id", "Statement"):
            yield f"unknown policy element '{key}'"
    if document.get("Version") not in (None, *VERSIONS):
        yield f"Version '{document.get('Version')}' is not one of {', '.join(VERSIONS)}"
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        yield "a policy needs a Statement (a mapping or a non-empty list of them)"
        return
    for index, statement in enumerate(statements, start=1):
        label = f"statement {index}"
        if isinstance(statement, Mapping) and statement.get("Sid"):
            label = f"statement '{statement['Sid']}'"
        if not isinstance(statement, Mapping):
            yield f"{label} is not a mapping"
            continue
        yield from (f"{label}: {problem}" for problem in _statement_problems(statement))


def _statement_problems(statement: Mapping[str, Any]) -> Iterator[str]:
    for key in statement:
        if key not in _STATEMENT_KEYS:
            yield f"unknown element '{key}'"
    if statement.get("Effect") not in ("Allow", "Deny"):
        yield f"Effect must be Allow or Deny (got {statement.get('Effect')!r})"
    for first, second, what in (
        ("Action", "NotAction", "which requests it is about"),
        ("Principal", "NotPrincipal", "who it applies to"),
        ("Resource", "NotResource", "the bucket or its objects"),
    ):
        if first in statement and second in statement:
            yield f"use either {first} or {second}, not both"
        elif first not in statement and second not in statement:
            yield f"{first} is required ({what})"
    for key in ("Action", "NotAction"):
        for action in _strings(statement.get(key)):
            if not is_ref_like(action) and not _S3_ACTION.match(action):
                yield f"action '{action}' is not an S3 action (s3:GetObject, s3:*)"
    for key in ("Principal", "NotPrincipal"):
        if key in statement:
            yield from _principal_problems(key, statement[key])
    condition = statement.get("Condition")
    if condition is not None and not (
        isinstance(condition, Mapping)
        and all(isinstance(tests, Mapping) for tests in condition.values())
    ):
        yield "Condition must map operators to {condition key: values}"


def _principal_problems(key: str, value: Any) -> Iterator[str]:
    if value == "*":
        return
    if not isinstance(value, Mapping) or not value:
        yield f'{key} must be "*" or a mapping such as {{AWS: "123456789012"}}'
        return
    for kind in value:
        if kind not in _PRINCIPAL_TYPES:
            yield f"unknown {key} type '{kind}' (one of {', '.join(_PRINCIPAL_TYPES)})"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def resources_of(document: Mapping[str, Any]) -> Iterator[tuple[int, str]]:
    """(statement index, resource) for every Resource of a canonical policy."""
    statements = document.get("Statement") or []
    for index, statement in enumerate(statements if isinstance(statements, list) else []):
        if isinstance(statement, Mapping):
            for resource in _strings(statement.get("Resource")):
                yield index, resource


def grants_public_access(document: Mapping[str, Any]) -> bool:
    """Whether S3 would call the policy public: an Allow for everyone, with no condition.

    (S3's own test also accepts some conditions as limiting; without one it is always public.)
    """
    for statement in document.get("Statement") or []:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        everyone = principal == "*" or (
            isinstance(principal, Mapping) and "*" in _strings(principal.get("AWS"))
        )
        if everyone and not statement.get("Condition"):
            return True
    return False
