"""S3 buckets as AWS runs them, where moto is lenient.

moto already answers as AWS does, so none of this is repeated here: DeleteBucket of a bucket
holding objects, object versions or delete markers (BucketNotEmpty, 409); CreateBucket with a
LocationConstraint other than the endpoint's region (IllegalLocationConstraintException), or
of a name the account already holds outside us-east-1 (BucketAlreadyOwnedByYou).
Replication configurations have their own module, s3_replication.py.

What moto lets through or gets wrong, answered with AWS's codes and messages:
- CreateBucket with a name S3's rules reject (uppercase, an IP address, a dot or hyphen at
  either end, `..`, reserved prefixes and suffixes): InvalidBucketName;
- CreateBucket in us-east-1 that names us-east-1 as its LocationConstraint:
  InvalidLocationConstraint (us-east-1 takes none);
- a new bucket gets AWS's defaults (since 2023): SSE-S3 encryption, all four public access
  blocks on, and BucketOwnerEnforced when ObjectOwnership is not given. moto gives none;
- CreateBucketConfiguration.Tags are applied (moto drops them);
- ListBuckets entries carry BucketRegion, as AWS's do when the request has a parameter;
- PutBucketVersioning with a status other than Enabled or Suspended: MalformedXML; and a
  change of versioning while a replication configuration is present: InvalidBucketState;
- PutBucketPolicy with text that is not JSON (MalformedPolicy; moto stores it and then fails
  every object call with a 500), or with a public policy while BlockPublicPolicy is on
  (AccessDenied);
- PutBucketLifecycleConfiguration with a transition to STANDARD_IA or ONEZONE_IA before day
  30, an expiration on day 0, or two rules with one id: InvalidArgument.

moto is stricter than AWS in one way this layer leaves alone: it enforces a policy's Deny
statements while ignoring their Condition, so a "deny insecure transport" policy forbids
every object call. A teardown that deletes the policy before emptying the bucket passes.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from botocore.exceptions import ClientError

from tests.strict import s3_replication
from tests.strict.core import AwsError, Call, StrictAws

_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_IA_CLASSES = ("STANDARD_IA", "ONEZONE_IA")
_PUBLIC_BLOCKED = (
    "User: arn:aws:iam::123456789012:user/stackdeploy is not authorized to perform: "
    's3:PutBucketPolicy on resource: "arn:aws:s3:::{}" because public policies are blocked '
    "by the BlockPublicPolicy block public access setting."
)


def register(strict: StrictAws) -> None:
    Buckets(strict)
    s3_replication.register(strict)


def _valid_name(name: str) -> bool:
    if not _NAME.match(name) or ".." in name:
        return False
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        pass
    else:
        return False
    return not name.startswith(_RESERVED_PREFIXES) and not name.endswith(_RESERVED_SUFFIXES)


class Buckets:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        strict.before("s3", "CreateBucket", self.create)
        strict.after("s3", "CreateBucket", self.created)
        strict.after("s3", "ListBuckets", self.list_regions)
        strict.before("s3", "PutBucketVersioning", self.versioning)
        strict.before("s3", "PutBucketPolicy", self.policy)
        strict.before("s3", "PutBucketLifecycleConfiguration", self.lifecycle)

    def _s3(self, call: Call) -> Any:
        return self._strict.plain("s3", call.region or "us-east-1")

    def _exists(self, call: Call, bucket: str) -> bool:
        try:
            self._s3(call).head_bucket(Bucket=bucket)
        except ClientError:
            return False
        return True

    # -- create -----------------------------------------------------------------------------

    def create(self, call: Call) -> None:
        name = str(call.params.get("Bucket", ""))
        if not _valid_name(name):
            raise AwsError("InvalidBucketName", "The specified bucket is not valid.")
        configuration = call.params.get("CreateBucketConfiguration") or {}
        if call.region == "us-east-1" and configuration.get("LocationConstraint") == "us-east-1":
            raise AwsError(
                "InvalidLocationConstraint", "The specified location-constraint is not valid"
            )
        # In us-east-1 a create of a bucket the account holds succeeds and changes nothing.
        call.notes["existed"] = self._exists(call, name)

    def created(self, call: Call, parsed: dict[str, Any]) -> None:
        """What AWS gives a new bucket and moto does not: its defaults and its tags."""
        if call.notes.get("existed"):
            return
        s3 = self._s3(call)
        name = call.params["Bucket"]
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                        "BucketKeyEnabled": False,
                    }
                ]
            },
        )
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        if "ObjectOwnership" not in call.params:
            s3.put_bucket_ownership_controls(
                Bucket=name,
                OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            )
        tags = (call.params.get("CreateBucketConfiguration") or {}).get("Tags")
        if tags:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags})

    def list_regions(self, call: Call, parsed: dict[str, Any]) -> None:
        if not any(k in call.params for k in ("Prefix", "BucketRegion", "MaxBuckets")):
            return
        s3 = self._s3(call)
        for bucket in parsed.get("Buckets", []):
            try:
                found = s3.get_bucket_location(Bucket=bucket["Name"])
            except ClientError:
                continue  # deleted since it was listed
            bucket["BucketRegion"] = found.get("LocationConstraint") or "us-east-1"

    # -- configuration ------------------------------------------------------------------------

    def versioning(self, call: Call) -> None:
        status = (call.params.get("VersioningConfiguration") or {}).get("Status")
        if status not in ("Enabled", "Suspended"):
            raise AwsError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our "
                "published schema",
            )
        try:
            self._s3(call).get_bucket_replication(Bucket=call.params["Bucket"])
        except ClientError:
            return  # no replication (or no bucket: moto answers that itself)
        raise AwsError(
            "InvalidBucketState",
            "A replication configuration is present on this bucket, so you cannot change the "
            "versioning state. To change the versioning state, first delete the replication "
            "configuration.",
            409,
        )

    def policy(self, call: Call) -> None:
        text = call.params.get("Policy")
        try:
            document = json.loads(text) if isinstance(text, str) else None
        except json.JSONDecodeError:
            document = None
        if not isinstance(document, dict):
            raise AwsError(
                "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'"
            )
        name = call.params["Bucket"]
        if _public(document) and self._blocks_public_policy(call, name):
            raise AwsError("AccessDenied", _PUBLIC_BLOCKED.format(name), 403)

    def _blocks_public_policy(self, call: Call, bucket: str) -> bool:
        try:
            found = self._s3(call).get_public_access_block(Bucket=bucket)
        except ClientError:
            return False
        return bool(found["PublicAccessBlockConfiguration"].get("BlockPublicPolicy"))

    def lifecycle(self, call: Call) -> None:
        rules = (call.params.get("LifecycleConfiguration") or {}).get("Rules", [])
        ids = [rule.get("ID") for rule in rules]
        if len(set(ids)) != len(ids):
            raise AwsError(
                "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule"
            )
        for rule in rules:
            if (rule.get("Expiration") or {}).get("Days") == 0:
                raise AwsError(
                    "InvalidArgument", "'Days' for Expiration action must be a positive integer"
                )
            for key, days_key in (
                ("Transitions", "Days"),
                ("NoncurrentVersionTransitions", "NoncurrentDays"),
            ):
                for transition in rule.get(key, []):
                    target, days = transition.get("StorageClass"), transition.get(days_key)
                    if target in _IA_CLASSES and days is not None and days < 30:
                        raise AwsError(
                            "InvalidArgument",
                            f"'{days_key}' in {key[:-1]} action must be greater than or equal "
                            f"to 30 for storageClass '{target}'",
                        )


def _public(document: dict[str, Any]) -> bool:
    """AWS's test, simplified: an Allow for every principal with no condition is public."""
    statements = document.get("Statement") or []
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else None
        everyone = principal == "*" or aws == "*" or (isinstance(aws, list) and "*" in aws)
        if everyone and not statement.get("Condition"):
            return True
    return False
