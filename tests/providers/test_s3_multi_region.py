"""Cross-region replication in one stack, through the CLI with AWS strictness on: a source
bucket in us-west-2 replicating to a bucket in us-east-2 with an IAM role. Refresh reads each
region once and reports each bucket in its own region; apply orders the replica (versioned)
and the role before the source's replication; names carry the account id; destroy refuses a
bucket that still holds objects until force_destroy is on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.leftovers import owned_resources
from tests.providers.conftest import Run
from tests.strict import StrictAws

ACCOUNT = "123456789012"  # moto's
SOURCE = f"replicated-source-{ACCOUNT}"
REPLICA = f"replicated-replica-{ACCOUNT}"
STACK = """\
stack: replicated
region: us-west-2
resources:
  replication_role:
    type: aws.iam.role
    properties:
      assume_role_policy:
        Statement:
          - {Effect: Allow, Principal: {Service: s3.amazonaws.com}, Action: sts:AssumeRole}
      inline_policies:
        replicate:
          Statement:
            - Effect: Allow
              Action: [s3:GetReplicationConfiguration, s3:ListBucket, s3:GetObjectVersion*,
                       s3:ReplicateObject, s3:ReplicateDelete, s3:ReplicateTags]
              Resource: ["arn:aws:s3:::replicated-*"]
  replica:
    type: aws.s3.bucket
    region: us-east-2
    properties: {versioning: Enabled, force_destroy: true}
  source:
    type: aws.s3.bucket
    properties:
      versioning: Enabled
      force_destroy: __FORCE__
      replication:
        role: ${replication_role.arn}
        rules: [{id: everything, destination: "${replica.arn}", storage_class: STANDARD_IA}]
      lifecycle_rules:
        - {id: old-versions, noncurrent_expiration_days: 30}
outputs:
  source: ${source.name}
  replica_arn: ${replica.arn}
"""


def _write(tmp_path: Path, *, force_destroy: bool) -> str:
    path = tmp_path / "replicated.yaml"
    path.write_text(STACK.replace("__FORCE__", str(force_destroy).lower()))
    return str(path)


def _s3(aws: str, region: str = "us-west-2") -> Any:
    return boto3.client("s3", region_name=region, endpoint_url=aws)


@pytest.mark.e2e
def test_replication_across_two_regions(
    deploy: Run, tmp_path: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = _write(tmp_path, force_destroy=False)
    code, out, err = deploy("plan", stack, "--json")
    assert code == 0, err
    planned = {c["address"]: c for c in json.loads(out)["resource_changes"]}
    # The account id is known at plan time: the generated names are shown in full.
    assert planned["source"]["change"]["after"]["name"] == SOURCE
    assert (planned["source"]["region"], planned["replica"]["region"]) == ("us-west-2", "us-east-2")

    code, _, err = deploy("apply", stack, "--auto-approve")
    assert code == 0, err
    assert strict_aws.count("InvalidRequest") == 0  # replica versioned before replication
    assert _s3(aws).get_bucket_location(Bucket=SOURCE)["LocationConstraint"] == "us-west-2"
    assert _s3(aws).get_bucket_location(Bucket=REPLICA)["LocationConstraint"] == "us-east-2"
    rules = _s3(aws).get_bucket_replication(Bucket=SOURCE)["ReplicationConfiguration"]["Rules"]
    assert rules[0]["Destination"] == {
        "Bucket": f"arn:aws:s3:::{REPLICA}",
        "StorageClass": "STANDARD_IA",
    }

    code, out, err = deploy("plan", stack, "--json")
    assert code == 0, err
    changes = json.loads(out)["resource_changes"]
    # Each bucket once, in its own region, and nothing to do.
    assert sorted((c["address"], c["region"], c["change"]["actions"]) for c in changes) == [
        ("replica", "us-east-2", ["no-op"]),
        ("replication_role", "us-west-2", ["no-op"]),
        ("source", "us-west-2", ["no-op"]),
    ]
    _, out, _ = deploy("output", stack, "source")
    assert SOURCE in out

    # A bucket holding objects is not destroyed without force_destroy, and is kept as it is.
    _s3(aws).put_object(Bucket=SOURCE, Key="report.csv", Body=b"a,b\n")
    _, out, _ = deploy("plan", stack, "--destroy")
    assert "deleted only if empty" in out
    code, _, err = deploy("destroy", stack, "--auto-approve")
    assert code == 1
    assert "still holds objects" in err and "force_destroy: true" in err
    assert _s3(aws).head_object(Bucket=SOURCE, Key="report.csv")
    assert sorted(owned_resources(aws, "replicated")["s3_bucket"]) == [REPLICA, SOURCE]

    # force_destroy is a change the plan shows and apply records; then destroy empties it.
    stack = _write(tmp_path, force_destroy=True)
    code, out, err = deploy("plan", stack, "--json")
    updated = [
        c for c in json.loads(out)["resource_changes"] if c["change"]["actions"] != ["no-op"]
    ]
    assert [(c["address"], c["change"]["actions"]) for c in updated] == [("source", ["update"])]
    assert deploy("apply", stack, "--auto-approve")[0] == 0
    code, _, err = deploy("destroy", stack, "--auto-approve")
    assert code == 0, err
    assert owned_resources(aws, "replicated") == {}
