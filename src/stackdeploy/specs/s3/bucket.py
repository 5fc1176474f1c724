"""aws.s3.bucket: an S3 bucket with its versioning, lifecycle, replication, policy,
default encryption, public access block and object ownership.

The name and the region (the resource's `region:`) are fixed at creation. Everything else
changes in place: each configuration is its own S3 sub-resource, written only when it
differs. Omitted settings take AWS's defaults for new buckets (SSE-S3 encryption, all four
public access blocks on, ACLs disabled), and an omitted policy, replication or lifecycle
means "none": one set by hand is shown as drift and removed.

Versioning, once Enabled, can only be Suspended: a plan that goes back to Disabled stops
with an error at the field (see checks.py). Destroying a bucket that still holds objects
fails and keeps it, unless force_destroy is on (see delete_notes).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import (
    MAX_USER_TAGS,
    ReplaceStrategy,
    ResourceType,
    Spec,
    TaggedSpec,
    derived_from_name,
)
from stackdeploy.specs.references import refers_to
from stackdeploy.specs.s3 import checks
from stackdeploy.specs.s3.bucket_policy import bucket_policy_document, grants_public_access
from stackdeploy.specs.s3.lifecycle import LifecycleRule, canonical_rule
from stackdeploy.specs.s3.names import (
    MAX_LENGTH,
    bucket_arn,
    bucket_name_problem,
    generated_bucket_name,
)
from stackdeploy.specs.s3.replication import Replication, canonical_replication

TYPE_NAME = checks.TYPE_NAME
# force_destroy is kept in a tag of ours too, so S3's 50 tags leave 43 to the user.
MAX_BUCKET_TAGS = MAX_USER_TAGS - 1
Versioning = Literal["Enabled", "Suspended", "Disabled"]
ObjectOwnership = Literal["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]


class Encryption(Spec):
    algorithm: Literal["AES256", "aws:kms", "aws:kms:dsse"] = Field(
        "AES256", description="AES256 (SSE-S3, AWS's default), aws:kms (SSE-KMS) or aws:kms:dsse."
    )
    kms_key_id: str | None = Field(
        None,
        description="With aws:kms: the key, usually ${key.arn}; AWS's aws/s3 key when omitted.",
    )
    bucket_key: bool = Field(
        False, description="With aws:kms: an S3 Bucket Key, which cuts KMS requests and cost."
    )

    @model_validator(mode="after")
    def _kms_only(self) -> Encryption:
        if self.algorithm == "AES256" and (self.kms_key_id is not None or self.bucket_key):
            raise ValueError(
                "kms_key_id and bucket_key apply to SSE-KMS only: set algorithm: aws:kms"
            )
        return self


class PublicAccessBlock(Spec):
    block_public_acls: bool = Field(True, description="Refuse requests that set public ACLs.")
    ignore_public_acls: bool = Field(True, description="Ignore public ACLs already there.")
    block_public_policy: bool = Field(True, description="Refuse bucket policies that are public.")
    restrict_public_buckets: bool = Field(
        True, description="Only AWS principals and this account may use a public policy."
    )


class BucketSpec(TaggedSpec):
    name: str | None = Field(
        None,
        description="Globally unique: 3-63 lowercase letters, digits, dots and hyphens; "
        "<stack>-<id>-<account id> when omitted (${aws:account_id} may be part of a name). "
        "Fixed after creation.",
    )
    versioning: Versioning = Field(
        "Disabled",
        description="Enabled keeps every version of every object; once enabled it can only "
        "be Suspended, never Disabled again.",
    )
    lifecycle_rules: list[LifecycleRule] = Field(
        default_factory=list, description="Transitions and expirations, per prefix or tags."
    )
    replication: Replication | None = Field(
        None, description="Replication to buckets in other regions (needs versioning Enabled)."
    )
    policy: dict[str, Any] | str | None = Field(
        None,
        description="Bucket policy (mapping or JSON text) whose Resource is the bucket or "
        "its objects, e.g. arn:aws:s3:::<name>/*; omitted: no policy.",
    )
    encryption: Encryption = Field(
        default_factory=Encryption, description="Default encryption of new objects."
    )
    public_access_block: PublicAccessBlock = Field(
        default_factory=PublicAccessBlock, description="All four blocks are on by default."
    )
    object_ownership: ObjectOwnership = Field(
        "BucketOwnerEnforced",
        description="BucketOwnerEnforced (ACLs disabled, AWS's default), BucketOwnerPreferred "
        "or ObjectWriter.",
    )
    force_destroy: bool = Field(
        False,
        description="Destroy empties the bucket first (every object version and delete "
        "marker); without it, destroying a bucket that holds objects fails.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        problem = None if value is None else bucket_name_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("policy", mode="before")
    @classmethod
    def _policy(cls, value: Any) -> dict[str, Any]:
        return bucket_policy_document(value)

    @field_validator("tags")
    @classmethod
    def _bucket_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        if len(tags) > MAX_BUCKET_TAGS:
            raise ValueError(f"at most {MAX_BUCKET_TAGS} tags per bucket ({len(tags)} given)")
        return tags

    @model_validator(mode="after")
    def _public_policy_allowed(self) -> BucketSpec:
        policy = self.policy if isinstance(self.policy, dict) else {}
        if self.public_access_block.block_public_policy and grants_public_access(policy):
            raise ValueError(
                "the policy allows everyone (Principal *) without a condition, which "
                "public_access_block.block_public_policy refuses; set it (and "
                "restrict_public_buckets) to false for a public bucket"
            )
        return self


def canonical_bucket(properties: dict[str, Any]) -> dict[str, Any]:
    """The shape a read returns: no policy or replication is {}, rules' transitions by day."""
    result = dict(properties)
    result["policy"] = properties.get("policy") or {}
    result["replication"] = canonical_replication(properties.get("replication"))
    result["lifecycle_rules"] = [canonical_rule(r) for r in properties["lifecycle_rules"]]
    return result


