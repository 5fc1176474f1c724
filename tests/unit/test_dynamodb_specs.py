"""DynamoDB table specs: key attribute definitions, index limits, billing combinations, the
KMS key reference and the canonical form, each error with its field; no AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackdeploy.config.loader import load_stack
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.live import LiveResource, LiveState, Proof
from stackdeploy.model.stack import Stack
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action


def _table(**properties: Any) -> dict[str, Any]:
    base = {"hash_key": "user_id", "attributes": {"user_id": "S"}}
    return {"type": "aws.dynamodb.table", "properties": {**base, **properties}}


def load(tmp_path: Path, resources: dict[str, Any]) -> Stack:
    path = tmp_path / "stack.yaml"
    path.write_text(json.dumps({"stack": "shop", "region": "us-west-2", "resources": resources}))
    return load_stack(path)


def problems(tmp_path: Path, resources: dict[str, Any]) -> list[str]:
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load(tmp_path, resources)
    error = caught.value
    found = error.errors if isinstance(error, ConfigErrors) else [error]
    return [f"{e.location.path if e.location else ''}: {e.message}" for e in found]


def _gsi(name: str, hash_key: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "hash_key": hash_key, **extra}


def test_exercise_4_7_users_table(tmp_path: Path) -> None:
    stack = load(
        tmp_path,
        {
            "users": _table(
                name="Users",
                range_key="user_email",
                attributes={"user_id": "S", "user_email": "S"},
                read_capacity=5,
                write_capacity=5,
            )
        },
    )
    properties = stack.resources["users"].properties
    assert properties["billing_mode"] == "PROVISIONED"  # implied by the capacities
    assert (properties["hash_key_type"], properties["range_key_type"]) == ("S", "S")
    assert properties["ttl_attribute"] == ""
    assert properties["stream_view_type"] == ""


def test_without_capacities_a_table_is_on_demand_and_named_after_the_stack(
    tmp_path: Path,
) -> None:
    properties = load(tmp_path, {"users": _table()}).resources["users"].properties
    assert properties["billing_mode"] == "PAY_PER_REQUEST"
    assert properties["name"] == "shop-users"
    assert (properties["read_capacity"], properties["range_key"]) == (None, "")


def test_every_key_attribute_needs_a_type_and_every_type_a_key(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {
            "users": _table(
                range_key="joined",
                attributes={"user_id": "S", "nickname": "S", "team": "S"},
                global_secondary_indexes=[_gsi("by-team", "team"), _gsi("by-city", "city")],
                local_secondary_indexes=[{"name": "by-age", "range_key": "age"}],
            )
        },
    )
    assert found == [
        "resources.users.properties.range_key: range_key 'joined' has no type in attributes",
        "resources.users.properties.global_secondary_indexes[1].hash_key: index by-city's "
        "hash_key 'city' has no type in attributes",
        "resources.users.properties.local_secondary_indexes[0].range_key: index by-age's "
        "range_key 'age' has no type in attributes",
        "resources.users.properties.attributes.nickname: attributes declares 'nickname', which "
        "no key of the table or its indexes uses; DynamoDB rejects unused definitions",
    ]


def test_attribute_types_are_s_n_or_b(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, {"users": _table(attributes={"user_id": "string"})})
    assert problem.startswith("resources.users.properties.attributes.user_id: ")


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        (
            {"billing_mode": "PROVISIONED", "read_capacity": 5},
            "billing_mode PROVISIONED needs both read_capacity and write_capacity",
        ),
        (
            {"billing_mode": "PAY_PER_REQUEST", "read_capacity": 5, "write_capacity": 5},
            "apply only to billing_mode PROVISIONED",
        ),
        (
            {
                "attributes": {"user_id": "S", "team": "S"},
                "global_secondary_indexes": [_gsi("by-team", "team", read_capacity=2)],
            },
            "index by-team: capacities apply only to billing_mode PROVISIONED",
        ),
    ],
)
def test_billing_combinations(tmp_path: Path, properties: dict[str, Any], expected: str) -> None:
    [problem] = problems(tmp_path, {"users": _table(**properties)})
    assert problem.startswith("resources.users.properties: ")
    assert expected in problem


def test_capacity_must_be_at_least_one(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, {"users": _table(read_capacity=0, write_capacity=1)})
    assert problem.startswith("resources.users.properties.read_capacity: ")


def test_provisioned_indexes_default_to_the_table_capacity(tmp_path: Path) -> None:
    stack = load(
        tmp_path,
        {
            "users": _table(
                attributes={"user_id": "S", "team": "S"},
                read_capacity=5,
                write_capacity=3,
                global_secondary_indexes=[_gsi("by-team", "team", write_capacity=1)],
            )
        },
    )
    [index] = stack.resources["users"].properties["global_secondary_indexes"]
    assert (index["read_capacity"], index["write_capacity"]) == (5, 1)
    assert (index["hash_key_type"], index["range_key"], index["projection"]) == ("S", "", "ALL")


def test_at_most_20_global_and_5_local_indexes(tmp_path: Path) -> None:
    attributes = {"user_id": "S", "joined": "N", **{f"g{n}": "S" for n in range(21)}}
    attributes.update({f"l{n}": "S" for n in range(6)})
    found = problems(
        tmp_path,
        {
            "users": _table(
                range_key="joined",
                attributes=attributes,
                global_secondary_indexes=[_gsi(f"gsi-{n}", f"g{n}") for n in range(21)],
                local_secondary_indexes=[
                    {"name": f"lsi-{n}", "range_key": f"l{n}"} for n in range(6)
                ],
            )
        },
    )
    assert found == [
        "resources.users.properties.global_secondary_indexes: 21 global secondary indexes; "
        "DynamoDB allows 20 per table (unless the quota was raised)",
        "resources.users.properties.local_secondary_indexes: 6 local secondary indexes; "
        "DynamoDB allows 5 per table",
    ]


def test_local_indexes_need_a_sort_key_and_names_are_unique(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {
            "users": _table(
                attributes={"user_id": "S", "team": "S"},
                global_secondary_indexes=[_gsi("by-team", "team")],
                local_secondary_indexes=[{"name": "by-team", "range_key": "team"}],
            )
        },
    )
    assert found == [
        "resources.users.properties.local_secondary_indexes: local secondary indexes need a "
        "table with a range_key (sort key)",
        "resources.users.properties.local_secondary_indexes[0].name: index name 'by-team' is "
        "used twice (names are unique per table)",
    ]


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        ({"projection": "INCLUDE"}, "projection INCLUDE needs non_key_attributes"),
        ({"non_key_attributes": ["a"]}, "apply only to projection INCLUDE"),
        ({"name": "ab"}, "index name 'ab' must be 3 to 255"),
        ({"range_key": "team"}, "hash_key and range_key are both team"),
    ],
)
def test_index_definitions(tmp_path: Path, index: dict[str, Any], expected: str) -> None:
    gsi = {**_gsi("by-team", "team"), **index}
    found = problems(
        tmp_path,
        {"users": _table(attributes={"user_id": "S", "team": "S"}, global_secondary_indexes=[gsi])},
    )
    assert any(expected in problem for problem in found), found
    assert all(
        p.startswith("resources.users.properties.global_secondary_indexes[0]") for p in found
    )


def test_table_names_are_checked_and_unique_per_region(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, {"a": _table(name="no spaces")})
    assert problem == (
        "resources.a.properties.name: table name 'no spaces' must be 3 to 255 letters, digits, "
        "'_', '-' or '.' (9 characters given)"
    )
    found = problems(tmp_path, {"b": _table(name="shared"), "c": _table(name="shared")})
    assert found == [
        "resources.c.properties.name: table 'b' already has the name 'shared' in us-west-2",
    ]


def test_ttl_reads_a_number(tmp_path: Path) -> None:
    table = _table(
        range_key="expires", attributes={"user_id": "S", "expires": "S"}, ttl_attribute="expires"
    )
    assert problems(tmp_path, {"d": table}) == [
        "resources.d.properties.ttl_attribute: ttl_attribute 'expires' is declared as type S; "
        "TTL reads a number (epoch seconds)",
    ]


def test_the_encryption_key_is_referenced_by_its_arn(tmp_path: Path) -> None:
    key = {"type": "aws.kms.key", "properties": {}}
    found = problems(
        tmp_path,
        {
            "key": key,
            "vpc": {"type": "aws.ec2.vpc", "properties": {"cidr_block": "10.0.0.0/16"}},
            "by_id": _table(kms_key_arn="${key.id}"),
            "not_a_key": _table(kms_key_arn="${vpc.arn}"),
            "literal": _table(kms_key_arn="alias/aws/dynamodb"),
        },
    )
    # The literal's field error and the references' cross-resource errors, all at once.
    assert sorted(p.split(": ", 1)[0] for p in found) == [
        "resources.by_id.properties.kms_key_arn",
        "resources.literal.properties.kms_key_arn",
        "resources.not_a_key.properties.kms_key_arn",
    ]
    assert (
        "resources.literal.properties.kms_key_arn: kms_key_arn 'alias/aws/dynamodb' is not a "
        "KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>); refer to a key as ${key.arn}"
    ) in found
    found = problems(
        tmp_path,
        {
            "key": key,
            "vpc": {"type": "aws.ec2.vpc", "properties": {"cidr_block": "10.0.0.0/16"}},
            "by_id": _table(kms_key_arn="${key.id}"),
            "not_a_key": _table(kms_key_arn="${vpc.arn}"),
        },
    )
    assert [p.split(": ", 1)[0] for p in found] == [
        "resources.by_id.properties.kms_key_arn",
        "resources.not_a_key.properties.kms_key_arn",
    ]
    assert "write ${key.arn}" in found[0]
    assert "a aws.ec2.vpc; it takes a KMS key" in found[1]
    stack = load(tmp_path, {"key": key, "users": _table(kms_key_arn="${key.arn}")})
    assert stack.resources["users"].dependencies() == {"key"}


def _live(stack: Stack, logical_id: str = "users") -> LiveState:
    properties = {
        **stack.resources[logical_id].properties,
        "id": "shop-users",
        "arn": "arn:aws:dynamodb:us-west-2:123456789012:table/shop-users",
        "stream_arn": None,
    }
    live = LiveResource(
        "aws.dynamodb.table",
        "shop-users",
        "us-west-2",
        properties,
        logical_id,
        proof=Proof.RECORDED,
    )
    return LiveState(resources={logical_id: live})


def test_a_key_type_change_replaces_the_table_and_says_why(tmp_path: Path) -> None:
    before = load(tmp_path, {"users": _table()})
    after = load(tmp_path, {"users": _table(attributes={"user_id": "N"})})
    change = make_plan(after, _live(before)).change("users")
    assert change.action is Action.REPLACE
    assert change.replace_paths() == ["hash_key_type"]
    assert "key schema is fixed at creation" in (change.changes[-1].note or "")


def test_index_order_is_not_a_change(tmp_path: Path) -> None:
    attributes = {"user_id": "S", "a": "S", "b": "S"}
    indexes = [_gsi("by-a", "a"), _gsi("by-b", "b")]
    before = load(
        tmp_path, {"users": _table(attributes=attributes, global_secondary_indexes=indexes)}
    )
    after = load(
        tmp_path,
        {"users": _table(attributes=attributes, global_secondary_indexes=indexes[::-1])},
    )
    assert make_plan(after, _live(before)).change("users").action is Action.NOOP


def test_deletion_protection_warns_in_the_plan(tmp_path: Path) -> None:
    from stackdeploy.plan.planner import PriorState

    stack = load(tmp_path, {"users": _table(deletion_protection=True)})
    prior = PriorState(applied={"users": stack.resources["users"].properties})
    plan = make_plan(stack, _live(stack), destroy=True, prior=prior)
    assert plan.warnings == (
        "users: deletion protection is on: AWS refuses to delete the table until you set "
        "deletion_protection: false and apply",
    )
