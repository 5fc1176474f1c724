"""Data-stack behaviour a user relies on beyond the lifecycle in test_stacks.py: a bucket
holding objects is destroyed only with force_destroy, applied first."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from tests.e2e.conftest import Cli
from tests.e2e.leftovers import owned_resources
from tests.strict import StrictAws

pytestmark = pytest.mark.e2e

STACK = "devassoc-storage"


def test_a_bucket_with_versions_goes_only_with_force_destroy(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack_file = str(workdir / "stacks/s3-storage.yaml")
    applied = cli("apply", stack_file, "--auto-approve")
    assert applied.code == 0, applied.stderr
    replica = cli("output", stack_file, "--json").json()["replica_bucket"]
    s3 = boto3.client("s3", region_name="us-east-2", endpoint_url=aws)
    for body in (b"one", b"two", b"three"):  # three versions of one key
        s3.put_object(Bucket=replica, Key="report.txt", Body=body)
    s3.delete_object(Bucket=replica, Key="report.txt")  # and a delete marker

    refused = cli("destroy", stack_file, "--auto-approve")
    assert refused.code == 1
    assert "force_destroy" in refused.stderr
    versions = s3.list_object_versions(Bucket=replica)
    assert len(versions["Versions"]) == 3 and len(versions["DeleteMarkers"]) == 1

    # The rest of the destroy went on: only the refused bucket is left, with every version.
    assert owned_resources(aws, STACK) == {"s3_bucket": [replica]}

    forced = ["--var", "force_destroy=true"]
    turned_on = cli("plan", stack_file, "--json", *forced)
    assert turned_on.actions() == {
        "replica": "update",  # force_destroy on: recorded before any destroy relies on it
        "data": "create",
        "replication_role": "create",
    }
    assert cli("apply", stack_file, "--auto-approve", *forced).code == 0
    destroyed = cli("destroy", stack_file, "--auto-approve", *forced)
    assert destroyed.code == 0, destroyed.stderr
    assert owned_resources(aws, STACK) == {}
