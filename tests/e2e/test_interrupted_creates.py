"""A create whose next call fails (tags that S3 takes in a separate call, a table's TTL, a key's
alias) in two runs in a row: nothing is duplicated, the third run adopts what was made, and a
destroy leaves nothing. Through the CLI, on moto behind the strictness layer."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.e2e.leftovers import owned_resources
from tests.strict.core import AwsError, Call, StrictAws

pytestmark = pytest.mark.e2e

REGION = "us-west-2"
BUCKET = "halfway-logs-example"
STACK = f"""\
stack: halfway
region: {REGION}
resources:
  logs:
    type: aws.s3.bucket
    properties: {{name: {BUCKET}}}
  sessions:
    type: aws.dynamodb.table
    properties: {{hash_key: id, attributes: {{id: S}}, ttl_attribute: expires}}
  key:
    type: aws.kms.key
    properties: {{alias: alias/halfway-data}}
"""
# The call that follows each create: S3's tagging (which the provider repeats after
# CreateBucket, for endpoints that drop the tags CreateBucket carries), DynamoDB's TTL, and the
# KMS alias.
FOLLOW_UPS = (("s3", "PutBucketTagging"), ("dynamodb", "UpdateTimeToLive"), ("kms", "CreateAlias"))


def drop_create_tags(call: Call) -> None:
    """An endpoint that ignores CreateBucketConfiguration.Tags (S3 took tags at create only
    from 2025; S3-compatible stores may not): the bucket is untagged until PutBucketTagging."""
    call.params.get("CreateBucketConfiguration", {}).pop("Tags", None)


class Outage:
    """Fails the follow-up calls with a 500 while on, however often they are retried."""

    def __init__(self) -> None:
        self.on = True

    def __call__(self, call: Call) -> None:
        if self.on:
            raise AwsError("InternalError", "We encountered an internal error.", 500)


def bucket_tags(aws: str) -> dict[str, str]:
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=aws)
    try:
        tag_set = s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]
    except s3.exceptions.ClientError:
        return {}
    return {t["Key"]: t["Value"] for t in tag_set}


def buckets(aws: str) -> list[str]:
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=aws)
    return [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_follow_up_calls_failing_twice_lose_nothing_and_duplicate_nothing(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    outage = Outage()
    for service, operation in FOLLOW_UPS:
        strict_aws.before(service, operation, outage)
    strict_aws.params("s3", "CreateBucket", drop_create_tags)
    stack = workdir / "halfway.yaml"
    stack.write_text(STACK)

    for _ in range(2):
        failed = cli("apply", str(stack), "--auto-approve")
        assert failed.code == 1
        # Each failed at its follow-up (the last answer may be a throttle the layer mixes in).
        for address in ("logs", "sessions", "key"):
            assert f"\n  {address}: " in failed.stderr, failed.stderr
    assert buckets(aws) == [BUCKET]
    assert bucket_tags(aws) == {}  # created, never tagged: only the state's intent knows it
    owned = owned_resources(aws, "halfway")
    assert len(owned["dynamodb_table"]) == 1
    assert len(owned["kms_key"]) == 1
    [state] = (workdir / "state").rglob("halfway/*.json")
    assert json.loads(state.read_text())["intents"]["logs"]["name"] == BUCKET

    outage.on = False
    planned = cli("plan", str(stack), "--json")
    changes = {c["address"]: c for c in planned.json()["resource_changes"]}
    assert changes["logs"]["change"]["actions"] == ["update"]
    assert "interrupted" in changes["logs"]["reasons"]
    assert changes["sessions"]["change"]["actions"] == ["update"]  # the TTL still to set
    assert changes["key"]["change"]["actions"] == ["update"]  # the alias still to create
    applied = cli("apply", str(stack), "--auto-approve")
    assert applied.code == 0, applied.stderr
    lineage = json.loads(state.read_text())["lineage"]
    assert bucket_tags(aws)["stackdeploy:lineage"] == lineage
    assert json.loads(state.read_text())["intents"] == {}
    assert cli("plan", str(stack), "--detailed-exitcode").code == 0
    assert buckets(aws) == [BUCKET]

    destroyed = cli("destroy", str(stack), "--auto-approve")
    assert destroyed.code == 0, destroyed.stderr
    assert buckets(aws) == []
    assert owned_resources(aws, "halfway") == {}
