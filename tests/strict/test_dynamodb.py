"""The DynamoDB rules of the strictness layer: each fires the way AWS would, then clears."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import REGION
from tests.strict import dynamodb
from tests.strict.core import StrictAws
from tests.strict.probe import hooked_client, refusal

_ONE_INDEX = (
    "LimitExceededException",
    "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously "
    "per table",
)


@pytest.fixture
def layer(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """Only this family, no throttling: each rule can be watched on its own."""
    strict = StrictAws(
        aws,
        throttle_rate=0.0,
        pending_polls=2,
        refusals_advance_time=False,
        families=[dynamodb.register],
    )
    strict.install(monkeypatch)
    return strict


@pytest.fixture
def ddb(layer: StrictAws, aws: str) -> Any:
    return hooked_client(aws, "dynamodb")


@pytest.fixture
def truth(layer: StrictAws) -> Any:
    """moto's DynamoDB as it is, past the layer."""
    return layer.plain("dynamodb", REGION)


def _error(call: Callable[[], object]) -> tuple[str, str]:
    code, message, _ = refusal(call)
    return code, message


def _create(ddb: Any, name: str = "orders", **extra: Any) -> None:
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


def _gsi(name: str, attribute: str) -> dict[str, Any]:
    return {
        "IndexName": name,
        "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "KEYS_ONLY"},
    }


def _add_index(ddb: Any, name: str, attribute: str, table: str = "orders") -> None:
    ddb.update_table(
        TableName=table,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": attribute, "AttributeType": "S"},
        ],
        GlobalSecondaryIndexUpdates=[{"Create": _gsi(name, attribute)}],
    )


def _states(ddb: Any, name: str = "orders") -> list[str]:
    table = ddb.describe_table(TableName=name)["Table"]
    indexes = table.get("GlobalSecondaryIndexes") or []
    return [table["TableStatus"], *(f"{i['IndexName']}={i['IndexStatus']}" for i in indexes)]


def _settle(ddb: Any, name: str = "orders") -> None:
    for _ in range(10):
        if all(state.endswith("ACTIVE") for state in _states(ddb, name)):
            return
    raise AssertionError("the table never settled")


def test_a_new_table_is_creating_and_its_index_builds_longer(ddb: Any) -> None:
    _create(ddb, GlobalSecondaryIndexes=[_gsi("by-pk", "pk")])
    assert _states(ddb) == ["CREATING", "by-pk=CREATING"]
    assert _states(ddb) == ["CREATING", "by-pk=CREATING"]
    assert _states(ddb) == ["ACTIVE", "by-pk=CREATING"]
    assert _states(ddb) == ["ACTIVE", "by-pk=CREATING"]
    assert _states(ddb) == ["ACTIVE", "by-pk=ACTIVE"]


def test_update_while_updating_is_refused_until_active(ddb: Any) -> None:
    _create(ddb)
    assert _error(lambda: ddb.update_table(TableName="orders", DeletionProtectionEnabled=True)) == (
        "ResourceInUseException",
        "Attempt to change a resource which is still in use: Table is being created: orders",
    )
    _settle(ddb)
    ddb.update_table(TableName="orders", DeletionProtectionEnabled=True)
    assert _error(lambda: ddb.update_table(TableName="orders", TableClass="STANDARD"))[1].endswith(
        "Table is being updated: orders"
    )
    _settle(ddb)
    ddb.update_table(TableName="orders", DeletionProtectionEnabled=False)


def test_one_index_at_a_time(ddb: Any, truth: Any) -> None:
    _create(ddb)
    _settle(ddb)
    # Two in one call: refused, and moto never sees it.
    assert (
        _error(
            lambda: ddb.update_table(
                TableName="orders",
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "a", "AttributeType": "S"},
                ],
                GlobalSecondaryIndexUpdates=[
                    {"Create": _gsi("by-a", "a")},
                    {"Create": _gsi("by-a-too", "a")},
                ],
            )
        )
        == _ONE_INDEX
    )
    assert not truth.describe_table(TableName="orders")["Table"].get("GlobalSecondaryIndexes")
    _add_index(ddb, "by-a", "a")
    assert _states(ddb) == ["UPDATING", "by-a=CREATING"]
    assert _states(ddb) == ["UPDATING", "by-a=CREATING"]
    # The table is ACTIVE again, but its index is still being built.
    assert _states(ddb) == ["ACTIVE", "by-a=CREATING"]
    assert _error(lambda: _add_index(ddb, "by-b", "b")) == _ONE_INDEX
    assert _states(ddb) == ["ACTIVE", "by-a=CREATING"]
    assert _states(ddb) == ["ACTIVE", "by-a=ACTIVE"]
    _add_index(ddb, "by-b", "b")
    _settle(ddb)


