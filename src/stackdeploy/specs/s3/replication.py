"""Cross-region replication: rules copying new objects to a bucket in another region.

S3 needs versioning Enabled on the source and on every destination, and an IAM role it
assumes to read the source and write the destinations (the role's trust policy must allow
s3.amazonaws.com). Replication copies only objects written after it is set up.

Objects encrypted with a KMS key (SSE-KMS, DSSE-KMS) are skipped unless a rule selects them
(SourceSelectionCriteria.SseKmsEncryptedObjects) and names the key, in the destination's
region, that encrypts the replicas (Destination.EncryptionConfiguration.ReplicaKmsKeyID).
S3 accepts a rule missing either and replicates none of those objects, so the stack checks
(kms_replication.py) refuse that for a KMS-encrypted bucket.

The configuration is sent in its current form (a Filter, a Priority and
DeleteMarkerReplication on every rule), which is also how S3 reads it back.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import Spec, check_user_tags, is_ref_like
from stackdeploy.specs.s3.names import bucket_name_problem, bucket_of_arn

MAX_RULES = 1000
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
# S3 takes a key ARN or an alias ARN: a bare key id or alias would be resolved in the account
# that makes the request, not necessarily the destination bucket's.
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)/[^/].*$")

ReplicaStorageClass = Literal[
    "STANDARD",
    "STANDARD_IA",
    "INTELLIGENT_TIERING",
    "ONEZONE_IA",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
]


class ReplicationRule(Spec):
    id: str = Field(description="Unique name of the rule (up to 255 characters).")
    destination: str = Field(
        description="Destination bucket ARN, usually ${replica.arn} (arn:aws:s3:::name)."
    )
    priority: int | None = Field(
        None,
        ge=0,
        description="Which rule wins when filters overlap (higher wins); rules listed first "
        "win when omitted.",
    )
    enabled: bool = True
    prefix: str = Field("", description="Only keys starting with this; all keys if empty.")
    tags: dict[str, str] = Field(
        default_factory=dict, description="Only objects carrying all these tags."
    )
    storage_class: ReplicaStorageClass | None = Field(
        None, description="Storage class of the replicas; the source object's when omitted."
    )
    delete_marker_replication: bool = Field(
        False, description="Replicate delete markers too (not with a tag filter)."
    )
    sse_kms_encrypted_objects: bool = Field(
        False,
        description="Replicate objects encrypted with a KMS key (SSE-KMS, DSSE-KMS) too; S3 "
        "skips them otherwise. Needs replica_kms_key_id.",
    )
    replica_kms_key_id: str | None = Field(
        None,
        description="ARN of the KMS key that encrypts the replicas, in the destination "
        "bucket's region, usually ${replica_key.arn}.",
    )
    replica_modifications: bool = Field(
        False,
        description="Also replicate metadata changes made to replicas held in this bucket "
        "(replica modification sync, for two-way replication).",
    )

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not 1 <= len(value) <= 255:
            raise ValueError("a rule id is 1 to 255 characters")
        return value

    @field_validator("destination")
    @classmethod
    def _destination(cls, value: str) -> str:
        if is_ref_like(value):
            return value
        bucket = bucket_of_arn(value)
        if bucket is None:
            raise ValueError(
                f"'{value}' is not a bucket ARN (arn:aws:s3:::<bucket>); refer to a bucket of "
                "this stack as ${name.arn}"
            )
        problem = bucket_name_problem(bucket)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        return check_user_tags(tags)

    @field_validator("replica_kms_key_id")
    @classmethod
    def _replica_key(cls, value: str | None) -> str | None:
        if value is None or is_ref_like(value) or _KMS_KEY_ARN.match(value):
            return value
        raise ValueError(
            f"'{value}' is not a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>, or "
            "an alias ARN); refer to a key of this stack as ${name.arn}"
        )

    @model_validator(mode="after")
    def _markers_without_tags(self) -> ReplicationRule:
        if self.delete_marker_replication and self.tags:
            raise ValueError(
                "delete_marker_replication cannot be used with a tag filter (S3 refuses it)"
            )
        return self

    @model_validator(mode="after")
    def _kms_objects_need_a_replica_key(self) -> ReplicationRule:
        if self.sse_kms_encrypted_objects and self.replica_kms_key_id is None:
            raise ValueError(
                "sse_kms_encrypted_objects needs replica_kms_key_id: the KMS key, in the "
                "destination bucket's region, that encrypts the replicas (S3 refuses the rule "
                "without it)"
            )
        return self


class Replication(Spec):
    role: str = Field(
        description="IAM role S3 assumes to replicate, usually ${replication_role.arn}; its "
        "trust policy must allow s3.amazonaws.com."
    )
    rules: list[ReplicationRule] = Field(min_length=1, description="At least one rule.")

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        if not is_ref_like(value) and not _ROLE_ARN.match(value):
            raise ValueError(
                f"'{value}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>); "
                "refer to a role of this stack as ${name.arn}"
            )
        return value

    @model_validator(mode="after")
    def _unique(self) -> Replication:
        if len(self.rules) > MAX_RULES:
            raise ValueError(f"at most {MAX_RULES} replication rules ({len(self.rules)} given)")
        ids = [rule.id for rule in self.rules]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"replication rule id '{repeated[0]}' is used twice")
        priorities = [r.priority for r in self.rules if r.priority is not None]
        doubled = sorted({p for p in priorities if priorities.count(p) > 1})
        if doubled:
            raise ValueError(
                f"two replication rules have priority {doubled[0]}; S3 needs each once"
            )
        return self


def region_of_key_arn(arn: str) -> str | None:
    """The region in a KMS key or alias ARN; None for anything else (a reference)."""
    match = _KMS_KEY_ARN.match(arn)
    return match.group(1) if match else None


def canonical_replication(value: dict[str, Any] | None) -> dict[str, Any]:
    """{} for no replication; otherwise every rule with its priority, highest first.

    Omitted priorities count down from the number of rules, so the rule listed first wins.
    """
    if not value:
        return {}
    rules = value["rules"]
    count = len(rules)
    filled = [
        {**rule, "priority": count - index if rule["priority"] is None else rule["priority"]}
        for index, rule in enumerate(rules)
    ]
    return {"role": value["role"], "rules": sorted(filled, key=lambda r: -r["priority"])}
