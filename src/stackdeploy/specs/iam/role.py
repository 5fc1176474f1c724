"""aws.iam.role: an IAM role with its trust policy, managed policies and inline policies.

Policy documents are compared by meaning (see policy.py), so reordering statements or
actions, or writing a single action as a string, never shows a change.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from stackdeploy.specs.base import (
    Derived,
    Issue,
    Place,
    ResourceType,
    StackCheck,
    TaggedSpec,
    derived_from_name,
    is_ref_like,
)
from stackdeploy.specs.iam.policy import policy_document, policy_json

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

TYPE_NAME = "aws.iam.role"
MAX_MANAGED_POLICIES = 20  # 10 by default; 20 with a quota increase
INLINE_POLICIES_MAX_CHARS = 10_240  # all of a role's inline policies together
_IAM_NAME = re.compile(r"^[\w+=,.@-]+$", re.ASCII)
_PATH = re.compile(r"^/$|^/[\x21-\x7e]+/$")
_DESCRIPTION = re.compile(r"^[\t\n\r\x20-\x7e\xa1-\xff]*$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/.+$")


def check_iam_name(value: str, what: str, max_length: int) -> str:
    """IAM names: letters, digits and +=,.@_- only, and a length limit."""
    if is_ref_like(value):
        return value
    if not 1 <= len(value) <= max_length:
        raise ValueError(f"{what} must be 1 to {max_length} characters ({len(value)} given)")
    if not _IAM_NAME.match(value):
        bad = sorted({c for c in value if not _IAM_NAME.match(c)})
        raise ValueError(
            f"{what} '{value}' has characters IAM rejects: {' '.join(repr(c) for c in bad)} "
            "(allowed: letters, digits and +=,.@_-)"
        )
    return value


def iam_arn(kind: str, props: Mapping[str, Any], place: Place) -> str:
    """An IAM entity's ARN, which IAM derives from the account, the path and the name."""
    path = props.get("path") or "/"
    return f"arn:{place.partition}:iam::{place.account}:{kind}{path}{props['name']}"


def check_iam_path(value: str) -> str:
    if is_ref_like(value):
        return value
    if len(value) > 512 or not _PATH.match(value):
        raise ValueError(
            f"path '{value}' must be '/' or start and end with '/' (e.g. /app/), "
            "with printable ASCII between, at most 512 characters"
        )
    return value


