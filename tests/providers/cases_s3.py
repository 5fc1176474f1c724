"""Contract case for the s3 family: a bucket with every configuration the type manages.

The subject has an explicit name under the stack's prefix (`contract-...`): a generated one
holds the `${aws:account_id}` lookup, which only a plan resolves. Prerequisites (the KMS key
id, the replication role) are plain strings S3 stores without checking.
"""

from __future__ import annotations

from typing import Any

from tests.providers.harness import ContractCase, Prerequisites

NAME = "contract-subject-logs"
KMS_KEY = "arn:aws:kms:us-west-2:123456789012:key/0a1b2c3d-0000-1111-2222-333344445555"


def policy(name: str = NAME, action: str | list[str] = "s3:GetObject") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadFromAccount",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": action,
                "Resource": f"arn:aws:s3:::{name}/*",
            }
        ],
    }


def _properties(_: Prerequisites) -> dict[str, Any]:
    return {
        "name": NAME,
        "versioning": "Enabled",
        "lifecycle_rules": [
            {
                "id": "archive",
                "prefix": "logs/",
                "transitions": [
                    {"days": 90, "storage_class": "GLACIER"},
                    {"days": 30, "storage_class": "STANDARD_IA"},
                ],
                "expiration_days": 365,
                "noncurrent_expiration_days": 30,
                "abort_incomplete_multipart_upload_days": 7,
            },
            {"id": "tmp", "tags": {"kind": "scratch"}, "expiration_days": 1},
        ],
        "policy": policy(),
        "encryption": {"algorithm": "aws:kms", "kms_key_id": KMS_KEY, "bucket_key": True},
        "tags": {"team": "data"},
    }


def _changed(_: Prerequisites, props: dict[str, Any]) -> dict[str, Any]:
    return {
        **props,
        "versioning": "Suspended",
        "lifecycle_rules": [{"id": "tmp", "prefix": "tmp/", "expiration_days": 2}],
        "policy": policy(action=["s3:GetObject", "s3:GetObjectVersion"]),
        "encryption": {"algorithm": "AES256"},
        "public_access_block": {"block_public_acls": False, "ignore_public_acls": False},
        "object_ownership": "BucketOwnerPreferred",
        "force_destroy": True,
        "tags": {"team": "platform"},
    }


BUCKET = ContractCase(
    "aws.s3.bucket",
    properties=_properties,
    in_place_change=_changed,
    replacing_change=lambda p, props: {**props, "name": f"{NAME}-2"},
)

CASES = [BUCKET]
