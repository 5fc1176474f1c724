"""Contract cases for the kms family: customer managed keys.

The in-place change touches everything KMS changes in place at once (description, policy,
rotation, alias, enabled flag, deletion window, tags); the order the provider needs (rotation
before the key is disabled) is part of what it proves.
"""

from __future__ import annotations

from typing import Any

from tests.providers.harness import ContractCase, Prerequisites

ACCOUNT_ROOT = "arn:aws:iam::123456789012:root"

ADMIN_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Admin",
            "Effect": "Allow",
            "Principal": {"AWS": ACCOUNT_ROOT},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}

DECRYPT_FOR_ROLE: dict[str, Any] = {
    "Sid": "AppDecrypts",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
    "Action": ["kms:Decrypt", "kms:DescribeKey"],
    "Resource": "*",
}


def _key(p: Prerequisites) -> dict[str, Any]:
    return {
        "description": "contract data key",
        "alias": "alias/contract-data",
        "enable_key_rotation": True,
        "policy": ADMIN_POLICY,
        "tags": {"team": "data"},
    }


KEY = ContractCase(
    "aws.kms.key",
    properties=_key,
    in_place_change=lambda p, props: {
        **props,
        "description": "contract data key, v2",
        "alias": "alias/contract-data-v2",
        "enable_key_rotation": False,
        "policy": {**ADMIN_POLICY, "Statement": [*ADMIN_POLICY["Statement"], DECRYPT_FOR_ROLE]},
        "enabled": False,
        "deletion_window_days": 30,
        "tags": {"team": "platform"},
    },
    replacing_change=lambda p, props: {
        **props,
        "key_spec": "RSA_2048",
        "enable_key_rotation": False,
    },
)

SIGNING_KEY = ContractCase(
    "aws.kms.key",
    id="aws.kms.key[signing]",
    # No policy: the default key policy AWS gives the key is kept and never compared.
    properties=lambda p: {"key_spec": "ECC_NIST_P256", "key_usage": "SIGN_VERIFY"},
    in_place_change=lambda p, props: {**props, "alias": "alias/contract-signing"},
    replacing_change=lambda p, props: {**props, "key_usage": "KEY_AGREEMENT"},
)

CASES = [KEY, SIGNING_KEY]
