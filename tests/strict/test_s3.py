"""The S3 rules of the strictness layer: each fires the way AWS would, then clears; and the
refusals moto already makes itself are shown to need no rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.strict import s3 as s3_rules
from tests.strict.core import StrictAws
from tests.strict.probe import hooked_client, refusal

WEST, EAST = "us-west-2", "us-east-2"
ROLE = "arn:aws:iam::123456789012:role/replication"


@pytest.fixture
def layer(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """Only this family, no throttling: each rule can be watched on its own."""
    strict = StrictAws(aws, throttle_rate=0.0, families=[s3_rules.register])
    strict.install(monkeypatch)
    return strict


def _hooked(aws: str, region: str = WEST) -> Any:
    return hooked_client(aws, "s3", region)


@pytest.fixture
def s3(layer: StrictAws, aws: str) -> Any:
    return _hooked(aws)


def _error(call: Callable[[], object]) -> tuple[str, int]:
    code, _, status = refusal(call)
    return code, status


@pytest.fixture
def east(layer: StrictAws, aws: str) -> Any:
    return _hooked(aws, EAST)


def _create(s3: Any, name: str, **extra: Any) -> None:
    """A bucket in the region of the client that creates it."""
    configuration = {"LocationConstraint": s3.meta.region_name, **extra}
    s3.create_bucket(Bucket=name, CreateBucketConfiguration=configuration)


def _replicate_to(destination: str) -> dict[str, Any]:
    return {
        "Role": ROLE,
        "Rules": [
            {
                "ID": "all",
                "Priority": 1,
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "DeleteMarkerReplication": {"Status": "Disabled"},
                "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
            }
        ],
    }


def test_moto_itself_refuses_deleting_a_bucket_with_versions(s3: Any, layer: StrictAws) -> None:
    _create(s3, "holds-versions")
    s3.put_bucket_versioning(Bucket="holds-versions", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="holds-versions", Key="k", Body=b"x")
    s3.delete_object(Bucket="holds-versions", Key="k")  # only a delete marker is added
    assert _error(lambda: s3.delete_bucket(Bucket="holds-versions")) == ("BucketNotEmpty", 409)
    assert layer.injections == []  # moto's own answer, no rule needed


def test_moto_itself_refuses_replication_without_versioning(
    s3: Any, east: Any, layer: StrictAws
) -> None:
    _create(s3, "unversioned-source")
    _create(east, "replica-bucket")
    east.put_bucket_versioning(
        Bucket="replica-bucket", VersioningConfiguration={"Status": "Enabled"}
    )
    code = _error(
        lambda: s3.put_bucket_replication(
            Bucket="unversioned-source", ReplicationConfiguration=_replicate_to("replica-bucket")
        )
    )
    assert code == ("InvalidRequest", 400)
    assert layer.injections == []


@pytest.mark.parametrize(
    "name", ["Upper-case", "192.168.1.10", "trailing-", "two..dots", "xn--punycode", "a-s3alias"]
)
def test_names_s3_rejects_are_refused(s3: Any, name: str) -> None:
    assert _error(lambda: _create(s3, name)) == ("InvalidBucketName", 400)


def test_us_east_1_takes_no_location_constraint(layer: StrictAws, aws: str) -> None:
    east1 = _hooked(aws, "us-east-1")
    code = _error(
        lambda: east1.create_bucket(
            Bucket="in-virginia", CreateBucketConfiguration={"LocationConstraint": "us-east-1"}
        )
    )
    assert code == ("InvalidLocationConstraint", 400)
    east1.create_bucket(Bucket="in-virginia")


def test_new_buckets_get_aws_defaults_and_their_create_tags(s3: Any, layer: StrictAws) -> None:
    _create(s3, "fresh-bucket", Tags=[{"Key": "team", "Value": "data"}])
    truth = layer.plain("s3", WEST)
    encryption = truth.get_bucket_encryption(Bucket="fresh-bucket")
    rule = encryption["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    blocks = truth.get_public_access_block(Bucket="fresh-bucket")
    assert all(blocks["PublicAccessBlockConfiguration"].values())
    controls = truth.get_bucket_ownership_controls(Bucket="fresh-bucket")
    assert controls["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert truth.get_bucket_tagging(Bucket="fresh-bucket")["TagSet"] == [
        {"Key": "team", "Value": "data"}
    ]


def test_a_repeated_create_in_us_east_1_changes_nothing(layer: StrictAws, aws: str) -> None:
    east1 = _hooked(aws, "us-east-1")
    east1.create_bucket(Bucket="kept-as-is")
    east1.delete_public_access_block(Bucket="kept-as-is")
    east1.create_bucket(Bucket="kept-as-is")  # AWS: 200, nothing changes
    assert _error(lambda: east1.get_public_access_block(Bucket="kept-as-is"))[0] == (
        "NoSuchPublicAccessBlockConfiguration"
    )


def test_listed_buckets_carry_their_region(s3: Any, east: Any) -> None:
    _create(s3, "listed-west")
    _create(east, "listed-east")
    listed = s3.list_buckets(Prefix="listed-")["Buckets"]
    assert {b["Name"]: b["BucketRegion"] for b in listed} == {
        "listed-west": WEST,
        "listed-east": EAST,
    }


def test_replication_needs_an_existing_versioned_destination(
    s3: Any, east: Any, layer: StrictAws
) -> None:
    _create(s3, "source-bucket")
    s3.put_bucket_versioning(Bucket="source-bucket", VersioningConfiguration={"Status": "Enabled"})

    def put() -> None:
        s3.put_bucket_replication(
            Bucket="source-bucket", ReplicationConfiguration=_replicate_to("replica-bucket")
        )

    assert _error(put) == ("InvalidRequest", 400)  # no destination yet
    _create(east, "replica-bucket")
    assert _error(put) == ("InvalidRequest", 400)  # destination not versioned
    assert layer.count("InvalidRequest", "s3.PutBucketReplication") == 2
    layer.plain("s3", EAST).put_bucket_versioning(
        Bucket="replica-bucket", VersioningConfiguration={"Status": "Enabled"}
    )
    put()


def test_versioning_status_and_replication_lock(s3: Any, east: Any, layer: StrictAws) -> None:
    _create(s3, "source-bucket")
    _create(east, "replica-bucket")
    for bucket in ("source-bucket", "replica-bucket"):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    code = _error(
        lambda: s3.put_bucket_versioning(
            Bucket="source-bucket", VersioningConfiguration={"Status": "On"}
        )
    )
    assert code == ("MalformedXML", 400)
    s3.put_bucket_replication(
        Bucket="source-bucket", ReplicationConfiguration=_replicate_to("replica-bucket")
    )

    def suspend() -> None:
        s3.put_bucket_versioning(
            Bucket="source-bucket", VersioningConfiguration={"Status": "Suspended"}
        )

    assert _error(suspend) == ("InvalidBucketState", 409)
    s3.delete_bucket_replication(Bucket="source-bucket")
    suspend()


def test_public_policy_is_refused_while_blocked(s3: Any, layer: StrictAws) -> None:
    _create(s3, "website-bucket")
    public = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::website-bucket/*",
            }
        ]
    }

    def put() -> None:
        s3.put_bucket_policy(Bucket="website-bucket", Policy=json.dumps(public))

    assert _error(put) == ("AccessDenied", 403)
    bad = _error(lambda: s3.put_bucket_policy(Bucket="website-bucket", Policy="{not json"))
    assert bad == ("MalformedPolicy", 400)
    s3.put_public_access_block(
        Bucket="website-bucket",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    put()


def test_lifecycle_rules_s3_rejects(s3: Any) -> None:
    _create(s3, "tiered-bucket")

    def put(*rules: dict[str, Any]) -> None:
        s3.put_bucket_lifecycle_configuration(
            Bucket="tiered-bucket", LifecycleConfiguration={"Rules": list(rules)}
        )

    def rule(rule_id: str, **actions: Any) -> dict[str, Any]:
        return {"ID": rule_id, "Status": "Enabled", "Filter": {"Prefix": ""}, **actions}

    early = rule("ia", Transitions=[{"Days": 10, "StorageClass": "STANDARD_IA"}])
    assert _error(lambda: put(early)) == ("InvalidArgument", 400)
    noncurrent = rule(
        "nc", NoncurrentVersionTransitions=[{"NoncurrentDays": 5, "StorageClass": "ONEZONE_IA"}]
    )
    assert _error(lambda: put(noncurrent)) == ("InvalidArgument", 400)
    assert _error(lambda: put(rule("zero", Expiration={"Days": 0}))) == ("InvalidArgument", 400)
    twice = rule("same", Expiration={"Days": 5})
    assert _error(lambda: put(twice, twice)) == ("InvalidArgument", 400)
    put(rule("ia", Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"}]))


REPLICA_KEY = "arn:aws:kms:us-east-2:123456789012:key/9f8e7d6c-0000-1111-2222-333344445555"


def _versioned_pair(s3: Any, east: Any) -> None:
    _create(s3, "source-bucket")
    _create(east, "replica-bucket")
    for bucket in ("source-bucket", "replica-bucket"):
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def _kms_rule(selection: str | None, key: str | None, **rule: Any) -> dict[str, Any]:
    configuration = _replicate_to("replica-bucket")
    found = configuration["Rules"][0]
    found.update(rule)
    if selection is not None:
        found["SourceSelectionCriteria"] = {"SseKmsEncryptedObjects": {"Status": selection}}
    if key is not None:
        found["Destination"]["EncryptionConfiguration"] = {"ReplicaKmsKeyID": key}
    return configuration


def test_kms_selection_and_the_replica_key_go_together(
    s3: Any, east: Any, layer: StrictAws
) -> None:
    _versioned_pair(s3, east)

    def put(configuration: dict[str, Any]) -> None:
        s3.put_bucket_replication(Bucket="source-bucket", ReplicationConfiguration=configuration)

    for selection in ("Enabled", "Disabled"):  # the element's presence is what counts
        code, message, status = refusal(lambda s=selection: put(_kms_rule(s, None)))
        assert (code, status) == ("InvalidRequest", 400)
        assert message == (
            "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present."
        )
    code, message, _ = refusal(lambda: put(_kms_rule(None, REPLICA_KEY)))
    assert (code, message) == (
        "InvalidRequest",
        "SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present.",
    )
    assert layer.count("InvalidRequest", "s3.PutBucketReplication") == 3
    put(_kms_rule("Enabled", REPLICA_KEY))
    put(_kms_rule("Disabled", REPLICA_KEY))


def test_rules_are_read_back_as_they_were_put(s3: Any, east: Any, layer: StrictAws) -> None:
    _versioned_pair(s3, east)
    put = _kms_rule(
        "Enabled",
        REPLICA_KEY,
        Filter={"Prefix": "logs/"},
        DeleteMarkerReplication={"Status": "Enabled"},
    )
    put["Rules"][0]["SourceSelectionCriteria"]["ReplicaModifications"] = {"Status": "Enabled"}
    s3.put_bucket_replication(Bucket="source-bucket", ReplicationConfiguration=put)
    [moto_rule] = layer.plain("s3", WEST).get_bucket_replication(Bucket="source-bucket")[
        "ReplicationConfiguration"
    ]["Rules"]
    # moto rebuilds the rule: the selection is gone, the filter and markers are its defaults.
    assert "SourceSelectionCriteria" not in moto_rule
    assert (moto_rule["Filter"], moto_rule["DeleteMarkerReplication"]) == (
        {"Prefix": ""},
        {"Status": "Disabled"},
    )
    [rule] = s3.get_bucket_replication(Bucket="source-bucket")["ReplicationConfiguration"]["Rules"]
    assert rule == put["Rules"][0]

    # Rules written past the layer are answered as moto answers them.
    other = _replicate_to("replica-bucket")
    other["Rules"][0]["ID"] = "other"
    layer.plain("s3", WEST).put_bucket_replication(
        Bucket="source-bucket", ReplicationConfiguration=other
    )
    [rule] = s3.get_bucket_replication(Bucket="source-bucket")["ReplicationConfiguration"]["Rules"]
    assert rule["ID"] == "other" and "SourceSelectionCriteria" not in rule

    # A deleted configuration is forgotten: the same rules put by hand later are moto's.
    s3.put_bucket_replication(Bucket="source-bucket", ReplicationConfiguration=put)
    s3.delete_bucket_replication(Bucket="source-bucket")
    layer.plain("s3", WEST).put_bucket_replication(
        Bucket="source-bucket", ReplicationConfiguration=put
    )
    [rule] = s3.get_bucket_replication(Bucket="source-bucket")["ReplicationConfiguration"]["Rules"]
    assert "SourceSelectionCriteria" not in rule
