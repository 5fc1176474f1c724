"""S3 bucket behaviour beyond the contract: policies compared by meaning, versioning that
cannot be turned off, teardown of full buckets (refused, or emptied in batches of 1,000 with
the policy removed first), refresh per region, adoption, and drift."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.config.loader import load_stack
from stackdeploy.errors import ConfigErrors, ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.providers.base import ResourceContext
from tests.providers.cases_s3 import BUCKET, NAME, policy
from tests.providers.harness import REGION, STACK, ContractRun

EAST = "us-east-2"


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(BUCKET, clients, aws)


@pytest.fixture
def raw_s3(aws: str) -> Any:
    """S3 as it is, past the engine: for setup and for checking what is left."""
    return boto3.client("s3", region_name=REGION, endpoint_url=aws)


def _create(run: ContractRun, **changes: Any) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    props = run.canonical({**BUCKET.properties(run.prerequisites), **changes})
    return ctx, run.provider.create(ctx, props)


def _context(run: ContractRun, logical_id: str, region: str) -> ResourceContext:
    base = run.context()
    return ResourceContext(
        stack=base.stack,
        logical_id=logical_id,
        region=region,
        token=base.token,
        events=base.events,
        timing=base.timing,
    )


def _plan_action(run: ContractRun, raw: dict[str, Any]) -> Action:
    live = run.provider.read(REGION, NAME)
    assert live is not None
    return make_plan(run.stack_with(raw), run.live_state(live)).change("subject").action


def _operations(clients: ClientFactory, region: str = REGION) -> list[str]:
    """The S3 operations the engine's client sends from now on, in order."""
    seen: list[str] = []

    def record(model: Any, **_: Any) -> None:
        seen.append(model.name)

    clients.client("s3", region).meta.events.register("before-call.s3", record)
    return seen


def test_policy_written_differently_plans_no_change(run: ContractRun) -> None:
    _create(run)
    rewritten = {
        **BUCKET.properties(run.prerequisites),
        # The same policy as JSON text: one statement not in a list, the account as a bare
        # id where S3 hands back its root ARN, the action as a list, no Version.
        "policy": json.dumps(
            {
                "Statement": {
                    "Resource": [f"arn:aws:s3:::{NAME}/*"],
                    "Action": ["s3:GetObject"],
                    "Principal": {"AWS": ["123456789012"]},
                    "Effect": "Allow",
                    "Sid": "ReadFromAccount",
                }
            },
            indent=3,
        ),
    }
    assert _plan_action(run, rewritten) is Action.NOOP
    changed = {**rewritten, "policy": policy(action="s3:GetObjectVersion")}
    assert _plan_action(run, changed) is Action.UPDATE


def test_rules_in_another_order_plan_no_change(run: ContractRun) -> None:
    _create(run)
    base = BUCKET.properties(run.prerequisites)
    rules = list(reversed(base["lifecycle_rules"]))
    rules[1] = {**rules[1], "transitions": list(reversed(rules[1]["transitions"]))}
    assert _plan_action(run, {**base, "lifecycle_rules": rules}) is Action.NOOP


STACK_FILE = """\
stack: contract
region: us-west-2
resources:
  subject:
    type: aws.s3.bucket
    properties:
      name: contract-subject-logs
      versioning: {versioning}
"""


def test_enabled_versioning_cannot_be_disabled(run: ContractRun, tmp_path: Path) -> None:
    _, created = _create(run, lifecycle_rules=[], policy=None, encryption={})
    path = tmp_path / "bucket.yaml"
    path.write_text(STACK_FILE.format(versioning="Disabled"))
    with pytest.raises(ConfigErrors) as raised:
        make_plan(load_stack(path), run.live_state(created))
    [error] = raised.value.errors
    assert "cannot go back to Disabled" in error.message
    assert error.hint is not None and "versioning: Suspended" in error.hint
    assert error.location is not None and error.location.line == 8
    assert error.location.path.endswith("subject.properties.versioning")

    path.write_text(STACK_FILE.format(versioning="Suspended"))
    change = make_plan(load_stack(path), run.live_state(created)).change("subject")
    assert change.action is Action.UPDATE
    [versioning] = [c for c in change.changes if c.path == "versioning"]
    assert versioning.note is not None and "existing versions stay" in versioning.note


