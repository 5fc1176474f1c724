"""aws.dynamodb.table: a DynamoDB table with its indexes, stream, TTL, backups and encryption.

Its physical id is its name. The key schema and the local secondary indexes are fixed at
creation (a change replaces the table, and its items are lost). Everything else changes in
place: global secondary indexes are added and removed one at a time (DynamoDB builds or drops
one index per table at once), each waited on until ACTIVE or gone; a global index whose keys
or projection change is deleted and added again under its name. Capacity, billing mode,
stream, TTL, point-in-time recovery, encryption key, table class and deletion protection are
UpdateTable / UpdateTimeToLive / UpdateContinuousBackups calls.

Only key attributes are declared (`attributes: {user_id: S}`): DynamoDB is schemaless for
everything else and rejects definitions no key uses.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import ResourceType, TaggedSpec, derived_from_name, is_ref_like
from stackdeploy.specs.dynamodb import table_checks
from stackdeploy.specs.dynamodb.indexes import (
    AttributeType,
    GlobalIndex,
    LocalIndex,
    canonical_global,
    canonical_local,
    check_attribute_name,
    name_problem,
)
from stackdeploy.specs.references import refers_to

TYPE_NAME = table_checks.TYPE_NAME
NAME_MAX_LENGTH = 255
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")

BillingMode = Literal["PAY_PER_REQUEST", "PROVISIONED"]
StreamView = Literal["", "KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


class DynamoDbTableSpec(TaggedSpec):
    name: str | None = Field(
        None, description="Table name, unique in the region; <stack>-<id> when omitted."
    )
    hash_key: str = Field(description="Partition key attribute. Fixed after creation.")
    range_key: str | None = Field(None, description="Sort key attribute. Fixed after creation.")
    attributes: dict[str, AttributeType] = Field(
        description="Type of every key attribute (table and indexes): S (string), N (number) "
        "or B (binary), e.g. {user_id: S}. Other attributes need no declaration."
    )
    billing_mode: BillingMode | None = Field(
        None,
        description="PAY_PER_REQUEST (on demand) or PROVISIONED; when omitted, PROVISIONED if "
        "capacities are given, else PAY_PER_REQUEST.",
    )
    read_capacity: int | None = Field(None, ge=1, description="PROVISIONED: read capacity units.")
    write_capacity: int | None = Field(None, ge=1, description="PROVISIONED: write capacity units.")
    global_secondary_indexes: list[GlobalIndex] = Field(
        default_factory=list,
        description="Up to 20 indexes on other keys; added and removed in place, one at a time.",
    )
    local_secondary_indexes: list[LocalIndex] = Field(
        default_factory=list,
        description="Up to 5 indexes sharing the table's partition key with another sort key; "
        "fixed at creation (any change replaces the table).",
    )
    ttl_attribute: str = Field(
        "",
        description="Number attribute holding an expiry time (epoch seconds); items past it are "
        "deleted by DynamoDB within days. Empty: TTL off.",
    )
    stream_view_type: StreamView = Field(
        "",
        description="Turns the table's stream on with this view: KEYS_ONLY, NEW_IMAGE, "
        "OLD_IMAGE or NEW_AND_OLD_IMAGES. Empty: no stream.",
    )
    point_in_time_recovery: bool = Field(
        False, description="Continuous backups: restore to any second of the last 35 days."
    )
    kms_key_arn: str = Field(
        "",
        description="Encrypt with this customer managed KMS key (${key.arn}); empty: an AWS "
        "owned key (free).",
    )
    deletion_protection: bool = Field(
        False, description="While true, AWS refuses to delete the table (destroy fails)."
    )
    table_class: Literal["STANDARD", "STANDARD_INFREQUENT_ACCESS"] = Field(
        "STANDARD",
        description="STANDARD, or STANDARD_INFREQUENT_ACCESS (cheaper storage, dearer reads).",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        problem = None if value is None or is_ref_like(value) else name_problem(value, "table")
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("attributes")
    @classmethod
    def _attributes(cls, values: dict[str, str]) -> dict[str, str]:
        for name in values:
            check_attribute_name(name, "attribute name")
        return values

    @field_validator("ttl_attribute")
    @classmethod
    def _ttl(cls, value: str) -> str:
        return check_attribute_name(value, "ttl_attribute") if value else value

    @field_validator("kms_key_arn")
    @classmethod
    def _key(cls, value: str) -> str:
        if value and not is_ref_like(value) and not _KMS_KEY_ARN.match(value):
            raise ValueError(
                f"kms_key_arn '{value}' is not a KMS key ARN "
                "(arn:aws:kms:<region>:<account>:key/<id>); refer to a key as ${key.arn}"
            )
        return value

    @model_validator(mode="after")
    def _billing(self) -> DynamoDbTableSpec:
        given = self.read_capacity is not None or self.write_capacity is not None
        if self.billing_mode is None:
            self.billing_mode = "PROVISIONED" if given else "PAY_PER_REQUEST"
        indexed = [
            i.name
            for i in self.global_secondary_indexes
            if i.read_capacity is not None or i.write_capacity is not None
        ]
        if self.billing_mode == "PAY_PER_REQUEST":
            if given:
                raise ValueError(
                    "read_capacity and write_capacity apply only to billing_mode PROVISIONED; "
                    "an on-demand (PAY_PER_REQUEST) table scales by itself"
                )
            if indexed:
                raise ValueError(
                    f"index {indexed[0]}: capacities apply only to billing_mode PROVISIONED"
                )
        elif self.read_capacity is None or self.write_capacity is None:
            raise ValueError("billing_mode PROVISIONED needs both read_capacity and write_capacity")
        return self


def canonical_table(properties: dict[str, Any]) -> dict[str, Any]:
    """Key types beside their keys (a type change is a key change), "" for no range key,
    indexes with their types and capacities filled in."""
    types: dict[str, str] = properties["attributes"]
    provisioned = properties["billing_mode"] == "PROVISIONED"
    capacity = (properties.get("read_capacity"), properties.get("write_capacity"))
    range_key = properties.get("range_key") or ""
    return {
        **properties,
        "hash_key_type": types.get(properties["hash_key"], ""),
        "range_key": range_key,
        "range_key_type": types.get(range_key, "") if range_key else "",
        "global_secondary_indexes": [
            canonical_global(index, types, provisioned, capacity)
            for index in properties["global_secondary_indexes"]
        ],
        "local_secondary_indexes": [
            canonical_local(index, types) for index in properties["local_secondary_indexes"]
        ],
    }


def _delete_note(applied: dict[str, Any] | None) -> str | None:
    if applied and applied.get("deletion_protection"):
        return (
            "deletion protection is on: AWS refuses to delete the table until you set "
            "deletion_protection: false and apply"
        )
    return None


_KEYS = "a table's key schema is fixed at creation"

DYNAMODB_TABLE = ResourceType(
    exercise_settings={"deletion_protection": False},
    data_store=True,
    name=TYPE_NAME,
    spec=DynamoDbTableSpec,
    summary="A DynamoDB table (regional) with its secondary indexes, stream, TTL, "
    "point-in-time recovery and encryption.",
    attributes={
        "id": "Table name",
        "name": "Table name",
        "arn": "Table ARN",
        "stream_arn": "ARN of the table's latest stream (with stream_view_type set)",
    },
    derived_attributes={
        "id": derived_from_name(lambda name, _: name),
        "name": derived_from_name(lambda name, _: name),
        "arn": derived_from_name(
            lambda name, place: (
                f"arn:{place.partition}:dynamodb:{place.region}:{place.account}:table/{name}"
            )
        ),
    },
    create_only=frozenset(
        {
            "name",
            "hash_key",
            "hash_key_type",
            "range_key",
            "range_key_type",
            "local_secondary_indexes",
        }
    ),
    unordered=frozenset({"global_secondary_indexes", "local_secondary_indexes"}),
    replace_notes={
        "name": "a table cannot be renamed",
        "hash_key": _KEYS,
        "hash_key_type": _KEYS,
        "range_key": _KEYS,
        "range_key_type": _KEYS,
        "local_secondary_indexes": "local secondary indexes can only be defined when a table "
        "is created; adding, removing or changing one needs a new table",
    },
    replace_warning=(
        "replacing a table deletes it with every item in it; the new table starts empty "
        "(export or back up the data first)"
    ),
    update_notes={
        "global_secondary_indexes": "indexes are removed, then added, one at a time; DynamoDB "
        "builds (backfills) each new index before the next, which can take minutes on a big "
        "table; an index whose keys or projection change is removed and added again",
        "attributes": "declares the key attributes of added or removed indexes",
        "billing_mode": "AWS allows a billing mode switch once per table every 24 hours",
        "stream_view_type": "a changed view type turns the stream off and on again: the "
        "stream gets a new ARN, so its consumers must be pointed at the new one",
        "ttl_attribute": "a changed attribute turns TTL off, then on; AWS takes up to an hour "
        "for a TTL change and refuses another one meanwhile",
        "kms_key_arn": "DynamoDB re-encrypts the table in the background; it stays available",
        "table_class": "AWS allows two table class changes per table every 30 days",
    },
    checks=(table_checks.key_definitions, table_checks.unique_names, table_checks.key_references),
    canonicalize=canonical_table,
    delete_notes=_delete_note,
    name_property="name",
    name_max_length=NAME_MAX_LENGTH,
    typical_create_seconds=20.0,
    references={"kms_key_arn": refers_to("aws.kms.key", by="arn")},
)
