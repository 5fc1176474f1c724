"""IAM policy documents, compared by meaning rather than by text.

IAM stores a policy as the JSON text it was given (and hands it back URL-encoded), so the same
policy written twice can differ in layout, in the order of its statements and actions, and in
whether a single action is a string or a one-element list. The canonical form below removes
every such difference, so an unchanged policy never shows a diff:

- `Version` defaults to "2012-10-17" (the version every current feature needs);
- `Statement` is always a list, sorted by each statement's canonical JSON;
- `Action`/`NotAction`/`Resource`/`NotResource` are sorted lists without repeats;
- `Principal`/`NotPrincipal` values are sorted lists ("*" alone stays "*"), and an account's
  root ARN is written as its bare account id (IAM turns an account id into the root ARN, so
  both spellings must compare equal);
- `Condition` values are sorted lists of strings (IAM compares condition values as text);
- an empty `Sid` is dropped.

Everything here is pure: the spec validators use it on the user's documents, the providers on
what AWS returns. Resource policies (an S3 bucket's, a KMS key's) share the same form and
checks through resource_policy_document, with the rules of the service that holds them.
"""

from __future__ import annotations

import difflib
import json
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from stackdeploy.specs.base import is_ref_like

PolicyKind = Literal["trust", "identity"]
DEFAULT_VERSION = "2012-10-17"
VERSIONS = ("2012-10-17", "2008-10-17")
_LIST_ELEMENTS = ("Action", "NotAction", "Resource", "NotResource")
_PRINCIPAL_ELEMENTS = ("Principal", "NotPrincipal")
_STATEMENT_KEYS = ("Sid", "Effect", *_PRINCIPAL_ELEMENTS, *_LIST_ELEMENTS, "Condition")
_DOCUMENT_KEYS = ("Version", "Id", "Statement")
_PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
_ACCOUNT_ROOT = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):root$")
_SID = re.compile(r"^[A-Za-z0-9]*$")
_ACTION = re.compile(r"^([a-z0-9-]+:[A-Za-z0-9*?]+|\*)$")


def parse_policy(value: Any) -> Any:
    """A policy given as a mapping or as JSON text, as a mapping."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"the policy is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def policy_from_aws(value: Any) -> Any:
    """A policy as AWS returned it, in canonical form.

    boto3 decodes IAM's URL-encoded policy JSON itself; when it cannot (text that is not
    JSON), the raw text is decoded here, and left as text if it still is not JSON, so the
    differ shows it rather than hiding it.
    """
    if isinstance(value, str):
        for text in (value, urllib.parse.unquote(value)):
            try:
                return canonical_policy(json.loads(text))
            except json.JSONDecodeError:
                continue
        return value
    return canonical_policy(value)


def policy_json(document: Any) -> str:
    """The compact JSON text sent to IAM (its size limits do not count whitespace)."""
    return json.dumps(document, separators=(",", ":"))


def policy_document(value: Any, kind: PolicyKind) -> dict[str, Any]:
    """Parse, validate and canonicalize a user's policy; raises ValueError for a bad one."""
    document = parse_policy(value)
    check_policy(document, kind)
    canonical: dict[str, Any] = canonical_policy(document)
    return canonical


@dataclass(frozen=True)
class ResourcePolicyRules:
    """What a service holding a policy on one of its resources (a bucket, a key) refuses.

    Every statement of a resource policy says who (Principal) may do what (Action) to which
    part of the resource (Resource); `notes` says what each of the three means there.
    """

    noun: str  # "bucket policy"
    service: str  # "S3", in the size message
    max_bytes: int
    actions: re.Pattern[str]  # the actions the service accepts
    action_hint: str  # what an action must be, e.g. "an S3 action (s3:GetObject, s3:*)"
    notes: Mapping[str, str]  # "Action" / "Principal" / "Resource" -> what it says here


def resource_policy_document(value: Any, rules: ResourcePolicyRules) -> dict[str, Any]:
    """Parse, check and canonicalize a user's resource policy; raises ValueError for a bad
    one (including one over the service's size limit)."""
    document = parse_policy(value)
    _raise(_problems(document, rules.noun, lambda s: _resource_statement_problems(s, rules), False))
    text = policy_json(document)
    if "${" not in text and len(text.encode()) > rules.max_bytes:
        raise ValueError(
            f"the {rules.noun} is {len(text.encode())} bytes; {rules.service} allows "
            f"{rules.max_bytes}"
        )
    canonical: dict[str, Any] = canonical_policy(document)
    return canonical


# -- canonical form ---------------------------------------------------------------------------


