"""KMS key policies: parsed, checked and compared by meaning.

A key policy is a resource policy: every statement names who (Principal) may do what (Action)
to the key (Resource, always "*": "this key"). The canonical form and the checks are IAM's
(see specs/iam/policy.py), so a key policy written in another layout, order or spelling
compares equal to what KMS hands back.
"""

from __future__ import annotations

import re
from typing import Any

from stackdeploy.specs.iam.policy import ResourcePolicyRules, resource_policy_document

MAX_POLICY_BYTES = 32_768  # KMS: a key policy is at most 32 KB
_RULES = ResourcePolicyRules(
    noun="key policy",
    service="KMS",
    max_bytes=MAX_POLICY_BYTES,
    actions=re.compile(r"^([a-z0-9-]+:[A-Za-z0-9*?]+|\*)$"),
    action_hint="'kms:Action' (e.g. kms:Decrypt) or '*'",
    notes={
        "Action": "what it allows or denies",
        "Principal": "who may use or manage the key",
        "Resource": 'in a key policy it is "*", meaning this key',
    },
)


def key_policy(value: Any) -> dict[str, Any]:
    """Parse, check and canonicalize a user's key policy; raises ValueError for a bad one."""
    return resource_policy_document(value, _RULES)