class RoleSpec(TaggedSpec):
    name: str | None = Field(
        None, description="Role name, unique in the account (any case); <stack>-<id> if omitted."
    )
    path: str = Field("/", description="Path that groups roles, e.g. /app/. Fixed after creation.")
    description: str = Field("", description="What the role is for (up to 1000 characters).")
    assume_role_policy: dict[str, Any] | str = Field(
        description="Trust policy (mapping or JSON text): who may assume the role, e.g. "
        "{Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, "
        "Action: sts:AssumeRole}]}."
    )
    managed_policy_arns: list[str] = Field(
        default_factory=list,
        description="Managed policies to attach, e.g. arn:aws:iam::aws:policy/ReadOnlyAccess.",
    )
    inline_policies: dict[str, dict[str, Any] | str] = Field(
        default_factory=dict,
        description="Policies embedded in the role: policy name -> document (mapping or JSON).",
    )
    max_session_duration: int = Field(
        3600, description="Longest session, in seconds: 3600 (1 h) to 43200 (12 h)."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return None if value is None else check_iam_name(value, "role name", 64)

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return check_iam_path(value)

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        if len(value) > 1000:
            raise ValueError(f"a role description is at most 1000 characters ({len(value)})")
        if not _DESCRIPTION.match(value):
            raise ValueError("a role description may hold printable Latin-1 characters only")
        return value

    @field_validator("assume_role_policy")
    @classmethod
    def _trust(cls, value: dict[str, Any] | str) -> dict[str, Any]:
        return policy_document(value, "trust")

    @field_validator("managed_policy_arns")
    @classmethod
    def _managed(cls, values: list[str]) -> list[str]:
        for arn in values:
            if not is_ref_like(arn) and not _POLICY_ARN.match(arn):
                raise ValueError(
                    f"'{arn}' is not a managed policy ARN; AWS managed policies look like "
                    f"arn:aws:iam::aws:policy/{arn.rsplit('/', 1)[-1] or 'ReadOnlyAccess'}"
                )
        repeated = sorted({arn for arn in values if values.count(arn) > 1})
        if repeated:
            raise ValueError(f"{', '.join(repeated)} is listed more than once")
        if len(values) > MAX_MANAGED_POLICIES:
            raise ValueError(
                f"{len(values)} managed policies; a role can have at most "
                f"{MAX_MANAGED_POLICIES} (10 unless the quota was raised)"
            )
        return values

    @field_validator("inline_policies")
    @classmethod
    def _inline(cls, values: dict[str, dict[str, Any] | str]) -> dict[str, dict[str, Any] | str]:
        documents: dict[str, dict[str, Any] | str] = {}
        for name, document in values.items():
            check_iam_name(name, "inline policy name", 128)
            try:
                documents[name] = policy_document(document, "identity")
            except ValueError as error:
                raise ValueError(f"inline policy '{name}': {error}") from None
        # IAM counts the characters of all inline policies together, without whitespace;
        # references resolve to unknown lengths, so those are left for IAM to judge.
        text = "".join(policy_json(d) for d in documents.values())
        if "${" not in text and len(text) > INLINE_POLICIES_MAX_CHARS:
            raise ValueError(
                f"the inline policies total {len(text)} characters; IAM allows "
                f"{INLINE_POLICIES_MAX_CHARS} per role (use managed policies for more)"
            )
        return documents

    @field_validator("max_session_duration")
    @classmethod
    def _session(cls, value: int) -> int:
        if not 3600 <= value <= 43200:
            raise ValueError(f"max_session_duration {value} is outside 3600 to 43200 seconds")
        return value


def unique_names(type_name: str, noun: str) -> StackCheck:
    """A stack check: IAM names are unique per account regardless of case."""

    def check(stack: Stack) -> Iterator[Issue]:
        seen: dict[str, str] = {}
        for resource in stack.resources.values():
            name = resource.properties.get("name") if resource.type == type_name else None
            if not isinstance(name, str) or is_ref_like(name):
                continue
            other = seen.setdefault(name.lower(), resource.logical_id)
            if other != resource.logical_id:
                yield Issue(
                    resource.logical_id,
                    ("name",),
                    f"{noun} name '{name}' is also used by '{other}' "
                    "(IAM names are unique per account, whatever their case)",
                )

    return check


ROLE = ResourceType(
    name=TYPE_NAME,
    spec=RoleSpec,
    summary="An IAM role (global): a trust policy plus the permissions its sessions get.",
    attributes={
        "id": "Role name",
        "name": "Role name",
        "arn": "Role ARN (arn:aws:iam::<account>:role/<path><name>)",
        "unique_id": "Stable unique id (AROA...), which changes if the role is re-created",
    },
    create_only=frozenset({"name", "path"}),
    derived_attributes={
        "id": derived_from_name(lambda name, _: name),
        "name": derived_from_name(lambda name, _: name),
        "arn": Derived(("name", "path"), lambda props, place: iam_arn("role", props, place)),
    },
    unordered=frozenset({"managed_policy_arns"}),
    replace_notes={
        "name": "an IAM role cannot be renamed",
        "path": "an IAM role's path is fixed at creation",
    },
    update_notes={
        "assume_role_policy": "who may assume the role changes for new sessions",
        "managed_policy_arns": "permissions change for every session of the role at once, "
        "without restarts (IAM takes a few seconds to propagate)",
        "inline_policies": "permissions change for every session of the role at once, "
        "without restarts (IAM takes a few seconds to propagate)",
    },
    checks=(unique_names(TYPE_NAME, "role"),),
    name_property="name",
    name_max_length=64,
    name_unique_in="account",
    global_service=True,
    discover_by_name=True,
    # IAM evaluates a session's permissions on every request, so they end with the role.
    delete_notes="whatever uses the role (instances through their instance profile) loses "
    "its permissions at once; instance profiles holding it are emptied first",
    typical_create_seconds=3.0,
)