def canonical_policy(document: Any) -> Any:
    """The canonical form of a policy (idempotent; shapes it does not know pass unchanged)."""
    if not isinstance(document, Mapping):
        return document
    result: dict[str, Any] = {"Version": document.get("Version") or DEFAULT_VERSION}
    if document.get("Id") is not None:
        result["Id"] = document["Id"]
    result.update({k: v for k, v in document.items() if k not in _DOCUMENT_KEYS})
    statements = document.get("Statement", [])
    if isinstance(statements, Mapping):
        statements = [statements]
    if isinstance(statements, list):
        canonical = [_canonical_statement(s) for s in statements]
        statements = sorted(canonical, key=lambda s: json.dumps(s, sort_keys=True, default=str))
    result["Statement"] = statements
    return result


def canonical_policies(value: Any) -> Any:
    """`value` with every policy document inside it (a mapping with a Statement) brought to
    canonical form: run again once references and lookups are resolved, since a principal
    written `arn:aws:iam::${aws:account_id}:root` only then reads as the account it names."""
    if isinstance(value, Mapping):
        if "Statement" in value:
            return canonical_policy(value)
        return {key: canonical_policies(item) for key, item in value.items()}
    if isinstance(value, list):
        return [canonical_policies(item) for item in value]
    return value


def _canonical_statement(statement: Any) -> Any:
    if not isinstance(statement, Mapping):
        return statement
    result: dict[str, Any] = {}
    for key, value in statement.items():
        if key in _LIST_ELEMENTS:
            result[key] = _string_set(value)
        elif key in _PRINCIPAL_ELEMENTS:
            result[key] = _canonical_principal(value)
        elif key == "Condition":
            result[key] = _canonical_condition(value)
        elif key == "Sid" and value == "":
            continue  # an empty Sid says nothing
        else:
            result[key] = value
    return result


def _string_set(value: Any) -> Any:
    items = [value] if isinstance(value, str) else value
    if isinstance(items, list) and all(isinstance(item, str) for item in items):
        return sorted(set(items))
    return value


def _canonical_principal(value: Any) -> Any:
    if value == "*" or not isinstance(value, Mapping):
        return value
    result: dict[str, Any] = {}
    for kind, names in value.items():
        canonical = _string_set(names)
        if (
            kind == "AWS"
            and isinstance(canonical, list)
            and all(isinstance(name, str) for name in canonical)
        ):
            canonical = sorted({_account_id(name) for name in canonical})
        result[kind] = canonical
    return result


def _account_id(principal: str) -> str:
    match = _ACCOUNT_ROOT.match(principal)
    return match.group(1) if match else principal


