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

from stackdeploy.specs.iam.policy import (
    ResourcePolicyRules,
    resource_policy_document,
    string_values,
)

MAX_POLICY_BYTES = 20 * 1024
_RULES = ResourcePolicyRules(
    noun="bucket policy",
    service="S3",
    max_bytes=MAX_POLICY_BYTES,
    actions=re.compile(r"^(s3:[A-Za-z0-9*?]+|\*)$"),
    action_hint="an S3 action (s3:GetObject, s3:*)",
    notes={
        "Action": "which requests it is about",
        "Principal": "who it applies to",
        "Resource": "the bucket or its objects",
    },
)


def bucket_policy_document(value: Any) -> dict[str, Any]:
    """A user's bucket policy, validated and canonical; {} when there is none."""
    if value is None or value in ({}, ""):
        return {}
    return resource_policy_document(value, _RULES)


def resources_of(document: Mapping[str, Any]) -> Iterator[tuple[int, str]]:
    """(statement index, resource) for every Resource of a canonical policy."""
    statements = document.get("Statement") or []
    for index, statement in enumerate(statements if isinstance(statements, list) else []):
        if isinstance(statement, Mapping):
            for resource in string_values(statement.get("Resource")):
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
            isinstance(principal, Mapping) and "*" in string_values(principal.get("AWS"))
        )
        if everyone and not statement.get("Condition"):
            return True
    return False