def test_a_bucket_holding_objects_is_kept_without_force_destroy(
    run: ContractRun, raw_s3: Any
) -> None:
    ctx, created = _create(run)
    raw_s3.put_object(Bucket=NAME, Key="logs/today.log", Body=b"keep me")
    with pytest.raises(ProviderError) as raised:
        run.provider.delete(ctx, created)
    assert raised.value.code == "BucketNotEmpty"
    assert raised.value.hint is not None and "force_destroy: true" in raised.value.hint
    # Nothing was touched: the objects and the policy are where they were.
    assert raw_s3.get_object(Bucket=NAME, Key="logs/today.log")["Body"].read() == b"keep me"
    assert json.loads(raw_s3.get_bucket_policy(Bucket=NAME)["Policy"])["Statement"]
    assert run.provider.read(REGION, NAME) is not None


def _fill(raw_s3: Any, keys: int) -> None:
    """`keys` objects, then a delete marker over each: 2 x keys versions and markers."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(lambda i: raw_s3.put_object(Bucket=NAME, Key=f"k/{i}", Body=b"x"), range(keys))
        )
    for start in range(0, keys, 1000):
        objects = [{"Key": f"k/{i}"} for i in range(start, min(keys, start + 1000))]
        raw_s3.delete_objects(Bucket=NAME, Delete={"Objects": objects, "Quiet": True})


def test_force_destroy_empties_every_version_in_batches(
    run: ContractRun, raw_s3: Any, clients: ClientFactory
) -> None:
    ctx, created = _create(run, force_destroy=True)
    _fill(raw_s3, 550)  # 550 versions + 550 delete markers
    listing = raw_s3.list_object_versions(Bucket=NAME)
    assert listing["IsTruncated"]
    batches: list[int] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        batches.append(len(params["Delete"]["Objects"]))

    events = clients.client("s3", REGION).meta.events
    events.register("provide-client-params.s3.DeleteObjects", record)
    run.provider.delete(ctx, created)
    assert batches == [1000, 100]
    assert run.provider.read(REGION, NAME) is None
    assert NAME not in [b["Name"] for b in raw_s3.list_buckets()["Buckets"]]


def test_the_policy_goes_before_the_bucket_is_emptied(
    run: ContractRun, raw_s3: Any, clients: ClientFactory
) -> None:
    # Deletes only over TLS: harmless on AWS, but moto applies the Deny without its
    # Condition, so the objects could not be deleted while the policy is there.
    deny = {
        "Statement": [
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{NAME}", f"arn:aws:s3:::{NAME}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
    ctx, _ = _create(run, force_destroy=True, versioning="Disabled")
    for key in ("a", "b"):
        raw_s3.put_object(Bucket=NAME, Key=key, Body=b"x")
    raw_s3.put_bucket_policy(Bucket=NAME, Policy=json.dumps(deny))
    live = run.provider.read(REGION, NAME)
    assert live is not None
    seen = _operations(clients)
    run.provider.delete(ctx, live)
    assert seen.index("DeleteBucketPolicy") < seen.index("ListObjectVersions")
    assert seen[-1] == "DeleteBucket"
    assert run.provider.read(REGION, NAME) is None


def test_each_bucket_is_reported_in_its_own_region_only(run: ContractRun) -> None:
    west_props = run.canonical({"name": "contract-west-bucket"})
    east_props = run.canonical({"name": "contract-east-bucket"})
    run.provider.create(_context(run, "west", REGION), west_props)
    run.provider.create(_context(run, "east", EAST), east_props)
    west = run.provider.read_owned(REGION, STACK)
    east = run.provider.read_owned(EAST, STACK)
    assert [(b.physical_id, b.region, b.logical_id) for b in west] == [
        ("contract-west-bucket", REGION, "west")
    ]
    assert [(b.physical_id, b.region, b.logical_id) for b in east] == [
        ("contract-east-bucket", EAST, "east")
    ]
    assert run.provider.read_many(REGION, ["contract-east-bucket"]) == {}
    assert list(run.provider.read_many(EAST, ["contract-east-bucket"])) == ["contract-east-bucket"]
    assert east[0].properties["regional_domain_name"] == (
        "contract-east-bucket.s3.us-east-2.amazonaws.com"
    )


def test_refresh_reads_configuration_of_the_stacks_buckets_only(
    run: ContractRun, raw_s3: Any, clients: ClientFactory
) -> None:
    _create(run)
    # Same prefix, another owner: its tags are read to learn that, and nothing more.
    raw_s3.create_bucket(
        Bucket="contract-someone-else", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    raw_s3.put_bucket_tagging(
        Bucket="contract-someone-else",
        Tagging={"TagSet": [{"Key": "stackdeploy:stack", "Value": "other"}]},
    )
    raw_s3.create_bucket(
        Bucket="unrelated-bucket", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    before = dict(clients.stats.calls)
    owned = run.provider.read_owned(REGION, STACK)
    calls = {
        op: n - before.get(op, 0) for op, n in clients.stats.calls.items() if n != before.get(op, 0)
    }
    assert [b.physical_id for b in owned] == [NAME]
    assert calls.pop("s3.ListBuckets") == 1
    assert calls.pop("s3.GetBucketTagging") == 2  # the two under the stack's prefix
    assert set(calls.values()) == {1}  # each configuration once, for the one owned bucket
    assert len(calls) == 7


def test_an_interrupted_create_is_adopted_and_a_foreign_name_refused(
    run: ContractRun, raw_s3: Any
) -> None:
    ctx = run.context()
    # An earlier run created the bucket with its tags, then died before configuring it.
    tags = [
        {"Key": "stackdeploy:stack", "Value": STACK},
        {"Key": "stackdeploy:id", "Value": "subject"},
    ]
    raw_s3.create_bucket(Bucket=NAME, CreateBucketConfiguration={"LocationConstraint": REGION})
    raw_s3.put_bucket_tagging(Bucket=NAME, Tagging={"TagSet": tags})
    props = run.canonical(BUCKET.properties(run.prerequisites))
    adopted = run.provider.create(ctx, props)
    assert adopted.properties["versioning"] == "Enabled"
    assert adopted.logical_id == "subject"

    raw_s3.create_bucket(
        Bucket="contract-not-ours", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    with pytest.raises(ProviderError) as raised:
        run.provider.create(ctx, run.canonical({"name": "contract-not-ours"}))
    assert "this stack does not own it" in raised.value.message
    assert raw_s3.get_bucket_versioning(Bucket="contract-not-ours").get("Status") is None


def test_us_east_1_buckets_and_an_existing_one_there(run: ContractRun, aws: str) -> None:
    virginia = boto3.client("s3", region_name="us-east-1", endpoint_url=aws)
    ctx = _context(run, "virginia", "us-east-1")
    created = run.provider.create(ctx, run.canonical({"name": "contract-virginia"}))
    assert created.region == "us-east-1"
    assert virginia.get_bucket_location(Bucket="contract-virginia")["LocationConstraint"] is None
    # There CreateBucket of a bucket the account holds succeeds silently: it is looked at first.
    virginia.create_bucket(Bucket="contract-held-here")
    with pytest.raises(ProviderError, match="does not own it"):
        run.provider.create(ctx, run.canonical({"name": "contract-held-here"}))


def test_changes_made_outside_are_planned_and_undone(run: ContractRun, raw_s3: Any) -> None:
    ctx, created = _create(run)
    raw_s3.delete_bucket_lifecycle(Bucket=NAME)
    raw_s3.delete_public_access_block(Bucket=NAME)
    live = run.provider.read(REGION, NAME)
    assert live is not None
    plan = make_plan(run.stack_with(BUCKET.properties(run.prerequisites)), run.live_state(live))
    change = plan.change("subject")
    assert change.action is Action.UPDATE
    assert {c.path for c in change.changes} == {"lifecycle_rules", "public_access_block"}
    updated = run.provider.update(ctx, live, change.after or {}, change.changes)
    assert updated.properties["lifecycle_rules"] == created.properties["lifecycle_rules"]
    assert all(updated.properties["public_access_block"].values())
