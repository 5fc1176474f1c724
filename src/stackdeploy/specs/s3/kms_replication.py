"""Replication of objects encrypted with a KMS key: what a rule needs, checked at validate.

S3 replicates an object encrypted with a KMS key (SSE-KMS or DSSE-KMS, what a bucket whose
default encryption is aws:kms or aws:kms:dsse writes) only if the rule selects such objects
(sse_kms_encrypted_objects) and names the key that encrypts the replica (replica_kms_key_id),
a key in the destination bucket's region since KMS keys are regional. PutBucketReplication
checks none of this: a rule without it is accepted and those objects never replicate, without
an error anywhere. So each is an error here, for every enabled rule of a KMS-encrypted bucket;
a replica key in the wrong region (or not a symmetric encryption key) for any rule.

The role S3 assumes also needs kms:Decrypt on the source key and kms:Encrypt on the replica
key. That is only a warning, as the stack file cannot settle it: KMS allows a call when the
key policy allows it, or when the key policy leaves it to IAM and an IAM policy allows it, so
the permission may come from the key's policy, a managed policy or a grant, and a permissions
boundary or an organization policy may still deny what the role's policy allows. An error
would refuse stacks that work. The warning is given only where the stack shows no source of
the permission at all: the role is the stack's, has no managed policies, no inline statement
allows the action on that key, and the key, if it is the stack's, has no policy statement for
the role.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from stackdeploy.model.refs import find_refs, single_ref
from stackdeploy.specs.base import Issue
from stackdeploy.specs.s3.replication import region_of_key_arn

if TYPE_CHECKING:
    from stackdeploy.model.stack import Resource, Stack

BUCKET_TYPE = "aws.s3.bucket"
ROLE_TYPE = "aws.iam.role"
KEY_TYPE = "aws.kms.key"
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
_RULES = ("replication", "rules")
# Attributes of a key that are ARNs: S3 takes a key ARN or an alias ARN, not a bare key id.
_ARN_ATTRIBUTES = ("arn", "alias_arn")


def kms_replication(stack: Stack) -> Iterator[Issue]:
    for bucket in stack.resources.values():
        config = bucket.properties.get("replication") or {}
        if bucket.type != BUCKET_TYPE or not config:
            continue
        encryption = bucket.properties.get("encryption") or {}
        algorithm = encryption.get("algorithm")
        for rule in config["rules"]:
            label = f"replication rule '{rule['id']}'"
            # A disabled rule replicates nothing: it cannot miss encrypted objects.
            if algorithm in KMS_ALGORITHMS and rule["enabled"]:
                yield from _selection_issues(bucket, rule, label, algorithm)
            if rule.get("replica_kms_key_id"):
                yield from _replica_key_issues(stack, bucket, rule, label)
        if algorithm in KMS_ALGORITHMS:
            yield from _role_warnings(stack, bucket, config, encryption.get("kms_key_id"))


def _selection_issues(
    bucket: Resource, rule: Mapping[str, Any], label: str, algorithm: str
) -> Iterator[Issue]:
    if rule["sse_kms_encrypted_objects"]:
        return  # and so it has a replica key: the rule's own validation requires one
    missing = "sse_kms_encrypted_objects: true"
    if not rule.get("replica_kms_key_id"):
        missing += " and replica_kms_key_id (a KMS key in the destination bucket's region)"
    yield Issue(
        bucket.logical_id,
        _RULES,
        f"{label}: bucket '{bucket.logical_id}' encrypts its objects with a KMS key "
        f"({algorithm}), which S3 replicates only for a rule that selects them and names a key "
        "for the replicas; as written, S3 accepts the rule and silently never replicates them",
        hint=f"add {missing} to the rule",
    )


def _replica_key_issues(
    stack: Stack, bucket: Resource, rule: Mapping[str, Any], label: str
) -> Iterator[Issue]:
    value = str(rule["replica_kms_key_id"])
    ref = single_ref(value)
    key = stack.resources.get(ref.target) if ref else None
    if ref is not None:
        if key is None:
            return  # an unknown reference has its own error
        if key.type != KEY_TYPE:
            yield Issue(
                bucket.logical_id, _RULES, f"{label}: '{ref.target}' is a {key.type}, not a KMS key"
            )
            return
        yield from _key_kind_issues(bucket, key, ref.attribute, label)
    destination = stack.target_of(rule["destination"], "arn")
    if destination is None or destination.type != BUCKET_TYPE:
        return  # a bucket outside the stack: its region is unknown here
    found = key.region if key is not None else region_of_key_arn(value)
    if found is not None and found != destination.region:
        name = f"key '{key.logical_id}'" if key is not None else f"key {value}"
        yield Issue(
            bucket.logical_id,
            _RULES,
            f"{label}: {name} is in {found}, but the destination bucket "
            f"'{destination.logical_id}' is in {destination.region}; S3 encrypts replicas with a "
            "key of the destination's region (KMS keys are regional)",
            hint=f"use a KMS key in {destination.region} (an aws.kms.key with region: "
            f"{destination.region})",
        )


def _key_kind_issues(
    bucket: Resource, key: Resource, attribute: str, label: str
) -> Iterator[Issue]:
    if attribute not in _ARN_ATTRIBUTES:
        yield Issue(
            bucket.logical_id,
            _RULES,
            f"{label}: replica_kms_key_id is the key's {attribute}; S3 needs its ARN",
            hint=f"write replica_kms_key_id: ${{{key.logical_id}.arn}}",
        )
    if key.properties.get("key_spec") != "SYMMETRIC_DEFAULT":
        yield Issue(
            bucket.logical_id,
            _RULES,
            f"{label}: key '{key.logical_id}' is {key.properties.get('key_spec')}; S3 encrypts "
            "replicas with symmetric encryption keys only (SYMMETRIC_DEFAULT)",
        )


def _role_warnings(
    stack: Stack, bucket: Resource, config: Mapping[str, Any], source_key: str | None
) -> Iterator[Issue]:
    role = stack.target_of(config["role"], "arn")
    if role is None or role.type != ROLE_TYPE or role.properties.get("managed_policy_arns"):
        return  # a role from elsewhere, or managed policies whose content is unknown here
    # AWS's own aws/s3 key (no kms_key_id) lets every principal of the account use it
    # through S3, so only a customer managed source key needs kms:Decrypt for the role.
    needed = [("kms:Decrypt", source_key, "read the encrypted objects")] if source_key else []
    for rule in config["rules"]:
        if rule["enabled"] and rule["sse_kms_encrypted_objects"] and rule["replica_kms_key_id"]:
            needed.append(("kms:Encrypt", str(rule["replica_kms_key_id"]), "encrypt the replicas"))
    seen: set[tuple[str, str]] = set()
    for action, key, purpose in needed:
        if (action, key) in seen or _granted(stack, role, action, key):
            continue
        seen.add((action, key))
        yield Issue(
            bucket.logical_id,
            ("replication", "role"),
            f"role '{role.logical_id}' is given no {action} on key {key} in this stack, which "
            f"S3 needs to {purpose}; unless a key policy, grant or policy elsewhere allows it, "
            "those objects will not replicate",
            hint=f"add to its inline_policies a statement {{Effect: Allow, Action: {action}, "
            f"Resource: {key}}}",
            warning=True,
        )


def _granted(stack: Stack, role: Resource, action: str, key: str) -> bool:
    inline = role.properties.get("inline_policies") or {}
    for document in inline.values():
        for statement in _allowing(document):
            resources = _listed(statement.get("Resource"))
            if "NotResource" in statement:
                resources = ["*"]  # every resource but some: too broad to rule the key out
            if _allows_action(statement, action) and any(_may_cover(r, key) for r in resources):
                return True
    ref = single_ref(key)
    target = stack.resources.get(ref.target) if ref else None
    if target is None or target.type != KEY_TYPE:
        return False
    # A key policy statement for the role (or for everyone) grants it without IAM.
    for statement in _allowing(target.properties.get("policy")):
        principals = statement.get("Principal")
        named = _listed(principals.get("AWS") if isinstance(principals, Mapping) else principals)
        if _allows_action(statement, action) and any(_is_role(p, role) for p in named):
            return True
    return False


def _allowing(document: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(document, Mapping):
        return
    for statement in _listed(document.get("Statement")):
        if isinstance(statement, Mapping) and statement.get("Effect") == "Allow":
            yield statement


def _allows_action(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return True  # allows all but some: too broad to rule out
    return any(
        fnmatchcase(action.lower(), str(a).lower()) for a in _listed(statement.get("Action"))
    )


def _may_cover(resource: Any, key: str) -> bool:
    """Whether a policy's Resource may name the key: False only when it visibly names another."""
    resource = str(resource)
    key_ref = single_ref(key)
    targets = {ref.target for ref, _ in find_refs(resource)}
    if key_ref is not None and targets:
        return key_ref.target in targets
    if "${" in resource or "${" in key:
        return True  # one side is known only at apply time
    return fnmatchcase(key, resource)


def _is_role(principal: Any, role: Resource) -> bool:
    """Whether a key policy's AWS principal is everyone or names the role."""
    if principal == "*" or any(ref.target == role.logical_id for ref, _ in find_refs(principal)):
        return True
    name = role.properties.get("name")
    return (
        isinstance(name, str) and str(principal).endswith(f"/{name}") and ":role/" in str(principal)
    )


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
