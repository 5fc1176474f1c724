"""IAM as AWS runs it, where moto is lenient: names, policies, propagation.

moto already answers as AWS does, so none of this is repeated here: DeleteRole while the role
has policies or sits in an instance profile, and DeleteInstanceProfile while it holds a role
(DeleteConflict); a second role in one profile (LimitExceeded); an exact duplicate name
(EntityAlreadyExists); a trust policy with a Resource, or an inline policy that is not JSON
(MalformedPolicyDocument). EC2 key pairs need nothing: moto refuses duplicate names and bad
key material with AWS's codes.

What moto lets through and AWS refuses, with AWS's codes and messages:
- CreateRole / CreateInstanceProfile with a name IAM's pattern rejects (ValidationError), or
  one that differs from an existing name only in case: IAM names are unique per account
  whatever their case (EntityAlreadyExists);
- CreateRole / UpdateAssumeRolePolicy with a trust policy that is not JSON, or with a
  statement that names no Principal (MalformedPolicyDocument);
- a role is not visible to AddRoleToInstanceProfile at once after CreateRole (IAM is
  eventually consistent): the first `iam_propagation_attempts` calls (default 1; set the
  attribute on the StrictAws to change it) answer NoSuchEntity, as AWS does for a few seconds.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from tests.strict.core import AwsError, Call, StrictAws

_NAME = re.compile(r"^[\w+=,.@-]+$", re.ASCII)
_NAME_RULES = {
    # operation: (parameter, AWS's member name in the message, max length, list call, keys)
    "CreateRole": ("RoleName", "roleName", 64, "list_roles", "Roles"),
    "CreateInstanceProfile": (
        "InstanceProfileName",
        "instanceProfileName",
        128,
        "list_instance_profiles",
        "InstanceProfiles",
    ),
}
_EXISTS = {
    "CreateRole": "Role with name {} already exists.",
    "CreateInstanceProfile": "Instance Profile {} already exists.",
}
_NO_PRINCIPAL = (
    "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: "
    "The passed in policy has a statement with no principals!"
)


def register(strict: StrictAws) -> None:
    Iam(strict)


class Iam:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        self._lock = threading.Lock()
        self._unpropagated: dict[str, int] = {}  # role name -> refusals still to give
        for operation in _NAME_RULES:
            strict.before("iam", operation, self.unique_valid_name)
        strict.before("iam", "CreateRole", self.trust_policy)
        strict.before("iam", "UpdateAssumeRolePolicy", self.trust_policy)
        strict.after("iam", "CreateRole", self.role_created)
        strict.before("iam", "AddRoleToInstanceProfile", self.role_propagated)

    def unique_valid_name(self, call: Call) -> None:
        parameter, member, max_length, list_call, items_key = _NAME_RULES[call.operation]
        name = str(call.params.get(parameter, ""))
        if not _NAME.match(name) or len(name) > max_length:
            constraint = (
                f"Member must have length less than or equal to {max_length}"
                if _NAME.match(name)
                else r"Member must satisfy regular expression pattern: [\w+=,.@-]+"
            )
            raise AwsError(
                "ValidationError",
                f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy "
                f"constraint: {constraint}",
            )
        iam = self._strict.plain("iam", call.region)
        existing = [
            item[parameter]
            for page in iam.get_paginator(list_call).paginate()
            for item in page[items_key]
        ]
        # An exact duplicate is refused by moto itself; a differently cased one is not.
        if any(other.lower() == name.lower() and other != name for other in existing):
            raise AwsError("EntityAlreadyExists", _EXISTS[call.operation].format(name), 409)

    def trust_policy(self, call: Call) -> None:
        key = "AssumeRolePolicyDocument" if call.operation == "CreateRole" else "PolicyDocument"
        text = call.params.get(key)
        if not isinstance(text, str):
            return
        try:
            document: Any = json.loads(text)
        except json.JSONDecodeError:
            raise AwsError("MalformedPolicyDocument", "This policy contains invalid Json") from None
        statements = document.get("Statement") if isinstance(document, dict) else None
        if isinstance(statements, dict):
            statements = [statements]
        for statement in statements if isinstance(statements, list) else []:
            if isinstance(statement, dict) and "Principal" not in statement:
                raise AwsError("MalformedPolicyDocument", _NO_PRINCIPAL)

    def role_created(self, call: Call, parsed: dict[str, Any]) -> None:
        name = (parsed.get("Role") or {}).get("RoleName")
        attempts = int(getattr(self._strict, "iam_propagation_attempts", 1))
        if name and attempts > 0:
            with self._lock:
                self._unpropagated[str(name)] = attempts

    def role_propagated(self, call: Call) -> None:
        name = str(call.params.get("RoleName", ""))
        with self._lock:
            remaining = self._unpropagated.get(name, 0)
            if remaining <= 0:
                return
            self._unpropagated[name] = remaining - 1
        raise AwsError("NoSuchEntity", f"The role with name {name} cannot be found.", 404)
