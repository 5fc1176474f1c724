"""Writing a bucket's configuration: each S3 sub-resource that differs, in an order AWS
accepts.

- tags first, so a bucket is recognisably the stack's as early as possible;
- the public access block before the policy: a public policy is refused while
  BlockPublicPolicy is on;
- a replication configuration that goes away is deleted before versioning is suspended
  (S3 refuses to suspend versioning under replication), and one that is set comes after
  versioning is enabled (S3 refuses replication without it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.diff import values_equal
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ownership import is_made_for
from stackdeploy.providers.s3.common import NO_SUCH_BUCKET, aws_filter, code_of, desired_tags
from stackdeploy.providers.tagging_api import aws_tags
from stackdeploy.specs.iam.policy import policy_json
from stackdeploy.specs.s3.bucket import BUCKET

UNORDERED = BUCKET.unordered


def converge(
    ctx: ResourceContext,
    s3: RetryingClient,
    current: LiveResource,
    props: Mapping[str, Any],
    *,
    just_created: bool = False,
) -> None:
    """Write every configuration where `current` differs from `props`."""
    name = current.physical_id
    have = current.properties

    def differs(key: str) -> bool:
        return not values_equal(props.get(key), have.get(key), unordered=key in UNORDERED)

    def write(operation: str, action: Callable[[], object]) -> None:
        # A bucket created a moment ago may still be unknown to its configuration APIs.
        retry_while(
            action,
            codes={NO_SUCH_BUCKET} if just_created else set(),
            matches=_versioning_not_yet_seen if operation == "PutBucketReplication" else None,
            deadline=ctx.timing.visibility_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation=f"s3.{operation}",
        )

    tags = desired_tags(ctx, props)
    # The ownership tags too: a bucket adopted after an interrupted create may lack them.
    if differs("tags") or differs("force_destroy") or not is_made_for(current.owner, ctx):
        write(
            "PutBucketTagging",
            lambda: s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": aws_tags(tags)}),
        )
    if differs("object_ownership"):
        rules = [{"ObjectOwnership": props["object_ownership"]}]
        write(
            "PutBucketOwnershipControls",
            lambda: s3.put_bucket_ownership_controls(
                Bucket=name, OwnershipControls={"Rules": rules}
            ),
        )
    if differs("public_access_block"):
        write(
            "PutPublicAccessBlock",
            lambda: s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=_public_access_block(props)
            ),
        )
    if differs("encryption"):
        write(
            "PutBucketEncryption",
            lambda: s3.put_bucket_encryption(
                Bucket=name, ServerSideEncryptionConfiguration=_encryption(props["encryption"])
            ),
        )
    if differs("replication") and have.get("replication") and not props["replication"]:
        write("DeleteBucketReplication", lambda: s3.delete_bucket_replication(Bucket=name))
    if differs("versioning"):
        status = _versioning_status(ctx, have.get("versioning"), props["versioning"])
        if status is not None:
            write(
                "PutBucketVersioning",
                lambda: s3.put_bucket_versioning(
                    Bucket=name, VersioningConfiguration={"Status": status}
                ),
            )
    if differs("lifecycle_rules"):
        rules = [_lifecycle_rule(rule) for rule in props["lifecycle_rules"]]
        if rules:
            write(
                "PutBucketLifecycleConfiguration",
                lambda: s3.put_bucket_lifecycle_configuration(
                    Bucket=name, LifecycleConfiguration={"Rules": rules}
                ),
            )
        else:
            write(
                "DeleteBucketLifecycle",
                lambda: s3.delete_bucket_lifecycle(Bucket=name),
            )
    if differs("policy"):
        if props["policy"]:
            text = policy_json(props["policy"])
            write(
                "PutBucketPolicy",
                lambda: s3.put_bucket_policy(Bucket=name, Policy=text),
            )
        else:
            write(
                "DeleteBucketPolicy",
                lambda: s3.delete_bucket_policy(Bucket=name),
            )
    if differs("replication") and props["replication"]:
        write(
            "PutBucketReplication",
            lambda: s3.put_bucket_replication(
                Bucket=name, ReplicationConfiguration=_replication(props["replication"])
            ),
        )


def _versioning_not_yet_seen(error: BaseException) -> bool:
    """S3 refuses replication until it sees versioning Enabled on both buckets; right after
    versioning is enabled that can take a moment (bucket settings are eventually consistent)."""
    if not isinstance(error, ClientError) or code_of(error) != "InvalidRequest":
        return False
    return "ersioning" in str(error.response.get("Error", {}).get("Message", ""))


def _versioning_status(ctx: ResourceContext, have: Any, want: str) -> str | None:
    if want != "Disabled":
        return want
    if have in (None, "Disabled"):
        return None
    raise ProviderError(
        f"versioning is {have} and S3 cannot turn it off, only suspend it",
        code="InvalidVersioningChange",
        address=ctx.address,
        hint="write versioning: Suspended",
    )


def _public_access_block(props: Mapping[str, Any]) -> dict[str, bool]:
    block = props["public_access_block"]
    return {
        "BlockPublicAcls": block["block_public_acls"],
        "IgnorePublicAcls": block["ignore_public_acls"],
        "BlockPublicPolicy": block["block_public_policy"],
        "RestrictPublicBuckets": block["restrict_public_buckets"],
    }


def _encryption(encryption: Mapping[str, Any]) -> dict[str, Any]:
    default: dict[str, Any] = {"SSEAlgorithm": encryption["algorithm"]}
    if encryption.get("kms_key_id"):
        default["KMSMasterKeyID"] = encryption["kms_key_id"]
    rule = {
        "ApplyServerSideEncryptionByDefault": default,
        "BucketKeyEnabled": bool(encryption.get("bucket_key")),
    }
    return {"Rules": [rule]}


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ID": rule["id"],
        "Status": "Enabled" if rule["enabled"] else "Disabled",
        "Filter": aws_filter(rule["prefix"], rule["tags"]),
    }
    if rule["transitions"]:
        result["Transitions"] = [
            {"Days": t["days"], "StorageClass": t["storage_class"]} for t in rule["transitions"]
        ]
    expiration: dict[str, Any] = {}
    if rule["expiration_days"] is not None:
        expiration["Days"] = rule["expiration_days"]
    if rule["expired_object_delete_marker"]:
        expiration["ExpiredObjectDeleteMarker"] = True
    if expiration:
        result["Expiration"] = expiration
    if rule["noncurrent_transitions"]:
        result["NoncurrentVersionTransitions"] = [
            _noncurrent_transition(t) for t in rule["noncurrent_transitions"]
        ]
    if rule["noncurrent_expiration_days"] is not None:
        noncurrent: dict[str, Any] = {"NoncurrentDays": rule["noncurrent_expiration_days"]}
        if rule["noncurrent_newer_versions"] is not None:
            noncurrent["NewerNoncurrentVersions"] = rule["noncurrent_newer_versions"]
        result["NoncurrentVersionExpiration"] = noncurrent
    if rule["abort_incomplete_multipart_upload_days"] is not None:
        result["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": rule["abort_incomplete_multipart_upload_days"]
        }
    return result


def _noncurrent_transition(transition: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "NoncurrentDays": transition["days"],
        "StorageClass": transition["storage_class"],
    }
    if transition.get("newer_versions") is not None:
        result["NewerNoncurrentVersions"] = transition["newer_versions"]
    return result


def _replication(replication: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Role": replication["role"],
        "Rules": [_replication_rule(rule) for rule in replication["rules"]],
    }


def _replication_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    destination: dict[str, Any] = {"Bucket": rule["destination"]}
    if rule.get("storage_class"):
        destination["StorageClass"] = rule["storage_class"]
    if rule.get("replica_kms_key_id"):
        destination["EncryptionConfiguration"] = {"ReplicaKmsKeyID": rule["replica_kms_key_id"]}
    result: dict[str, Any] = {
        "ID": rule["id"],
        "Priority": rule["priority"],
        "Status": _status(rule["enabled"]),
        "Filter": aws_filter(rule["prefix"], rule["tags"]),
        "DeleteMarkerReplication": {"Status": _status(rule["delete_marker_replication"])},
        "Destination": destination,
    }
    criteria: dict[str, Any] = {}
    # S3 wants SseKmsEncryptedObjects whenever the destination names a replica key, and
    # refuses it (even Disabled) without one, so it goes exactly with the key.
    if rule.get("replica_kms_key_id"):
        criteria["SseKmsEncryptedObjects"] = {"Status": _status(rule["sse_kms_encrypted_objects"])}
    if rule.get("replica_modifications"):
        criteria["ReplicaModifications"] = {"Status": "Enabled"}
    if criteria:  # an empty SourceSelectionCriteria is refused
        result["SourceSelectionCriteria"] = criteria
    return result


def _status(enabled: Any) -> str:
    return "Enabled" if enabled else "Disabled"