def _delete_note(applied: dict[str, Any] | None) -> str:
    if applied is None:
        return (
            "deleted only if empty: S3 refuses to delete a bucket holding objects unless "
            "force_destroy empties it first"
        )
    if applied.get("force_destroy"):
        return (
            "force_destroy: its policy is removed, then every object version and delete "
            "marker is deleted (1,000 per request), then the bucket; the data is gone for good"
        )
    return (
        "deleted only if empty; if it holds objects (or versions) the destroy fails and keeps "
        "it: set force_destroy: true and apply first to have it emptied"
    )


_NEW_BUCKET = (
    "; the new bucket is created before the old one is deleted (empty, or emptied with "
    "force_destroy), and names are global, so a name you set must change in the same edit "
    "(a generated one changes by itself)"
)

BUCKET = ResourceType(
    exercise_settings={"force_destroy": True},
    data_store=True,
    name=TYPE_NAME,
    spec=BucketSpec,
    summary="An S3 bucket with versioning, lifecycle rules, replication, policy, default "
    "encryption, public access block and object ownership.",
    attributes={
        "id": "Bucket name",
        "name": "Bucket name",
        "arn": "Bucket ARN (arn:aws:s3:::<name>)",
        "region": "Region the bucket lives in",
        "domain_name": "<name>.s3.amazonaws.com",
        "regional_domain_name": "<name>.s3.<region>.amazonaws.com",
    },
    create_only=frozenset({"name"}),
    derived_attributes={
        "id": derived_from_name(lambda name, _: name),
        "name": derived_from_name(lambda name, _: name),
        "arn": derived_from_name(lambda name, place: bucket_arn(name, place.partition)),
        "domain_name": derived_from_name(lambda name, _: f"{name}.s3.amazonaws.com"),
        "regional_domain_name": derived_from_name(
            lambda name, place: f"{name}.s3.{place.region}.amazonaws.com"
        ),
    },
    unordered=frozenset({"lifecycle_rules"}),
    # Dependents (a replication source, a policy elsewhere) switch to the new bucket before
    # the old one goes, as CloudFormation does when a bucket is renamed.
    replace_strategy=ReplaceStrategy.CREATE_THEN_DELETE,
    replace_notes={"name": "a bucket cannot be renamed" + _NEW_BUCKET},
    replace_warning="the old bucket's objects are not copied to the new one",
    update_notes={
        "versioning": "Enabled keeps every version from now on; Suspended stops making new "
        "versions, and existing versions stay (and are billed) until deleted",
        "lifecycle_rules": "S3 applies the rules asynchronously, usually within a day",
        "replication": "only objects written from now on are replicated",
        "encryption": "applies to new objects only; existing ones keep their encryption",
        "object_ownership": "BucketOwnerEnforced disables ACLs: access through ACLs stops",
        "force_destroy": "decides whether a destroy may delete the bucket's objects",
    },
    checks=checks.STACK_CHECKS,
    update_checks=(checks.versioning_not_disabled,),
    canonicalize=canonical_bucket,
    delete_notes=_delete_note,
    name_property="name",
    name_max_length=MAX_LENGTH,
    name_format=generated_bucket_name,
    name_unique_in="everywhere",
    discover_by_name=True,
    references={
        "replication.role": refers_to("aws.iam.role", by="arn"),
        "replication.rules[].destination": refers_to("aws.s3.bucket", by="arn"),
        "replication.rules[].replica_kms_key_id": refers_to("aws.kms.key", by="arn"),
        "encryption.kms_key_id": refers_to("aws.kms.key", by=("id", "arn")),
    },
)
