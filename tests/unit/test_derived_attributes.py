"""Attributes known before create (issue 7, item 7): a bucket's ARN from its name, a role's from
the account, path and name. A policy that only names them waits for nothing, so a replication
role and the buckets that name it form no cycle; the plan shows the real values."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackdeploy.apply.executor import _Executor
from stackdeploy.aws.timing import Timing
from stackdeploy.config.loader import load_stack
from stackdeploy.errors import ConfigErrors
from stackdeploy.graph.build import build_graph
from stackdeploy.model.live import LiveState
from stackdeploy.model.stack import Stack
from stackdeploy.model.values import UNKNOWN
from stackdeploy.plan.planner import make_plan

ACCOUNT = "123456789012"
STACK = """\
stack: rep
region: us-west-2
resources:
  data:
    type: aws.s3.bucket
    properties:
      name: rep-data-${aws:account_id}
      versioning: Enabled
      replication:
        role: ${role.arn}
        rules: [{id: all, destination: "${replica.arn}"}]
  replica:
    type: aws.s3.bucket
    region: us-east-2
    properties: {name: rep-replica-${aws:account_id}, versioning: Enabled}
  role:
    type: aws.iam.role
    properties:
      path: /s3/
      assume_role_policy:
        Statement: [{Effect: Allow, Principal: {Service: s3.amazonaws.com}, Action: sts:AssumeRole}]
      inline_policies:
        replicate:
          Statement:
            - {Effect: Allow, Action: s3:GetReplicationConfiguration, Resource: "${data.arn}"}
            - {Effect: Allow, Action: s3:ReplicateObject, Resource: "${replica.arn}/*"}
  table:
    type: aws.dynamodb.table
    properties: {hash_key: id, attributes: {id: S}}
  reader:
    type: aws.iam.role
    properties:
      assume_role_policy:
        Statement: [{Effect: Allow, Principal: {AWS: "${role.arn}"}, Action: sts:AssumeRole}]
      inline_policies:
        read:
          Statement: [{Effect: Allow, Action: dynamodb:GetItem, Resource: "${table.arn}"}]
"""
LOOKUPS = {
    "us-west-2|aws:account_id": ACCOUNT,
    "us-east-2|aws:account_id": ACCOUNT,
}


def load(tmp_path: Path) -> Stack:
    path = tmp_path / "rep.yaml"
    path.write_text(STACK)
    return load_stack(path)


def test_a_policy_naming_a_resource_waits_for_nothing_but_a_principal_does(
    tmp_path: Path,
) -> None:
    graph = build_graph(load(tmp_path))
    assert set(graph.edges) == {
        ("role", "data"),  # replication needs its role and destination to exist
        ("replica", "data"),
        ("role", "reader"),  # a principal must exist: IAM checks it
    }


def test_the_plan_shows_arns_before_their_resources_exist(tmp_path: Path) -> None:
    plan = make_plan(load(tmp_path), LiveState(), account=ACCOUNT, lookups=LOOKUPS)
    role = plan.change("role").after or {}
    statements = role["inline_policies"]["replicate"]["Statement"]
    resources = sorted(r for statement in statements for r in statement["Resource"])
    assert resources == [
        f"arn:aws:s3:::rep-data-{ACCOUNT}",
        f"arn:aws:s3:::rep-replica-{ACCOUNT}/*",
    ]
    data = plan.change("data").after or {}
    assert data["replication"]["role"] == f"arn:aws:iam::{ACCOUNT}:role/s3/rep-role"
    reader = plan.change("reader").after or {}
    [grant] = reader["inline_policies"]["read"]["Statement"]
    assert grant["Resource"] == [f"arn:aws:dynamodb:us-west-2:{ACCOUNT}:table/rep-table"]
    assert plan.derived["replica"]["regional_domain_name"] == (
        f"rep-replica-{ACCOUNT}.s3.us-east-2.amazonaws.com"
    )


def test_without_the_account_they_are_known_after_apply(tmp_path: Path) -> None:
    plan = make_plan(load(tmp_path), LiveState())
    data = plan.change("data").after or {}
    assert data["replication"]["role"] is UNKNOWN
    assert plan.derived == {}


# A bucket's policy names the bucket by its own ARN, known before it exists; nothing else of
# a resource may name the resource itself.
OWN_ARN = """\
stack: own
region: us-west-2
resources:
  data:
    type: aws.s3.bucket
    properties:
      name: own-data-${aws:account_id}
      policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Deny
            Principal: "*"
            Action: s3:PutObject
            Resource: "${data.arn}/*"
            Condition: {"Null": {"s3:x-amz-server-side-encryption": "true"}}
          - Effect: Deny
            Principal: "*"
            Action: s3:*
            NotResource: ["${data.arn}", "${data.arn}/*"]
  alone:
    type: aws.s3.bucket
    properties:
      name: own-alone-bucket
      policy:
        Statement: {Effect: Deny, Principal: "*", Action: s3:*, Resource: "${alone.arn}/*"}
