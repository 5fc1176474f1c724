"""A DynamoDB table in both directions: canonical properties -> API requests, and what
DescribeTable / DescribeTimeToLive / DescribeContinuousBackups report -> canonical
properties (the shape specs/dynamodb compares)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackdeploy.providers.tagging_api import aws_tags
from stackdeploy.specs.dynamodb.indexes import key_attributes

PROVISIONED = "PROVISIONED"
# States in which an index or an encryption setting is on its way to what it reports.
_SSE_ON = frozenset({"ENABLED", "ENABLING", "UPDATING"})
_TTL_ON = frozenset({"ENABLED", "ENABLING"})


# -- requests -------------------------------------------------------------------------------


def key_schema(hash_key: str, range_key: str) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def attribute_definitions(types: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"AttributeName": n, "AttributeType": t} for n, t in sorted(types.items())]


def throughput(read: int, write: int) -> dict[str, int]:
    return {"ReadCapacityUnits": int(read), "WriteCapacityUnits": int(write)}


def projection(index: Mapping[str, Any]) -> dict[str, Any]:
    shape: dict[str, Any] = {"ProjectionType": index["projection"]}
    if index["projection"] == "INCLUDE":
        shape["NonKeyAttributes"] = list(index["non_key_attributes"])
    return shape


def global_index(index: Mapping[str, Any], provisioned: bool) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "IndexName": index["name"],
        "KeySchema": key_schema(index["hash_key"], index["range_key"]),
        "Projection": projection(index),
    }
    if provisioned:
        shape["ProvisionedThroughput"] = throughput(index["read_capacity"], index["write_capacity"])
    return shape


def local_index(index: Mapping[str, Any], hash_key: str) -> dict[str, Any]:
    return {
        "IndexName": index["name"],
        "KeySchema": key_schema(hash_key, index["range_key"]),
        "Projection": projection(index),
    }


def sse_specification(kms_key_arn: str) -> dict[str, Any]:
    """A customer managed key, or (empty) the AWS owned key every table has by default."""
    if not kms_key_arn:
        return {"Enabled": False}
    return {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms_key_arn}


def create_request(props: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """CreateTable with everything it takes; TTL and point-in-time recovery come after."""
    provisioned = props["billing_mode"] == PROVISIONED
    request: dict[str, Any] = {
        "TableName": props["name"],
        "KeySchema": key_schema(props["hash_key"], props["range_key"]),
        "AttributeDefinitions": attribute_definitions(key_attributes(dict(props))),
        "BillingMode": props["billing_mode"],
        "TableClass": props["table_class"],
        "DeletionProtectionEnabled": props["deletion_protection"],
        "Tags": aws_tags(tags),
    }
    if provisioned:
        request["ProvisionedThroughput"] = throughput(
            props["read_capacity"], props["write_capacity"]
        )
    if props["global_secondary_indexes"]:
        request["GlobalSecondaryIndexes"] = [
            global_index(index, provisioned) for index in props["global_secondary_indexes"]
        ]
    if props["local_secondary_indexes"]:
        request["LocalSecondaryIndexes"] = [
            local_index(index, props["hash_key"]) for index in props["local_secondary_indexes"]
        ]
    if props["stream_view_type"]:
        request["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": props["stream_view_type"],
        }
    if props["kms_key_arn"]:
        request["SSESpecification"] = sse_specification(props["kms_key_arn"])
    return request


# -- reads ----------------------------------------------------------------------------------


def _keys(schema: list[dict[str, str]]) -> tuple[str, str]:
    hash_key = next((k["AttributeName"] for k in schema if k["KeyType"] == "HASH"), "")
    range_key = next((k["AttributeName"] for k in schema if k["KeyType"] == "RANGE"), "")
    return hash_key, range_key


def _projection_of(index: Mapping[str, Any]) -> dict[str, Any]:
    shape = index.get("Projection") or {}
    return {
        "projection": shape.get("ProjectionType", "ALL"),
        "non_key_attributes": sorted(shape.get("NonKeyAttributes") or []),
    }


def _capacity(shape: Mapping[str, Any] | None, provisioned: bool) -> tuple[Any, Any]:
    """Provisioned units, or None on an on-demand table (AWS reports zeros there)."""
    if not provisioned:
        return None, None
    shape = shape or {}
    return shape.get("ReadCapacityUnits"), shape.get("WriteCapacityUnits")


def global_index_of(
    index: Mapping[str, Any], types: Mapping[str, str], provisioned: bool
) -> dict[str, Any]:
    hash_key, range_key = _keys(index["KeySchema"])
    read, write = _capacity(index.get("ProvisionedThroughput"), provisioned)
    return {
        "name": index["IndexName"],
        "hash_key": hash_key,
        "hash_key_type": types.get(hash_key, ""),
        "range_key": range_key,
        "range_key_type": types.get(range_key, "") if range_key else "",
        **_projection_of(index),
        "read_capacity": read,
        "write_capacity": write,
    }


def local_index_of(index: Mapping[str, Any], types: Mapping[str, str]) -> dict[str, Any]:
    _, range_key = _keys(index["KeySchema"])
    return {
        "name": index["IndexName"],
        "range_key": range_key,
        "range_key_type": types.get(range_key, ""),
        **_projection_of(index),
    }


def table_properties(
    table: Mapping[str, Any],
    ttl: Mapping[str, Any],
    backups: Mapping[str, Any],
    user_tags: dict[str, str],
) -> dict[str, Any]:
    """The table in canonical form, with its AWS-assigned attributes."""
    types = {
        d["AttributeName"]: d["AttributeType"] for d in table.get("AttributeDefinitions") or []
    }
    hash_key, range_key = _keys(table["KeySchema"])
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode") or PROVISIONED
    provisioned = billing == PROVISIONED
    read, write = _capacity(table.get("ProvisionedThroughput"), provisioned)
    stream = table.get("StreamSpecification") or {}
    stream_view = stream.get("StreamViewType", "") if stream.get("StreamEnabled") else ""
    sse = table.get("SSEDescription") or {}
    kms_key = sse.get("KMSMasterKeyArn", "") if sse.get("Status") in _SSE_ON else ""
    recovery = (backups.get("PointInTimeRecoveryDescription") or {}).get(
        "PointInTimeRecoveryStatus"
    )
    properties: dict[str, Any] = {
        "name": table["TableName"],
        "hash_key": hash_key,
        "hash_key_type": types.get(hash_key, ""),
        "range_key": range_key,
        "range_key_type": types.get(range_key, "") if range_key else "",
        "billing_mode": billing,
        "read_capacity": read,
        "write_capacity": write,
        # An index being deleted is on its way out: it no longer counts.
        "global_secondary_indexes": sorted(
            (
                global_index_of(index, types, provisioned)
                for index in table.get("GlobalSecondaryIndexes") or []
                if index.get("IndexStatus") != "DELETING"
            ),
            key=lambda index: str(index["name"]),
        ),
        "local_secondary_indexes": sorted(
            (local_index_of(index, types) for index in table.get("LocalSecondaryIndexes") or []),
            key=lambda index: str(index["name"]),
        ),
        "ttl_attribute": ttl.get("AttributeName", "")
        if ttl.get("TimeToLiveStatus") in _TTL_ON
        else "",
        "stream_view_type": stream_view,
        "point_in_time_recovery": recovery == "ENABLED",
        "kms_key_arn": kms_key if sse.get("SSEType") == "KMS" else "",
        "deletion_protection": bool(table.get("DeletionProtectionEnabled")),
        "table_class": (table.get("TableClassSummary") or {}).get("TableClass") or "STANDARD",
        "tags": user_tags,
        "id": table["TableName"],
        "arn": table["TableArn"],
        "stream_arn": table.get("LatestStreamArn") if stream_view else None,
    }
    # Only the key attributes in use (the definitions may still list an index's being dropped).
    properties["attributes"] = key_attributes(properties)
    return properties