def test_a_removed_index_is_deleting_and_blocks_the_next(ddb: Any, truth: Any) -> None:
    _create(ddb, GlobalSecondaryIndexes=[_gsi("by-pk", "pk")])
    _settle(ddb)
    ddb.update_table(
        TableName="orders", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-pk"}}]
    )
    assert not truth.describe_table(TableName="orders")["Table"].get("GlobalSecondaryIndexes")
    assert _states(ddb) == ["UPDATING", "by-pk=DELETING"]
    assert _error(lambda: _add_index(ddb, "by-a", "a"))[0] == "ResourceInUseException"
    assert _states(ddb) == ["UPDATING", "by-pk=DELETING"]
    assert _states(ddb) == ["ACTIVE"]
    _add_index(ddb, "by-a", "a")


def test_duplicate_and_unknown_index_names_answer_like_aws(ddb: Any) -> None:
    """moto answers both with an HTTP 500."""
    _create(ddb, GlobalSecondaryIndexes=[_gsi("by-pk", "pk")])
    _settle(ddb)
    assert _error(lambda: _add_index(ddb, "by-pk", "a")) == (
        "ValidationException",
        "One or more parameter values were invalid: Index already exists: by-pk",
    )
    assert _error(
        lambda: ddb.update_table(
            TableName="orders", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "nope"}}]
        )
    ) == ("ValidationException", "The table does not have the specified index: nope")


def test_a_deleted_table_is_deleting_and_holds_its_name(ddb: Any, truth: Any) -> None:
    _create(ddb, Tags=[{"Key": "stackdeploy:stack", "Value": "s"}])
    _settle(ddb)
    response = ddb.delete_table(TableName="orders")
    assert response["TableDescription"]["TableStatus"] == "DELETING"
    assert _error(lambda: _create(ddb))[0] == "ResourceInUseException"
    assert _error(lambda: ddb.delete_table(TableName="orders")) == (
        "ResourceInUseException",
        "Attempt to change a resource which is still in use: Table is being deleted: orders",
    )
    # The stand-in holding the name carries no tags: nothing counts it as the stack's.
    tagging = truth.list_tags_of_resource(
        ResourceArn=truth.describe_table(TableName="orders")["Table"]["TableArn"]
    )
    assert tagging["Tags"] == []
    assert _states(ddb) == ["DELETING"]
    assert _states(ddb) == ["DELETING"]
    assert _error(lambda: ddb.describe_table(TableName="orders"))[0] == "ResourceNotFoundException"
    _create(ddb)


def test_deletion_protection_is_refused_by_moto_itself(ddb: Any) -> None:
    _create(ddb, DeletionProtectionEnabled=True)
    _settle(ddb)
    code, message = _error(lambda: ddb.delete_table(TableName="orders"))
    assert code == "ValidationException"
    assert "DeletionProtectionEnabled" in message


def test_table_class_and_encryption_changes_are_reported_like_aws(ddb: Any, truth: Any) -> None:
    """moto's UpdateTable keeps neither; DescribeTable must show what AWS would."""
    key = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    _create(ddb, TableClass="STANDARD_INFREQUENT_ACCESS")
    _settle(ddb)
    table = ddb.describe_table(TableName="orders")["Table"]
    assert table["TableClassSummary"] == {"TableClass": "STANDARD_INFREQUENT_ACCESS"}
    assert "SSEDescription" not in table
    ddb.update_table(
        TableName="orders",
        SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
    )
    _settle(ddb)
    assert ddb.describe_table(TableName="orders")["Table"]["SSEDescription"]["KMSMasterKeyArn"] == (
        key
    )
    ddb.update_table(TableName="orders", SSESpecification={"Enabled": False}, TableClass="STANDARD")
    _settle(ddb)
    table = ddb.describe_table(TableName="orders")["Table"]
    assert "SSEDescription" not in table
    assert table["TableClassSummary"] == {"TableClass": "STANDARD"}
