"""aws.kms.key: a customer managed KMS key, with its alias, key policy and rotation.

Its physical id is its key id. The key spec and usage are fixed at creation; the description,
key policy, rotation, the enabled flag and the alias change in place. The alias is part of the
key: it is created with the key, moved when the key is replaced and deleted with it.

KMS never deletes a key at once: destroy schedules the deletion after a waiting period of
`deletion_window_days` (7 to 30), during which CancelKeyDeletion recovers it. A key pending
deletion counts as gone: it can no longer be used, and a new apply creates a new key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import (
    MAX_USER_TAGS,
    Issue,
    ReplaceStrategy,
    ResourceType,
    TaggedSpec,
    is_ref_like,
)
from stackdeploy.specs.kms.key_policy import key_policy

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

TYPE_NAME = "aws.kms.key"
DEFAULT_DELETION_WINDOW = 7
MAX_DESCRIPTION = 8192
# KMS allows 50 tags; stackdeploy keeps its ownership tags and the deletion window's.
MAX_KEY_TAGS = MAX_USER_TAGS - 1
_ALIAS = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")

KeyUsage = Literal["ENCRYPT_DECRYPT", "SIGN_VERIFY", "GENERATE_VERIFY_MAC", "KEY_AGREEMENT"]
KeySpec = Literal[
    "SYMMETRIC_DEFAULT",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "SM2",
]


def usages_of(key_spec: str) -> tuple[str, ...]:
    """The key usages KMS accepts for a key spec."""
    if key_spec == "SYMMETRIC_DEFAULT":
        return ("ENCRYPT_DECRYPT",)
    if key_spec.startswith("RSA_"):
        return ("ENCRYPT_DECRYPT", "SIGN_VERIFY")
    if key_spec.startswith("ECC_NIST_"):
        return ("SIGN_VERIFY", "KEY_AGREEMENT")
    if key_spec == "ECC_SECG_P256K1":
        return ("SIGN_VERIFY",)
    if key_spec.startswith("HMAC_"):
        return ("GENERATE_VERIFY_MAC",)
    return ("ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT")  # SM2 (China regions)


def check_alias(value: str) -> str:
    if value == "" or is_ref_like(value):
        return value
    if not _ALIAS.match(value):
        raise ValueError(
            f"alias '{value}' must start with 'alias/' followed by up to 250 letters, digits, "
            "'/', '_' or '-' (e.g. alias/app-data)"
        )
    if value.lower().startswith("alias/aws/"):
        raise ValueError(f"alias '{value}': the alias/aws/ prefix is reserved for AWS managed keys")
    return value


class KmsKeySpec(TaggedSpec):
    description: str = Field("", description="What the key protects (up to 8192 characters).")
    key_usage: KeyUsage = Field(
        "ENCRYPT_DECRYPT",
        description="ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC or KEY_AGREEMENT. "
        "Fixed after creation.",
    )
    key_spec: KeySpec = Field(
        "SYMMETRIC_DEFAULT",
        description="SYMMETRIC_DEFAULT (AES-256, what AWS services use), RSA_*, ECC_*, HMAC_*. "
        "Fixed after creation.",
    )
    enable_key_rotation: bool = Field(
        False,
        description="Rotate the key material every year (symmetric keys only); data encrypted "
        "with older material still decrypts.",
    )
    policy: dict[str, Any] | str | None = Field(
        None,
        description="Key policy (mapping or JSON text). Omitted: not managed; a new key gets "
        "AWS's default key policy (the account administers the key through IAM).",
    )
    alias: str = Field(
        "", description="A friendly name, alias/<name>, unique in the region; empty: none."
    )
    enabled: bool = Field(
        True, description="A disabled key cannot encrypt or decrypt until it is enabled again."
    )
    deletion_window_days: int = Field(
        DEFAULT_DELETION_WINDOW,
        description="Days (7 to 30) a destroyed key waits, recoverable, before KMS deletes it.",
    )

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        if len(value) > MAX_DESCRIPTION:
            raise ValueError(
                f"a key description is at most {MAX_DESCRIPTION} characters ({len(value)})"
            )
        return value

    @field_validator("policy")
    @classmethod
    def _policy(cls, value: dict[str, Any] | str | None) -> dict[str, Any] | None:
        return None if value is None else key_policy(value)

    @field_validator("alias")
    @classmethod
    def _alias(cls, value: str) -> str:
        return check_alias(value)

    @field_validator("deletion_window_days")
    @classmethod
    def _window(cls, value: int) -> int:
        if not 7 <= value <= 30:
            raise ValueError(
                f"deletion_window_days {value} is outside 7 to 30: KMS waits at least 7 and "
                "at most 30 days before it deletes a key"
            )
        return value

    @field_validator("tags")
    @classmethod
    def _tag_count(cls, tags: dict[str, str]) -> dict[str, str]:
        if len(tags) > MAX_KEY_TAGS:
            raise ValueError(f"at most {MAX_KEY_TAGS} tags per KMS key ({len(tags)} given)")
        return tags

    @model_validator(mode="after")
    def _usage_fits_spec(self) -> KmsKeySpec:
        allowed = usages_of(self.key_spec)
        if self.key_usage not in allowed:
            raise ValueError(
                f"key_usage {self.key_usage} does not fit key_spec {self.key_spec} "
                f"(allowed: {', '.join(allowed)})"
            )
        if self.enable_key_rotation and self.key_spec != "SYMMETRIC_DEFAULT":
            raise ValueError(
                f"enable_key_rotation: KMS rotates only SYMMETRIC_DEFAULT keys, not {self.key_spec}"
            )
        return self


def _unique_aliases(stack: Stack) -> Iterator[Issue]:
    seen: dict[tuple[str, str], str] = {}
    for resource in stack.resources.values():
        alias = resource.properties.get("alias") if resource.type == TYPE_NAME else None
        if not isinstance(alias, str) or not alias or is_ref_like(alias):
            continue
        other = seen.setdefault((resource.region, alias), resource.logical_id)
        if other != resource.logical_id:
            yield Issue(
                resource.logical_id,
                ("alias",),
                f"alias '{alias}' is also given to '{other}' in {resource.region}",
                hint="an alias names one key per region",
            )


def _delete_note(applied: dict[str, Any] | None) -> str:
    days = (applied or {}).get("deletion_window_days") or DEFAULT_DELETION_WINDOW
    note = (
        f"the key is scheduled for deletion in {days} days; until then it can be recovered "
        "with CancelKeyDeletion (data encrypted under it is unreadable once it is deleted)"
    )
    if applied and applied.get("alias"):
        note += f"; its alias {applied['alias']} is deleted now"
    return note


_FIXED = "; a new key is created (the alias moves to it) and the old one is scheduled for deletion"

KMS_KEY = ResourceType(
    exercise_settings={"deletion_window_days": 7},
    duplicable=True,
    data_store=True,
    name=TYPE_NAME,
    spec=KmsKeySpec,
    summary="A customer managed KMS key (regional), with its alias, key policy and rotation.",
    attributes={
        "id": "Key id (a UUID)",
        "arn": "Key ARN (arn:aws:kms:<region>:<account>:key/<id>): what other services take",
        "alias_arn": "ARN of its alias, when it has one",
    },
    create_only=frozenset({"key_spec", "key_usage"}),
    # The new key exists before the old one is scheduled for deletion, so whatever uses the
    # key (a table's encryption) switches over in place; KMS keys have no unique name.
    replace_strategy=ReplaceStrategy.CREATE_THEN_DELETE,
    # Keys go last, after what they may encrypt, even with no reference between them (a key
    # ARN written out, or a table found only by its tags): a key pending deletion leaves
    # them unreadable, and RDS needs the key to take a final snapshot.
    delete_after=frozenset(
        {"aws.dynamodb.table", "aws.rds.db_instance", "aws.rds.db_replica", "aws.s3.bucket"}
    ),
    replace_notes={
        "key_spec": "a key's spec is fixed at creation" + _FIXED,
        "key_usage": "a key's usage is fixed at creation" + _FIXED,
    },
    replace_warning=(
        "data encrypted under the old key stays readable only until the old key is deleted "
        "(after its deletion window): re-encrypt it under the new key before then"
    ),
    update_notes={
        "enabled": "a disabled key cannot encrypt or decrypt: everything that uses it fails "
        "until it is enabled again",
        "enable_key_rotation": "KMS rotates the key material yearly; older material still decrypts",
        "policy": "who may use and administer the key changes at once",
        "alias": "the alias moves: whatever names the key by its old alias stops finding it",
        "deletion_window_days": "only how long a destroyed key stays recoverable",
    },
    checks=(_unique_aliases,),
    delete_notes=_delete_note,
    unique_properties={"alias": "in the region"},
)