"""


def test_a_bucket_policy_may_name_the_bucket_by_its_own_arn(tmp_path: Path) -> None:
    path = tmp_path / "own.yaml"
    path.write_text(OWN_ARN)
    stack = load_stack(path)
    assert set(build_graph(stack).edges) == set()
    assert stack.resources["data"].dependencies() == set()
    plan = make_plan(stack, LiveState(), account=ACCOUNT, lookups=LOOKUPS)
    arn = f"arn:aws:s3:::own-data-{ACCOUNT}"
    statements = (plan.change("data").after or {})["policy"]["Statement"]
    assert sorted(str(s.get("Resource") or s.get("NotResource")) for s in statements) == [
        str([arn, f"{arn}/*"]),
        str([f"{arn}/*"]),
    ]
    [alone] = (plan.change("alone").after or {})["policy"]["Statement"]
    assert alone["Resource"] == ["arn:aws:s3:::own-alone-bucket/*"]
    # Apply sends exactly the values the plan derived, before the bucket exists.
    executor = _Executor(plan, stack, LiveState(), {}, None, lambda _: None, Timing(), False)  # type: ignore[arg-type]
    applied = executor.resolve("data")["policy"]["Statement"]
    assert applied == statements


@pytest.mark.parametrize(
    ("declaration", "where"),
    [
        # A name stackdeploy generates may take its other form in a replacement.
        (
            "{policy: {Statement: [{Effect: Deny, Principal: '*', Action: 's3:*', "
            "Resource: '${b.arn}/*'}]}}",
            "policy.Statement[0].Resource",
        ),
        # A principal must exist: IAM checks it.
        (
            "{name: own-b-bucket, policy: {Statement: [{Effect: Deny, Principal: "
            "{AWS: '${b.arn}'}, Action: 's3:*', Resource: 'arn:aws:s3:::own-b-bucket'}]}}",
            "policy.Statement[0].Principal.AWS",
        ),
        # Outside a policy statement the value is part of the resource's own creation.
        ("{name: own-b-bucket, tags: {self: '${b.arn}'}}", "tags.self"),
        ("{name: own-b-bucket, tags: {self: '${b.name}'}}", "tags.self"),
    ],
)
def test_every_other_reference_to_itself_is_refused(
    tmp_path: Path, declaration: str, where: str
) -> None:
    path = tmp_path / "b.yaml"
    path.write_text(
        f"stack: own\nregion: us-west-2\nresources:\n"
        f"  b: {{type: aws.s3.bucket, properties: {declaration}}}\n"
    )
    with pytest.raises(ConfigErrors) as caught:
        load_stack(path)
    [error] = caught.value.errors
    assert error.message.startswith("b refers to itself (${b.")
    assert error.location is not None
    assert error.location.path == f"resources.b.properties.{where}"
