"""S3 bucket specs: names, lifecycle, replication, policy and encryption rules, reported at
their fields with no AWS call; and the versioning rule a plan checks against AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackdeploy.config.loader import load_stack
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.live import LiveResource, LiveState, Proof
from stackdeploy.model.refs import Lookup
from stackdeploy.model.stack import Stack
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.specs.s3.checks import versioning_not_disabled

ROLE = {
    "type": "aws.iam.role",
    "properties": {
        "assume_role_policy": {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "s3.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ]
        }
    },
}


def _bucket(region: str | None = None, **properties: Any) -> dict[str, Any]:
    declared: dict[str, Any] = {"type": "aws.s3.bucket", "properties": properties}
    if region:
        declared["region"] = region
    return declared


def load(tmp_path: Path, resources: dict[str, Any], stack: str = "shop") -> Stack:
    path = tmp_path / "stack.yaml"
    # JSON is YAML; the references stay plain strings.
    path.write_text(json.dumps({"stack": stack, "region": "us-west-2", "resources": resources}))
    return load_stack(path)


def problems(tmp_path: Path, resources: dict[str, Any], stack: str = "shop") -> list[str]:
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load(tmp_path, resources, stack)
    error = caught.value
    assert isinstance(error, ConfigError | ConfigErrors)
    found = error.errors if isinstance(error, ConfigErrors) else [error]
    return [f"{e.location.path if e.location else ''}: {e.message}" for e in found]


# -- names and defaults -------------------------------------------------------------------------


def test_defaults_follow_aws_and_the_generated_name_holds_the_account(tmp_path: Path) -> None:
    props = load(tmp_path, {"Web_Assets": _bucket()}).resources["Web_Assets"].properties
    assert props["name"] == "shop-web-assets-${aws:account_id}"
    assert props["versioning"] == "Disabled"
    assert props["encryption"] == {"algorithm": "AES256", "kms_key_id": None, "bucket_key": False}
    assert all(props["public_access_block"].values())
    assert props["object_ownership"] == "BucketOwnerEnforced"
    assert (props["policy"], props["replication"], props["lifecycle_rules"]) == ({}, {}, [])
    assert props["force_destroy"] is False


def test_a_long_generated_name_still_fits_with_the_account_id(tmp_path: Path) -> None:
    stack = load(tmp_path, {"a" * 60: _bucket()}, stack="s" * 40)
    name = stack.resources["a" * 60].properties["name"]
    resolved = name.replace("${aws:account_id}", "123456789012")
    assert len(resolved) == 63 and resolved.endswith("-123456789012")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("ab", "3 to 63 characters"),
        ("x" * 64, "3 to 63 characters"),
        ("My-Bucket", "only lowercase letters"),
        ("my_bucket", "only lowercase letters"),
        ("-bucket", "start and end with a letter or digit"),
        ("bucket.", "start and end with a letter or digit"),
        ("my..bucket", "two dots in a row"),
        ("192.168.5.4", "look like an IP address"),
        ("xn--bucket", "must not start with 'xn--'"),
        ("sthree-bucket", "must not start with 'sthree-'"),
        ("bucket-s3alias", "must not end with '-s3alias'"),
        ("bucket--ol-s3", "must not end with '--ol-s3'"),
        # The account id counts as its 12 digits.
        ("x" * 51 + "-${aws:account_id}", "3 to 63 characters"),
    ],
)
def test_names_s3_rejects(tmp_path: Path, name: str, message: str) -> None:
    [problem] = problems(tmp_path, {"logs": _bucket(name=name)})
    assert problem.startswith("resources.logs.properties.name: ")
    assert message in problem


def test_a_generated_name_s3_would_reject_asks_for_an_explicit_one(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, {"logs": _bucket()}, stack="xn--shop")
    assert "the generated bucket name 'xn--shop-logs-${aws:account_id}'" in problem


def test_names_are_global_within_the_stack(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, {"one": _bucket(name="logs-1"), "two": _bucket(name="logs-1")})
    assert problem.startswith("resources.two.properties.name: ")
    assert "also used by 'one'" in problem


def test_at_most_43_user_tags(tmp_path: Path) -> None:
    tags = {f"k{i}": "v" for i in range(44)}
    [problem] = problems(tmp_path, {"logs": _bucket(tags=tags)})
    assert "at most 43 tags per bucket" in problem


# -- lifecycle ----------------------------------------------------------------------------------


def _rule(**fields: Any) -> dict[str, Any]:
    return {"id": "r", **fields}


def test_standard_tiering_is_accepted(tmp_path: Path) -> None:
    rule = _rule(
        transitions=[
            {"days": 120, "storage_class": "GLACIER"},  # any order: sorted by day
            {"days": 30, "storage_class": "STANDARD_IA"},
            {"days": 300, "storage_class": "DEEP_ARCHIVE"},
        ],
        expiration_days=400,
        noncurrent_transitions=[{"days": 30, "storage_class": "ONEZONE_IA", "newer_versions": 2}],
        noncurrent_expiration_days=90,
        abort_incomplete_multipart_upload_days=7,
    )
    stack = load(tmp_path, {"logs": _bucket(versioning="Enabled", lifecycle_rules=[rule])})
    [canonical] = stack.resources["logs"].properties["lifecycle_rules"]
    assert [t["days"] for t in canonical["transitions"]] == [30, 120, 300]


@pytest.mark.parametrize(
    ("rule", "where", "message"),
    [
        (
            _rule(transitions=[{"days": 10, "storage_class": "STANDARD_IA"}]),
            "lifecycle_rules[0].transitions",
            "a transition to STANDARD_IA needs at least 30 days (got 10)",
        ),
        (
            _rule(noncurrent_transitions=[{"days": 7, "storage_class": "ONEZONE_IA"}]),
            "lifecycle_rules[0].noncurrent_transitions",
            "a transition to ONEZONE_IA needs at least 30 days (got 7)",
        ),
        (
            _rule(
                transitions=[
                    {"days": 60, "storage_class": "GLACIER"},
                    {"days": 90, "storage_class": "STANDARD_IA"},
                ]
            ),
            "lifecycle_rules[0].transitions",
            "STANDARD_IA at day 90 must come after GLACIER at day 60: storage classes only "
            "move down",
        ),
        (
            _rule(
                transitions=[
                    {"days": 30, "storage_class": "STANDARD_IA"},
                    {"days": 45, "storage_class": "GLACIER"},
                ]
            ),
            "lifecycle_rules[0].transitions",
            "GLACIER at day 45 is less than 30 days after STANDARD_IA at day 30",
        ),
        (
            _rule(
                transitions=[{"days": 90, "storage_class": "GLACIER"}],
                expiration_days=60,
            ),
            "lifecycle_rules[0].expiration_days",
            "expiration at day 60 must come after the last transition (GLACIER at day 90)",
        ),
        (
            _rule(tags={"kind": "tmp"}, abort_incomplete_multipart_upload_days=3),
            "lifecycle_rules[0].abort_incomplete_multipart_upload_days",
            "cannot be used with a tag filter",
        ),
        (
            _rule(expiration_days=5, expired_object_delete_marker=True),
            "lifecycle_rules[0].expired_object_delete_marker",
            "cannot be combined with expiration_days",
        ),
        (_rule(), "lifecycle_rules[0]", "rule 'r' does nothing"),
    ],
)
def test_lifecycle_rules_s3_refuses(
    tmp_path: Path, rule: dict[str, Any], where: str, message: str
) -> None:
    [problem] = problems(tmp_path, {"logs": _bucket(lifecycle_rules=[rule])})
    assert problem.startswith(f"resources.logs.properties.{where}: ")
    assert message in problem


def test_lifecycle_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(
        "stack: shop\n"
        "region: us-west-2\n"
        "resources:\n"
        "  logs:\n"
        "    type: aws.s3.bucket\n"
        "    properties:\n"
        "      lifecycle_rules:\n"
        "        - id: archive\n"
        "          transitions: [{days: 10, storage_class: STANDARD_IA}]\n"
        "        - id: archive\n"
        "          expiration_days: 0\n"
    )
    with pytest.raises(ConfigErrors) as caught:
        load_stack(path)
    [days] = caught.value.errors  # field errors come first; the rule checks wait for them
    assert days.location is not None and days.location.line == 11
    assert "must be at least 1" in days.message
    path.write_text(path.read_text().replace("expiration_days: 0", "expiration_days: 5"))
    with pytest.raises(ConfigErrors) as caught:
        load_stack(path)
    lines = sorted(e.location.line for e in caught.value.errors if e.location and e.location.line)
    assert lines == [9, 10]  # the early transition, and the repeated id


# -- replication --------------------------------------------------------------------------------


def _replicated(source: dict[str, Any] | None = None, **replica: Any) -> dict[str, Any]:
    replication = {
        "role": "${role.arn}",
        "rules": [{"id": "all", "destination": "${replica.arn}"}],
    }
    return {
        "role": ROLE,
        "replica": _bucket("us-east-2", **{"versioning": "Enabled", **replica}),
        "source": _bucket(
            **{"versioning": "Enabled", "replication": replication, **(source or {})}
        ),
    }


def test_cross_region_replication_is_accepted(tmp_path: Path) -> None:
    stack = load(tmp_path, _replicated())
    replication = stack.resources["source"].properties["replication"]
    assert replication["rules"][0]["priority"] == 1  # filled in: S3 reads one back
    assert stack.resources["source"].dependencies() == {"role", "replica"}


def test_replication_needs_versioning_on_both_sides(tmp_path: Path) -> None:
    found = problems(tmp_path, _replicated({"versioning": "Suspended"}, versioning="Disabled"))
    assert found == [
        "resources.source.properties.versioning: replication needs versioning: Enabled on the "
        "source bucket (it is Suspended)",
        "resources.source.properties.replication.rules: replication rule 'all': destination "
        "'replica' needs versioning: Enabled (it is Disabled)",
    ]


def test_replication_goes_to_another_region(tmp_path: Path) -> None:
    resources = _replicated()
    del resources["replica"]["region"]
    [problem] = problems(tmp_path, resources)
    assert "destination 'replica' is in us-west-2 too" in problem


def test_replication_role_must_be_a_role_s3_may_assume(tmp_path: Path) -> None:
    resources = _replicated()
    resources["role"] = {
        "type": "aws.iam.role",
        "properties": {
            "assume_role_policy": {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ]
            }
        },
    }
    [problem] = problems(tmp_path, resources)
    assert problem.startswith("resources.source.properties.replication.role: ")
    assert "does not let s3.amazonaws.com assume it" in problem
    resources = _replicated()
    resources["source"]["properties"]["replication"]["role"] = "${replica.arn}"
    [problem] = problems(tmp_path, resources)
    assert "'replica' is a aws.s3.bucket, not an IAM role" in problem


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"id": "a", "destination": "arn:aws:s3:::Bad_Name"}], "only lowercase letters"),
        ([{"id": "a", "destination": "replica-bucket"}], "is not a bucket ARN"),
        ([], "needs at least 1 item, got 0"),
        (
            [
                {"id": "a", "destination": "arn:aws:s3:::one-bucket", "priority": 1},
                {"id": "b", "destination": "arn:aws:s3:::two-bucket", "priority": 1},
            ],
            "two replication rules have priority 1",
        ),
        (
            [
                {
                    "id": "a",
                    "destination": "arn:aws:s3:::one-bucket",
                    "tags": {"k": "v"},
                    "delete_marker_replication": True,
                }
            ],
            "delete_marker_replication cannot be used with a tag filter",
        ),
    ],
)
def test_replication_rules_s3_refuses(
    tmp_path: Path, rules: list[dict[str, Any]], message: str
) -> None:
    replication = {"role": "arn:aws:iam::123456789012:role/replicator", "rules": rules}
    [problem] = problems(tmp_path, {"logs": _bucket(versioning="Enabled", replication=replication)})
    assert problem.startswith("resources.logs.properties.replication")
    assert message in problem


# -- policy and encryption ------------------------------------------------------------------------


def _policy(**statement: Any) -> dict[str, Any]:
    base = {
        "Effect": "Allow",
        "Principal": {"AWS": "123456789012"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::shop-site/*",
    }
    return {"Statement": [{**base, **statement}]}


def test_a_policy_in_json_text_equals_the_same_mapping(tmp_path: Path) -> None:
    text = json.dumps(_policy(Action=["s3:GetObject"]), indent=2)
    one = load(tmp_path, {"site": _bucket(name="shop-site", policy=text)})
    two = load(tmp_path, {"site": _bucket(name="shop-site", policy=_policy())})
    assert one.resources["site"].properties["policy"] == two.resources["site"].properties["policy"]


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (_policy(Action="ec2:RunInstances"), "not an S3 action"),
        ({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, "Principal is"),
        (_policy(Effect="Maybe"), "Effect must be Allow or Deny"),
        ("{not json", "not valid JSON"),
    ],
)
def test_policies_s3_refuses(tmp_path: Path, policy: Any, message: str) -> None:
    [problem] = problems(tmp_path, {"site": _bucket(name="shop-site", policy=policy)})
    assert problem.startswith("resources.site.properties.policy: ")
    assert message in problem


def test_a_policy_covers_its_own_bucket_only(tmp_path: Path) -> None:
    policy = _policy(Resource="arn:aws:s3:::someone-else/*")
    [problem] = problems(tmp_path, {"site": _bucket(name="shop-site", policy=policy)})
    assert problem.startswith("resources.site.properties.policy: ")
    assert "'arn:aws:s3:::someone-else/*' is not this bucket or its objects" in problem


def test_a_public_policy_needs_the_public_access_block_lifted(tmp_path: Path) -> None:
    public = _policy(Principal="*")
    [problem] = problems(tmp_path, {"site": _bucket(name="shop-site", policy=public)})
    assert "block_public_policy refuses" in problem
    lifted = {"block_public_policy": False, "restrict_public_buckets": False}
    load(tmp_path, {"site": _bucket(name="shop-site", policy=public, public_access_block=lifted)})
    # A condition makes it non-public: allowed with the block on.
    limited = _policy(Principal="*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    load(tmp_path, {"site": _bucket(name="shop-site", policy=limited)})


def test_kms_settings_need_sse_kms(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, {"data": _bucket(encryption={"kms_key_id": "alias/data"})})
    assert problem.startswith("resources.data.properties.encryption: ")
    assert "set algorithm: aws:kms" in problem
    key = {"type": "aws.kms.key", "properties": {}}
    stack = load(
        tmp_path,
        {
            "key": key,
            "data": _bucket(
                encryption={"algorithm": "aws:kms", "kms_key_id": "${key.arn}", "bucket_key": True}
            ),
        },
    )
    assert stack.resources["data"].dependencies() == {"key"}


# -- versioning against AWS ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("live", "desired", "refused"),
    [
        ("Enabled", "Disabled", True),
        ("Suspended", "Disabled", True),
        ("Enabled", "Suspended", False),
        ("Disabled", "Disabled", False),
        ("Suspended", "Enabled", False),
    ],
)
def test_versioning_never_goes_back_to_disabled(live: str, desired: str, refused: bool) -> None:
    issues = list(versioning_not_disabled("logs", {"versioning": desired}, {"versioning": live}))
    assert bool(issues) is refused


def _live_bucket(stack: Stack, logical_id: str, **changes: Any) -> LiveResource:
    props = dict(stack.resources[logical_id].properties)
    props["name"] = props["name"].replace("${aws:account_id}", "123456789012")
    return LiveResource(
        "aws.s3.bucket",
        props["name"],
        "us-west-2",
        {**props, **changes},
        logical_id,
        proof=Proof.RECORDED,
    )


def test_a_plan_back_to_disabled_stops_unless_it_is_not_targeted(tmp_path: Path) -> None:
    stack = load(tmp_path, {"logs": _bucket(), "other": _bucket()})
    live = LiveState(
        {
            "logs": _live_bucket(stack, "logs", versioning="Enabled"),
            "other": _live_bucket(stack, "other"),
        }
    )
    account = {Lookup("aws", "account_id").scoped("us-west-2"): "123456789012"}
    with pytest.raises(ConfigErrors) as caught:
        make_plan(stack, live, lookups=account)
    [error] = caught.value.errors
    assert error.location is not None
    assert error.location.path == "resources.logs.properties.versioning"
    plan = make_plan(stack, live, lookups=account, targets=["other"])
    assert plan.change("other").action is Action.NOOP
