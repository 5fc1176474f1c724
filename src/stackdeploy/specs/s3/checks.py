"""Rules a bucket breaks together with the rest of the stack, or with what AWS holds.

Reported by `deploy validate` and `deploy plan` at the field, with no AWS call:
- lifecycle rules S3 would refuse (see lifecycle.py);
- replication without versioning Enabled on the source, or on a destination declared in the
  stack; a destination in the source's own region (this type does cross-region
  replication); a role that is not an IAM role of the stack or whose trust policy does not
  let S3 assume it;
- replication of a KMS-encrypted bucket that would skip its objects, and replica keys in the
  wrong region (see kms_replication.py, which also warns of KMS permissions the role lacks);
- a policy whose Resource is not the bucket or its objects (MalformedPolicy);
- two buckets of the stack with one name (names are global), or a generated name S3 rejects.
And, when an update is planned: versioning going back to Disabled once it has been on.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from stackdeploy.model.refs import single_ref
from stackdeploy.specs.base import Issue, StackCheck, is_ref_like
from stackdeploy.specs.s3.bucket_policy import resources_of
from stackdeploy.specs.s3.kms_replication import kms_replication
from stackdeploy.specs.s3.lifecycle import lifecycle_problems
from stackdeploy.specs.s3.names import bucket_name_problem, bucket_of_arn

if TYPE_CHECKING:
    from stackdeploy.model.stack import Resource, Stack

TYPE_NAME = "aws.s3.bucket"
ROLE_TYPE = "aws.iam.role"
S3_SERVICE = "s3.amazonaws.com"


def _buckets(stack: Stack) -> Iterator[Resource]:
    return (r for r in stack.resources.values() if r.type == TYPE_NAME)


def lifecycle(stack: Stack) -> Iterator[Issue]:
    for bucket in _buckets(stack):
        for path, message in lifecycle_problems(bucket.properties.get("lifecycle_rules", [])):
            yield Issue(bucket.logical_id, path, message)


def replication(stack: Stack) -> Iterator[Issue]:
    for bucket in _buckets(stack):
        config = bucket.properties.get("replication") or {}
        if not config:
            continue
        if bucket.properties.get("versioning") != "Enabled":
            yield Issue(
                bucket.logical_id,
                ("versioning",),
                "replication needs versioning: Enabled on the source bucket "
                f"(it is {bucket.properties.get('versioning')})",
                hint="S3 replicates object versions; enable versioning before replicating",
            )
        yield from _role_issues(stack, bucket, config["role"])
        priorities = [rule["priority"] for rule in config["rules"]]
        if len(set(priorities)) != len(priorities):
            yield Issue(
                bucket.logical_id,
                ("replication", "rules"),
                "two replication rules end up with one priority; give every rule a priority",
            )
        for rule in config["rules"]:
            yield from _destination_issues(stack, bucket, rule)


def _role_issues(stack: Stack, bucket: Resource, role: str) -> Iterator[Issue]:
    ref = single_ref(role)
    if ref is None:
        return
    target = stack.resources.get(ref.target)
    if target is None:
        return  # an unknown reference has its own error
    path = ("replication", "role")
    if target.type != ROLE_TYPE:
        yield Issue(bucket.logical_id, path, f"'{ref.target}' is a {target.type}, not an IAM role")
    elif not _trusts_s3(target.properties.get("assume_role_policy")):
        yield Issue(
            bucket.logical_id,
            path,
            f"role '{ref.target}' does not let {S3_SERVICE} assume it, so S3 cannot replicate",
            hint=f"add Principal: {{Service: {S3_SERVICE}}} with Action sts:AssumeRole to its "
            "assume_role_policy",
        )


def _trusts_s3(document: Any) -> bool:
    if not isinstance(document, Mapping):
        return True  # a reference or something the role's own validation reports
    for statement in document.get("Statement") or []:
        principal = statement.get("Principal") if isinstance(statement, Mapping) else None
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        if principal == "*":
            return True
        if isinstance(principal, Mapping):
            services = principal.get("Service")
            names = [services] if isinstance(services, str) else services or []
            if S3_SERVICE in names or any(is_ref_like(n) for n in names):
                return True
    return False


def _destination_issues(stack: Stack, bucket: Resource, rule: dict[str, Any]) -> Iterator[Issue]:
    path = ("replication", "rules")
    destination = rule["destination"]
    label = f"replication rule '{rule['id']}'"
    if bucket_of_arn(destination) == bucket.properties.get("name"):
        yield Issue(bucket.logical_id, path, f"{label} replicates the bucket to itself")
        return
    ref = single_ref(destination)
    target = stack.resources.get(ref.target) if ref else None
    if ref is None or target is None:
        return  # a literal ARN of a bucket elsewhere, or an unknown reference (own error)
    if target.type != TYPE_NAME:
        yield Issue(bucket.logical_id, path, f"{label}: '{ref.target}' is not an S3 bucket")
        return
    if target.properties.get("versioning") != "Enabled":
        yield Issue(
            bucket.logical_id,
            path,
            f"{label}: destination '{ref.target}' needs versioning: Enabled "
            f"(it is {target.properties.get('versioning')})",
            hint=f"set versioning: Enabled on '{ref.target}'",
        )
    if target.region == bucket.region:
        yield Issue(
            bucket.logical_id,
            path,
            f"{label}: destination '{ref.target}' is in {bucket.region} too; cross-region "
            "replication needs the destination in another region",
            hint=f"give '{ref.target}' its own region: (for example region: us-east-2)",
        )


def policy_resources(stack: Stack) -> Iterator[Issue]:
    """Every Resource of a bucket policy names the bucket or its objects (S3 refuses others
    with MalformedPolicy "Policy has invalid resource")."""
    for bucket in _buckets(stack):
        name = bucket.properties.get("name")
        policy = bucket.properties.get("policy") or {}
        if not isinstance(name, str) or not policy:
            continue
        for _, resource in resources_of(policy):
            # A reference or lookup on either side is judged by S3 itself at apply time.
            if _inside(resource, name) or "${" in resource or "${" in name:
                continue
            # Statements are sorted in canonical form: the message names the resource.
            yield Issue(
                bucket.logical_id,
                ("policy",),
                f"resource '{resource}' is not this bucket or its objects; a bucket policy "
                f"covers arn:aws:s3:::{name} and arn:aws:s3:::{name}/...",
            )


def _inside(resource: str, name: str) -> bool:
    bucket = resource.split(":::", 1)[1] if ":::" in resource else ""
    return resource.startswith("arn:aws") and (bucket == name or bucket.startswith(f"{name}/"))


def unique_names(stack: Stack) -> Iterator[Issue]:
    """Bucket names are global; a generated one can also break a rule (a stack named xn--...)."""
    seen: dict[str, str] = {}
    for bucket in _buckets(stack):
        name = bucket.properties.get("name")
        if not isinstance(name, str):
            continue
        problem = bucket_name_problem(name) if bucket.generated_name else None
        if problem:
            yield Issue(
                bucket.logical_id,
                ("name",),
                f"the generated {problem}",
                hint="give the bucket a name: explicitly",
            )
        other = seen.setdefault(name, bucket.logical_id)
        if other != bucket.logical_id:
            yield Issue(
                bucket.logical_id,
                ("name",),
                f"bucket name '{name}' is also used by '{other}' (bucket names are global)",
            )


def versioning_not_disabled(
    logical_id: str, desired: dict[str, Any], live: dict[str, Any]
) -> Iterator[Issue]:
    """S3 can suspend versioning but never turn it off once it has been enabled."""
    if desired.get("versioning") == "Disabled" and live.get("versioning") in (
        "Enabled",
        "Suspended",
    ):
        yield Issue(
            logical_id,
            ("versioning",),
            f"versioning is {live['versioning']} in AWS and cannot go back to Disabled: once "
            "enabled, S3 can only suspend it",
            hint="write versioning: Suspended (new objects get no versions; existing "
            "versions stay until deleted)",
        )


STACK_CHECKS: tuple[StackCheck, ...] = (
    lifecycle,
    replication,
    kms_replication,
    policy_resources,
    unique_names,
)
