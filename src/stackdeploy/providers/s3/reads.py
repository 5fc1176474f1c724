"""Reading buckets: their tags, then their configuration, in the spec's canonical shape.

S3 has no batched read: tags, location and each configuration (versioning, lifecycle,
policy, encryption, public access block, ownership, replication) are one GET per bucket.
The tags come first, so only the stack's own buckets have their configuration read; the
reads of all those buckets run at once, a few at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.session import RetryingClient
from stackdeploy.model.live import LiveResource
from stackdeploy.providers.concurrency import READ_WORKERS
from stackdeploy.providers.ownership import split_tags
from stackdeploy.providers.s3.common import (
    FORCE_DESTROY_TAG,
    NO_SUCH_BUCKET,
    code_of,
    filter_from_aws,
)
from stackdeploy.providers.tagging_api import aws_tags, tag_map
from stackdeploy.specs.base import OWNERSHIP_TAG_STACK
from stackdeploy.specs.iam.policy import policy_from_aws
from stackdeploy.specs.s3.checks import TYPE_NAME
from stackdeploy.specs.s3.lifecycle import canonical_rule
from stackdeploy.specs.s3.names import bucket_arn, partition_of
from stackdeploy.specs.s3.replication import canonical_replication

NO_BLOCKS = {
    "block_public_acls": False,
    "ignore_public_acls": False,
    "block_public_policy": False,
    "restrict_public_buckets": False,
}


class _Gone:
    """The bucket disappeared while it was being read."""


GONE = _Gone()


@dataclass(frozen=True)
class SubRead:
    """One GET of a bucket's: its method, the error codes meaning "not set", and the value
    then (what AWS applies without it)."""

    method: str
    parse: Callable[[dict[str, Any]], Any]
    absent: frozenset[str] = frozenset()
    default: Any = None


def _versioning(response: dict[str, Any]) -> str:
    return str(response.get("Status") or "Disabled")  # never enabled: no Status at all


def _lifecycle(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [rule_from_aws(rule) for rule in response.get("Rules", [])]


def rule_from_aws(rule: Mapping[str, Any]) -> dict[str, Any]:
    prefix, tags = filter_from_aws(rule)
    expiration = rule.get("Expiration") or {}
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    abort = rule.get("AbortIncompleteMultipartUpload") or {}
    return canonical_rule(
        {
            "id": rule.get("ID", ""),
            "enabled": rule.get("Status") == "Enabled",
            "prefix": prefix,
            "tags": tags,
            # Date-based transitions (set by hand) have no form here; the rule then differs.
            "transitions": [
                {"days": t["Days"], "storage_class": t["StorageClass"]}
                for t in rule.get("Transitions", [])
                if "Days" in t
            ],
            "expiration_days": expiration.get("Days"),
            "expired_object_delete_marker": bool(expiration.get("ExpiredObjectDeleteMarker")),
            "noncurrent_transitions": [
                {
                    "days": t["NoncurrentDays"],
                    "storage_class": t["StorageClass"],
                    "newer_versions": t.get("NewerNoncurrentVersions"),
                }
                for t in rule.get("NoncurrentVersionTransitions", [])
            ],
            "noncurrent_expiration_days": noncurrent.get("NoncurrentDays"),
            "noncurrent_newer_versions": noncurrent.get("NewerNoncurrentVersions"),
            "abort_incomplete_multipart_upload_days": abort.get("DaysAfterInitiation"),
        }
    )


def _encryption(response: dict[str, Any]) -> dict[str, Any]:
    rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules") or [{}]
    default = rules[0].get("ApplyServerSideEncryptionByDefault") or {}
    return {
        "algorithm": default.get("SSEAlgorithm"),
        "kms_key_id": default.get("KMSMasterKeyID"),
        "bucket_key": bool(rules[0].get("BucketKeyEnabled", False)),
    }


def _public_access_block(response: dict[str, Any]) -> dict[str, bool]:
    found = response.get("PublicAccessBlockConfiguration", {})
    return {
        "block_public_acls": bool(found.get("BlockPublicAcls")),
        "ignore_public_acls": bool(found.get("IgnorePublicAcls")),
        "block_public_policy": bool(found.get("BlockPublicPolicy")),
        "restrict_public_buckets": bool(found.get("RestrictPublicBuckets")),
    }


def _ownership(response: dict[str, Any]) -> str:
    rules = response.get("OwnershipControls", {}).get("Rules") or [{}]
    return str(rules[0].get("ObjectOwnership") or "ObjectWriter")


def _replication(response: dict[str, Any]) -> dict[str, Any]:
    found = response.get("ReplicationConfiguration") or {}
    rules = []
    for rule in found.get("Rules", []):
        prefix, tags = filter_from_aws(rule)
        destination = rule.get("Destination") or {}
        criteria = rule.get("SourceSelectionCriteria") or {}
        encryption = destination.get("EncryptionConfiguration") or {}
        rules.append(
            {
                "id": rule.get("ID", ""),
                "destination": destination.get("Bucket", ""),
                "priority": rule.get("Priority"),
                "enabled": rule.get("Status") == "Enabled",
                "prefix": prefix,
                "tags": tags,
                "storage_class": destination.get("StorageClass"),
                "delete_marker_replication": _enabled(rule.get("DeleteMarkerReplication")),
                "sse_kms_encrypted_objects": _enabled(criteria.get("SseKmsEncryptedObjects")),
                "replica_kms_key_id": encryption.get("ReplicaKmsKeyID"),
                "replica_modifications": _enabled(criteria.get("ReplicaModifications")),
            }
        )
    if not rules:
        return {}
    return canonical_replication({"role": found.get("Role", ""), "rules": rules})


def _enabled(setting: Mapping[str, Any] | None) -> bool:
    """A {Status: Enabled|Disabled} element; absent means Disabled, S3's default."""
    return (setting or {}).get("Status") == "Enabled"


