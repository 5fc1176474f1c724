"""S3 replication configurations as AWS takes them and hands them back, where moto does not.

moto already refuses a replication configuration on a bucket without versioning Enabled
(InvalidRequest). What it lets through, answered here with AWS's codes and messages:
- a destination that does not exist or has no versioning Enabled (InvalidRequest);
- SseKmsEncryptedObjects (even Disabled) without Destination.EncryptionConfiguration.
  ReplicaKmsKeyID, and an EncryptionConfiguration without SseKmsEncryptedObjects
  (InvalidRequest both).

And what it gets wrong on the way back. moto (5.2) stores the whole configuration it is sent,
but GetBucketReplication rebuilds every rule from its ID, Priority, Status and Destination
alone (moto/s3/responses.py, S3Response.get_bucket_replication): the Filter is always
{Prefix: ""}, DeleteMarkerReplication always Disabled, and SourceSelectionCriteria
(SseKmsEncryptedObjects, ReplicaModifications) is dropped. The Destination comes back whole,
EncryptionConfiguration included. AWS returns each rule as it was put, so this layer keeps the
configuration each accepted PutBucketReplication sent and puts those three elements back into
the answer, for as long as moto still holds the same rules (same ids and destinations): a
configuration written past the layer (a plain client) is answered as moto answers it.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from botocore.exceptions import ClientError
from moto.backends import get_backend

from tests.strict.core import AwsError, Call, StrictAws

# The parts of a rule moto's GetBucketReplication loses, restored from what was put.
_LOST_BY_MOTO = ("Filter", "DeleteMarkerReplication", "SourceSelectionCriteria")
_KEY_NEEDED = "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present."
_SELECTION_NEEDED = (
    "SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present."
)


def register(strict: StrictAws) -> None:
    Replication(strict)


class Replication:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        self._lock = threading.Lock()
        self._put: dict[str, dict[str, Any]] = {}  # bucket -> the configuration last accepted
        strict.before("s3", "PutBucketReplication", self.check)
        strict.after("s3", "PutBucketReplication", self.accepted)
        strict.after("s3", "GetBucketReplication", self.restore)
        strict.after("s3", "DeleteBucketReplication", self.forget)
        strict.after("s3", "DeleteBucket", self.forget)

    def _s3(self, call: Call) -> Any:
        return self._strict.plain("s3", call.region or "us-east-1")

    def check(self, call: Call) -> None:
        s3 = self._s3(call)
        for rule in (call.params.get("ReplicationConfiguration") or {}).get("Rules", []):
            destination = rule.get("Destination") or {}
            _check_kms(rule, destination)
            bucket = str(destination.get("Bucket", "")).split(":::", 1)[-1]
            try:
                status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "NoSuchBucket":
                    raise
                raise AwsError("InvalidRequest", "Destination bucket must exist.") from None
            if status != "Enabled":
                raise AwsError("InvalidRequest", "Destination bucket must have versioning enabled.")

    def accepted(self, call: Call, parsed: dict[str, Any]) -> None:
        configuration = copy.deepcopy(call.params.get("ReplicationConfiguration") or {})
        with self._lock:
            self._put[call.params["Bucket"]] = configuration

    def forget(self, call: Call, parsed: dict[str, Any]) -> None:
        with self._lock:
            self._put.pop(call.params["Bucket"], None)

    def restore(self, call: Call, parsed: dict[str, Any]) -> None:
        with self._lock:
            put = copy.deepcopy(self._put.get(call.params["Bucket"]))
        answered = (parsed.get("ReplicationConfiguration") or {}).get("Rules", [])
        if put is None or _identity(answered) != _identity(put.get("Rules", [])):
            return
        sent = {rule.get("ID"): rule for rule in put["Rules"]}
        for rule in answered:
            for element in _LOST_BY_MOTO:
                rule.pop(element, None)
                if element in sent[rule.get("ID")]:
                    rule[element] = sent[rule.get("ID")][element]


def _check_kms(rule: dict[str, Any], destination: dict[str, Any]) -> None:
    selected = "SseKmsEncryptedObjects" in (rule.get("SourceSelectionCriteria") or {})
    encryption = destination.get("EncryptionConfiguration")
    if selected and not (encryption or {}).get("ReplicaKmsKeyID"):
        raise AwsError("InvalidRequest", _KEY_NEEDED)
    if encryption is not None and not selected:
        raise AwsError("InvalidRequest", _SELECTION_NEEDED)


def _identity(rules: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """What tells one configuration from another in moto's answer: rule ids and buckets."""
    return sorted(
        (str(rule.get("ID")), str((rule.get("Destination") or {}).get("Bucket"))) for rule in rules
    )


def stored_rules(bucket: str, account: str = "123456789012") -> list[dict[str, Any]]:
    """The replication rules moto holds for `bucket`, as it parsed them from the request
    (XML: every value is text): what S3 holds, including what moto's GetBucketReplication
    leaves out. Read from moto's backend, so for the in-process server of the tests only."""
    stored = getattr(get_backend("s3")[account]["global"].buckets[bucket], "replication", None)
    rules = (stored or {}).get("Rule") or []
    return [dict(rule) for rule in (rules if isinstance(rules, list) else [rules])]
