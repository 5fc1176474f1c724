"""KMS key specs: validation with file, line and field, canonical policies, plan notes; no
AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackdeploy.config.loader import load_stack
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.live import LiveResource, LiveState, Proof
from stackdeploy.model.stack import Stack
from stackdeploy.plan.planner import PriorState, make_plan
from stackdeploy.plan.types import Action

ROOT_POLICY = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
}


def _key(**properties: Any) -> dict[str, Any]:
    return {"type": "aws.kms.key", "properties": properties}


def load(tmp_path: Path, resources: dict[str, Any]) -> Stack:
    path = tmp_path / "stack.yaml"
    path.write_text(json.dumps({"stack": "vault", "region": "us-west-2", "resources": resources}))
    return load_stack(path)


def problems(tmp_path: Path, resources: dict[str, Any]) -> list[str]:
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load(tmp_path, resources)
    error = caught.value
    found = error.errors if isinstance(error, ConfigErrors) else [error]
    return [f"{e.location.path if e.location else ''}: {e.message}" for e in found]


def test_defaults_are_a_symmetric_enabled_key_with_a_seven_day_window(tmp_path: Path) -> None:
    properties = load(tmp_path, {"key": _key()}).resources["key"].properties
    assert properties == {
        "description": "",
        "key_usage": "ENCRYPT_DECRYPT",
        "key_spec": "SYMMETRIC_DEFAULT",
        "enable_key_rotation": False,
        "policy": None,
        "alias": "",
        "enabled": True,
        "deletion_window_days": 7,
        "tags": {},
    }


@pytest.mark.parametrize("days", [6, 31, 0])
def test_the_deletion_window_is_7_to_30_days(tmp_path: Path, days: int) -> None:
    [problem] = problems(tmp_path, {"key": _key(deletion_window_days=days)})
    assert problem.startswith("resources.key.properties.deletion_window_days: ")
    assert f"deletion_window_days {days} is outside 7 to 30" in problem


@pytest.mark.parametrize("days", [7, 30])
def test_window_bounds_are_accepted(tmp_path: Path, days: int) -> None:
    stack = load(tmp_path, {"key": _key(deletion_window_days=days)})
    assert stack.resources["key"].properties["deletion_window_days"] == days


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("app-data", "must start with 'alias/'"),
        ("alias/", "must start with 'alias/'"),
        ("alias/has space", "must start with 'alias/'"),
        ("alias/aws/s3", "reserved for AWS managed keys"),
    ],
)
def test_aliases_are_validated(tmp_path: Path, alias: str, expected: str) -> None:
    [problem] = problems(tmp_path, {"key": _key(alias=alias)})
    assert problem.startswith("resources.key.properties.alias: ")
    assert expected in problem


def test_an_alias_names_one_key_per_region(tmp_path: Path) -> None:
    found = problems(tmp_path, {"a": _key(alias="alias/shared"), "b": _key(alias="alias/shared")})
    assert found == [
        "resources.b.properties.alias: alias 'alias/shared' is also given to 'a' in us-west-2"
    ]


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"key_spec": "RSA_2048", "key_usage": "GENERATE_VERIFY_MAC"}, "does not fit key_spec"),
        ({"key_spec": "HMAC_256"}, "key_usage ENCRYPT_DECRYPT does not fit key_spec HMAC_256"),
        (
            {"key_spec": "ECC_NIST_P256", "key_usage": "SIGN_VERIFY", "enable_key_rotation": True},
            "KMS rotates only SYMMETRIC_DEFAULT keys",
        ),
    ],
)
def test_usage_spec_and_rotation_must_fit(
    tmp_path: Path, properties: dict[str, Any], expected: str
) -> None:
    [problem] = problems(tmp_path, {"key": _key(**properties)})
    assert expected in problem


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ({"Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}, "Principal"),
        (
            {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*"}]},
            "Resource is required",
        ),
        ("{not json", "not valid JSON"),
        ({"Statement": []}, "needs a Statement"),
        (
            {"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "x", "Resource": "*"}]},
            "Effect must be Allow or Deny",
        ),
    ],
)
def test_key_policies_are_checked(tmp_path: Path, policy: Any, expected: str) -> None:
    [problem] = problems(tmp_path, {"key": _key(policy=policy)})
    assert problem.startswith("resources.key.properties.policy: ")
    assert expected in problem


def test_a_policy_as_json_text_or_mapping_is_the_same(tmp_path: Path) -> None:
    text = json.dumps({**ROOT_POLICY, "Version": "2012-10-17"}, indent=2)
    stack = load(tmp_path, {"a": _key(policy=ROOT_POLICY), "b": _key(policy=text)})
    assert stack.resources["a"].properties["policy"] == stack.resources["b"].properties["policy"]


def _live(stack: Stack, **overrides: Any) -> LiveState:
    properties = {
        **stack.resources["key"].properties,
        "id": "k-1",
        "arn": "arn:aws:kms:us-west-2:123456789012:key/k-1",
        "alias_arn": None,
        **overrides,
    }
    live = LiveResource("aws.kms.key", "k-1", "us-west-2", properties, "key", proof=Proof.RECORDED)
    return LiveState(resources={"key": live})


def test_destroy_says_when_the_key_goes_and_how_to_recover_it(tmp_path: Path) -> None:
    stack = load(tmp_path, {"key": _key(alias="alias/app", deletion_window_days=21)})
    prior = PriorState(applied={"key": stack.resources["key"].properties})
    plan = make_plan(stack, _live(stack), destroy=True, prior=prior)
    assert plan.warnings == (
        "key: the key is scheduled for deletion in 21 days; until then it can be recovered "
        "with CancelKeyDeletion (data encrypted under it is unreadable once it is deleted); "
        "its alias alias/app is deleted now",
    )


def test_without_a_state_record_the_default_window_is_stated(tmp_path: Path) -> None:
    stack = load(tmp_path, {"key": _key()})
    plan = make_plan(stack, _live(stack), destroy=True)
    assert "scheduled for deletion in 7 days" in plan.warnings[0]


def test_a_new_key_spec_replaces_the_key_creating_the_new_one_first(tmp_path: Path) -> None:
    stack = load(tmp_path, {"key": _key(key_spec="RSA_2048")})
    live = _live(load(tmp_path, {"key": _key()}))
    change = make_plan(stack, live).change("key")
    assert change.action is Action.REPLACE
    assert change.replace_paths() == ["key_spec"]
    assert change.replace_strategy is not None
    assert change.replace_strategy.value == "create_then_delete"
    assert any("re-encrypt" in note for note in change.notes)


def test_an_unmanaged_policy_is_never_a_change(tmp_path: Path) -> None:
    stack = load(tmp_path, {"key": _key()})
    live = _live(stack, policy={"Version": "2012-10-17", "Statement": []})
    assert make_plan(stack, live).change("key").action is Action.NOOP


def test_keys_are_deleted_after_what_they_may_encrypt(tmp_path: Path) -> None:
    """Even a table that names the key by a literal ARN goes first."""
    arn = "arn:aws:kms:us-west-2:123456789012:key/k-1"
    table = {
        "type": "aws.dynamodb.table",
        "properties": {"hash_key": "id", "attributes": {"id": "S"}, "kms_key_arn": arn},
    }
    stack = load(tmp_path, {"key": _key(), "orders": table})
    table_live = LiveResource(
        "aws.dynamodb.table",
        "vault-orders",
        "us-west-2",
        {**stack.resources["orders"].properties, "id": "vault-orders"},
        "orders",
        proof=Proof.RECORDED,
    )
    live = _live(stack)
    live.resources["orders"] = table_live
    plan = make_plan(stack, live, destroy=True)
    assert ("orders", "key") in plan.deletion_edges