# The configurations the spec manages, by property; nothing else is read.
SUB_READS: dict[str, SubRead] = {
    "versioning": SubRead("get_bucket_versioning", _versioning),
    "lifecycle_rules": SubRead(
        "get_bucket_lifecycle_configuration",
        _lifecycle,
        frozenset({"NoSuchLifecycleConfiguration"}),
        [],
    ),
    "policy": SubRead(
        "get_bucket_policy",
        lambda response: policy_from_aws(response.get("Policy", "")),
        frozenset({"NoSuchBucketPolicy"}),
        {},
    ),
    "encryption": SubRead(
        "get_bucket_encryption",
        _encryption,
        frozenset({"ServerSideEncryptionConfigurationNotFoundError"}),
        None,
    ),
    "public_access_block": SubRead(
        "get_public_access_block",
        _public_access_block,
        frozenset({"NoSuchPublicAccessBlockConfiguration"}),
        NO_BLOCKS,
    ),
    # Without ownership controls, the writer of an object owns it (AWS's old default).
    "object_ownership": SubRead(
        "get_bucket_ownership_controls",
        _ownership,
        frozenset({"OwnershipControlsNotFoundError"}),
        "ObjectWriter",
    ),
    "replication": SubRead(
        "get_bucket_replication",
        _replication,
        frozenset({"ReplicationConfigurationNotFoundError"}),
        {},
    ),
}
TAGS = SubRead(
    "get_bucket_tagging", lambda r: tag_map(r.get("TagSet")), frozenset({"NoSuchTagSet"}), {}
)


def read_one(s3: RetryingClient, bucket: str, sub: SubRead) -> Any:
    """One configuration of a bucket; its default when not set, GONE when no bucket."""
    try:
        response = getattr(s3, sub.method)(Bucket=bucket)
    except ClientError as error:
        code = code_of(error)
        if code == NO_SUCH_BUCKET:
            return GONE
        if code in sub.absent:
            return sub.default
        raise
    return sub.parse(response)


def read_buckets(
    s3: RetryingClient, region: str, names: Sequence[str], *, stack: str | None = None
) -> dict[str, LiveResource]:
    """The buckets (all in `region`) that exist and, given `stack`, are that stack's."""
    unique = sorted(set(names))
    if not unique:
        return {}
    with ThreadPoolExecutor(max_workers=min(READ_WORKERS, 2 * len(unique))) as pool:
        tag_sets = dict(zip(unique, pool.map(lambda n: read_one(s3, n, TAGS), unique), strict=True))
        kept = [
            name
            for name, tags in tag_sets.items()
            if tags is not GONE and (stack is None or tags.get(OWNERSHIP_TAG_STACK) == stack)
        ]
        jobs = [(name, key) for name in kept for key in SUB_READS]
        values = pool.map(lambda job: read_one(s3, job[0], SUB_READS[job[1]]), jobs)
        settings: dict[str, dict[str, Any]] = {name: {} for name in kept}
        for (name, key), value in zip(jobs, values, strict=True):
            settings[name][key] = value
    found = {}
    for name in kept:
        if any(value is GONE for value in settings[name].values()):
            continue
        found[name] = _live(name, region, tag_sets[name], settings[name])
    return found


def _live(name: str, region: str, tags: dict[str, str], settings: dict[str, Any]) -> LiveResource:
    user_tags, owner = split_tags(aws_tags(tags))
    properties = {
        "name": name,
        **settings,
        "force_destroy": tags.get(FORCE_DESTROY_TAG) == "true",
        "tags": user_tags,
        "id": name,
        "arn": bucket_arn(name, partition_of(region)),
        "region": region,
        "domain_name": f"{name}.s3.amazonaws.com",
        "regional_domain_name": f"{name}.s3.{region}.amazonaws.com",
    }
    return LiveResource.tagged(TYPE_NAME, name, region, properties, owner)