def _condition_text(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _canonical_condition(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    result: dict[str, Any] = {}
    for operator, tests in value.items():
        if not isinstance(tests, Mapping):
            result[operator] = tests
            continue
        canonical: dict[str, Any] = {}
        for key, values in tests.items():
            items = values if isinstance(values, list) else [values]
            canonical[key] = _string_set([_condition_text(v) for v in items])
        result[operator] = canonical
    return result


# -- validation -------------------------------------------------------------------------------


def check_policy(document: Any, kind: PolicyKind) -> None:
    """Raise ValueError naming every rule the policy breaks that IAM would reject it for."""
    _raise(_problems(document, "policy document", lambda s: _statement_problems(s, kind), True))


def _raise(problems: Iterator[str]) -> None:
    found = list(problems)
    if found:
        raise ValueError("; ".join(found))


def _problems(
    document: Any,
    noun: str,
    statement_problems: Callable[[Mapping[str, Any]], Iterator[str]],
    check_sids: bool,
) -> Iterator[str]:
    """The document's problems, then each statement's (`statement_problems`), labelled by
    Sid or position. IAM also wants Sids unique and alphanumeric (`check_sids`); resource
    policies allow any text (KMS's default policy has "Enable IAM User Permissions")."""
    if not isinstance(document, Mapping):
        yield f"a {noun} is a mapping with Version and Statement"
        return
    for key in document:
        if key not in _DOCUMENT_KEYS:
            yield f"unknown policy element '{key}'{_suggestion(key, _DOCUMENT_KEYS)}"
    version = document.get("Version")
    if version is not None and version not in VERSIONS:
        yield f"Version '{version}' is not one of {', '.join(VERSIONS)}"
    statements = document.get("Statement")
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        yield f"a {noun} needs a Statement (a mapping or a non-empty list of them)"
        return
    sids: set[str] = set()
    for index, statement in enumerate(statements, start=1):
        label = f"statement {index}"
        if not isinstance(statement, Mapping):
            yield f"{label} is not a mapping"
            continue
        sid = statement.get("Sid")
        if isinstance(sid, str) and sid:
            label = f"statement '{sid}'"
            if check_sids and sid in sids:
                yield f"Sid '{sid}' is used by more than one statement"
            sids.add(sid)
            if check_sids and not is_ref_like(sid) and not _SID.match(sid):
                yield f"{label}: a Sid may contain only letters and digits"
        yield from (f"{label}: {problem}" for problem in statement_problems(statement))


def _element_problems(statement: Mapping[str, Any]) -> Iterator[str]:
    """What every policy statement must get right, whoever holds the policy."""
    for key in statement:
        if key not in _STATEMENT_KEYS:
            yield f"unknown element '{key}'{_suggestion(key, _STATEMENT_KEYS)}"
    if statement.get("Effect") not in ("Allow", "Deny"):
        yield f"Effect must be Allow or Deny (got {statement.get('Effect')!r})"
    for key in _LIST_ELEMENTS:
        if key in statement and not _is_string_list(statement[key]):
            yield f"{key} must be a string or a list of strings"
    for key in _PRINCIPAL_ELEMENTS:
        if key in statement:
            yield from _principal_problems(key, statement[key])
    condition = statement.get("Condition")
    if condition is not None and not (
        isinstance(condition, Mapping)
        and all(isinstance(tests, Mapping) for tests in condition.values())
    ):
        yield "Condition must map operators to {condition key: values}"


def _actions(statement: Mapping[str, Any]) -> list[str]:
    """The literal actions of a statement (references are checked once resolved)."""
    listed = string_values(statement.get("Action")) + string_values(statement.get("NotAction"))
    return [action for action in listed if not is_ref_like(action)]


def _resource_statement_problems(
    statement: Mapping[str, Any], rules: ResourcePolicyRules
) -> Iterator[str]:
    yield from _element_problems(statement)
    for first in ("Action", "Principal", "Resource"):
        yield from _exactly_one(statement, first, f"Not{first}", rules.notes[first])
    for action in _actions(statement):
        if not rules.actions.match(action):
            yield f"action '{action}' is not {rules.action_hint}"


def _statement_problems(statement: Mapping[str, Any], kind: PolicyKind) -> Iterator[str]:
    yield from _element_problems(statement)
    yield from _exactly_one(statement, "Action", "NotAction")
    for action in _actions(statement):
        if not _ACTION.match(action):
            yield f"action '{action}' is not 'service:Action' (e.g. s3:GetObject) or '*'"
        elif kind == "trust" and not action.startswith(("sts:", "*")):
            yield f"action '{action}': a trust policy allows only sts: actions (sts:AssumeRole)"
    if kind == "trust":
        if "Principal" not in statement:
            yield "a trust policy statement needs Principal (who may assume the role)"
        if "NotPrincipal" in statement:
            yield "a trust policy cannot use NotPrincipal"
        for key in ("Resource", "NotResource"):
            if key in statement:
                yield f"a trust policy has no {key}: the role itself is the resource"
    else:
        for key in _PRINCIPAL_ELEMENTS:
            if key in statement:
                yield f"a permissions policy has no {key}: it applies to the role's sessions"
        yield from _exactly_one(statement, "Resource", "NotResource")


def _exactly_one(
    statement: Mapping[str, Any], first: str, second: str, note: str | None = None
) -> Iterator[str]:
    if first in statement and second in statement:
        yield f"use either {first} or {second}, not both"
    elif first not in statement and second not in statement:
        yield (
            f"{first} (or {second}) is required"
            if note is None
            else f"{first} is required ({note})"
        )


def _principal_problems(key: str, value: Any) -> Iterator[str]:
    if value == "*":
        return
    if not isinstance(value, Mapping) or not value:
        yield f'{key} must be "*" or a mapping such as {{Service: ec2.amazonaws.com}}'
        return
    for kind, names in value.items():
        if kind not in _PRINCIPAL_TYPES:
            yield (
                f"unknown {key} type '{kind}' (one of {', '.join(_PRINCIPAL_TYPES)})"
                f"{_suggestion(kind, _PRINCIPAL_TYPES)}"
            )
        elif not _is_string_list(names):
            yield f"{key} {kind} must be a string or a list of strings"


def _is_string_list(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def string_values(value: Any) -> list[str]:
    """The strings of an element that holds a string or a list of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _suggestion(word: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    if not close:
        close = [k for k in known if k.lower() == word.lower()]
    return f"; did you mean '{close[0]}'?" if close else ""
