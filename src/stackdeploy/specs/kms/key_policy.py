"""KMS key policies: parsed, checked and compared by meaning.

A key policy is a resource policy: every statement names who (Principal) may do what (Action)
to the key (Resource, always "*": "this key"). The canonical form is IAM's (see
specs/iam/policy.py), so a key policy written in another layout, order or spelling compares
equal to what KMS hands back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from stackdeploy.specs.base import is_ref_like
from stackdeploy.specs.iam.policy import canonical_policy, parse_policy

MAX_POLICY_BYTES = 32_768  # KMS: a key policy is at most 32 KB
_VERSIONS = ("2012-10-17", "2008-10-17")
_DOCUMENT_KEYS = ("Version", "Id", "Statement")
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


def key_policy(value: Any) -> dict[str, Any]:
    """Parse, check and canonicalize a user's key policy; raises ValueError for a bad one."""
    document = parse_policy(value)
    problems = list(_problems(document))
    if problems:
        raise ValueError("; ".join(problems))
    text = json.dumps(document, separators=(",", ":"))
    if "${" not in text and len(text.encode()) > MAX_POLICY_BYTES:
        raise ValueError(
            f"the key policy is {len(text.encode())} bytes; KMS allows {MAX_POLICY_BYTES}"
        )
    canonical: dict[str, Any] = canonical_policy(document)
    return canonical


def _problems(document: Any) -> Iterator[str]:
    if not isinstance(document, Mapping):
        yield "a key policy is a mapping with Version and Statement"
        return
    for key in document:
        if key not in _DOCUMENT_KEYS:
            yield f"unknown policy element '{key}'"
    version = document.get("Version")
    if version is not None and version not in _VERSIONS:
        yield f"Version '{version}' is not one of {', '.join(_VERSIONS)}"
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        yield "a key policy needs a Statement (a mapping or a non-empty list of them)"
        return
    for index, statement in enumerate(statements, start=1):
        if not isinstance(statement, Mapping):
            yield f"statement {index} is not a mapping"
            continue
        label = f"statement '{statement['Sid']}'" if statement.get("Sid") else f"statement {index}"
        yield from (f"{label}: {problem}" for problem in _statement_problems(statement))


def _statement_problems(statement: Mapping[str, Any]) -> Iterator[str]:
    for key in statement:
        if key not in _STATEMENT_KEYS:
            yield f"unknown element '{key}'"
    if statement.get("Effect") not in ("Allow", "Deny"):
        yield f"Effect must be Allow or Deny (got {statement.get('Effect')!r})"
    # A key policy is attached to the key: who it applies to must be said.
    if "Principal" not in statement and "NotPrincipal" not in statement:
        yield "a key policy statement needs Principal (who may use or manage the key)"
    if "Action" not in statement and "NotAction" not in statement:
        yield "Action (or NotAction) is required"
    if "Resource" not in statement and "NotResource" not in statement:
        yield 'Resource is required (in a key policy it is "*", meaning this key)'
    for action in _strings(statement.get("Action")) + _strings(statement.get("NotAction")):
        if not is_ref_like(action) and action != "*" and ":" not in action:
            yield f"action '{action}' is not 'kms:Action' (e.g. kms:Decrypt) or '*'"


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
