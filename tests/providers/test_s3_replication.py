"""Replication of KMS-encrypted objects through the bucket provider, on moto (issue 7, item
8): the rule's KMS selection, replica key and replica modification sync are written, read back
equal (no change planned) and changed in place.

moto stores a replication configuration whole but answers GetBucketReplication without each
rule's SourceSelectionCriteria, Filter and DeleteMarkerReplication; the strictness layer's S3
replication rules (tests/strict/s3_replication.py) answer as AWS does, so these tests install
them. What reached moto is checked past the layer: its answer to a plain client for the
Destination, and the configuration it stored for the rest."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.plan.diff import diff_properties
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.report.plan_view import plain_plan
from stackdeploy.specs.s3.bucket import BUCKET as BUCKET_TYPE
from tests.providers.cases_s3 import BUCKET
from tests.providers.harness import REGION, ContractRun
from tests.strict import s3 as s3_rules
from tests.strict.core import StrictAws
from tests.strict.s3_replication import stored_rules

ACCOUNT = "123456789012"  # moto's
EAST = "us-east-2"
SOURCE, REPLICA = "contract-kms-source", "contract-kms-replica"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/replicator"
SOURCE_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0a1b2c3d-0000-1111-2222-333344445555"
# S3 does not check replica keys when the configuration is put (AWS says so): ARNs will do.
REPLICA_KEY = f"arn:aws:kms:{EAST}:{ACCOUNT}:key/9f8e7d6c-0000-1111-2222-333344445555"
OTHER_REPLICA_KEY = f"arn:aws:kms:{EAST}:{ACCOUNT}:alias/replicas"


@pytest.fixture
def strict(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """S3 as AWS answers, for the engine's clients; no throttling."""
    layer = StrictAws(aws, throttle_rate=0.0, families=[s3_rules.register])
    layer.install(monkeypatch)
    return layer


@pytest.fixture
def run(strict: StrictAws, clients: ClientFactory, aws: str) -> ContractRun:
    plain = boto3.client("s3", region_name=EAST, endpoint_url=aws)
    plain.create_bucket(Bucket=REPLICA, CreateBucketConfiguration={"LocationConstraint": EAST})
    plain.put_bucket_versioning(Bucket=REPLICA, VersioningConfiguration={"Status": "Enabled"})
    return ContractRun(BUCKET, clients, aws)


def _raw(**rule: Any) -> dict[str, Any]:
    replication_rule = {
        "id": "encrypted",
        "destination": f"arn:aws:s3:::{REPLICA}",
        "prefix": "logs/",
        "storage_class": "STANDARD_IA",
        "delete_marker_replication": True,
        "sse_kms_encrypted_objects": True,
        "replica_kms_key_id": REPLICA_KEY,
        "replica_modifications": True,
        **rule,
    }
    return {
        "name": SOURCE,
        "versioning": "Enabled",
        "encryption": {"algorithm": "aws:kms", "kms_key_id": SOURCE_KEY},
        "replication": {"role": ROLE, "rules": [replication_rule]},
    }


def _answered(aws: str) -> dict[str, Any]:
    """The rule moto answers a plain client with (past the layer)."""
    plain = boto3.client("s3", region_name=REGION, endpoint_url=aws)
    [rule] = plain.get_bucket_replication(Bucket=SOURCE)["ReplicationConfiguration"]["Rules"]
    return dict(rule)


def _stored() -> dict[str, Any]:
    [rule] = stored_rules(SOURCE)
    return rule


def _plan(run: ContractRun, raw: dict[str, Any]) -> Any:
    live = run.provider.read(REGION, SOURCE)
    assert live is not None
    return make_plan(run.stack_with(raw), run.live_state(live))


def test_the_kms_fields_are_written_and_read_back_as_given(run: ContractRun, aws: str) -> None:
    props = run.canonical(_raw())
    created = run.provider.create(run.context(), props)
    assert diff_properties(BUCKET_TYPE, props, created.properties) == []
    [rule] = created.properties["replication"]["rules"]
    assert (
        rule["sse_kms_encrypted_objects"],
        rule["replica_kms_key_id"],
        rule["replica_modifications"],
    ) == (True, REPLICA_KEY, True)
    assert _plan(run, _raw()).change("subject").action is Action.NOOP

    assert _answered(aws)["Destination"] == {
        "Bucket": f"arn:aws:s3:::{REPLICA}",
        "StorageClass": "STANDARD_IA",
        "EncryptionConfiguration": {"ReplicaKmsKeyID": REPLICA_KEY},
    }
    stored = _stored()
    assert stored["SourceSelectionCriteria"] == {
        "SseKmsEncryptedObjects": {"Status": "Enabled"},
        "ReplicaModifications": {"Status": "Enabled"},
    }
    assert (stored["Filter"], stored["DeleteMarkerReplication"]) == (
        {"Prefix": "logs/"},
        {"Status": "Enabled"},
    )
    # What moto itself answers, and why the layer is needed to read it back at all.
    assert "SourceSelectionCriteria" not in _answered(aws)


def test_the_kms_fields_change_in_place(run: ContractRun, aws: str) -> None:
    ctx = run.context()
    run.provider.create(ctx, run.canonical(_raw()))
    changed = _raw(replica_kms_key_id=OTHER_REPLICA_KEY, replica_modifications=False)
    plan = _plan(run, changed)
    change = plan.change("subject")
    assert change.action is Action.UPDATE
    assert [(c.path, c.forces_replacement) for c in change.changes] == [("replication", False)]
    shown = plain_plan(plan)
    assert f'~ replica_kms_key_id: "{REPLICA_KEY}" → "{OTHER_REPLICA_KEY}"' in shown
    assert "~ replica_modifications: true → false" in shown

    live = run.provider.read(REGION, SOURCE)
    assert live is not None
    updated = run.provider.update(ctx, live, change.after or {}, change.changes)
    assert diff_properties(BUCKET_TYPE, change.after or {}, updated.properties) == []
    assert _answered(aws)["Destination"]["EncryptionConfiguration"] == {
        "ReplicaKmsKeyID": OTHER_REPLICA_KEY
    }
    assert _stored()["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}

    # No KMS objects any more: the rule goes back to its plain shape, without the elements.
    plain = _raw(
        sse_kms_encrypted_objects=False, replica_kms_key_id=None, replica_modifications=False
    )
    change = _plan(run, plain).change("subject")
    live = run.provider.read(REGION, SOURCE)
    assert live is not None
    updated = run.provider.update(ctx, live, change.after or {}, change.changes)
    assert diff_properties(BUCKET_TYPE, change.after or {}, updated.properties) == []
    assert "SourceSelectionCriteria" not in _stored()
    assert "EncryptionConfiguration" not in _answered(aws)["Destination"]
    assert _plan(run, plain).change("subject").action is Action.NOOP
