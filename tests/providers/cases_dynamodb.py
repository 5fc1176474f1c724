"""Contract cases for the dynamodb family: tables.

moto cannot turn a stream off and on again, and ignores UpdateTable's table class and
encryption settings, so the in-place change leaves those alone (test_dynamodb_table covers
them with the strictness layer); it adds a global index, switches the billing mode, changes
TTL and turns on point-in-time recovery.
"""

from __future__ import annotations

from typing import Any

import boto3

from tests.providers.harness import REGION, ContractCase, Prerequisites


def kms_key_arn(p: Prerequisites, description: str = "table key") -> str:
    """A customer managed KMS key, by ARN (what a table's encryption takes)."""

    def make() -> str:
        kms = boto3.client("kms", region_name=REGION, endpoint_url=p.endpoint)
        return str(kms.create_key(Description=description)["KeyMetadata"]["Arn"])

    return p._once(f"kms-{description}", make)


def _orders(p: Prerequisites) -> dict[str, Any]:
    return {
        "hash_key": "customer",
        "range_key": "ordered_at",
        "attributes": {"customer": "S", "ordered_at": "N", "status": "S"},
        "global_secondary_indexes": [
            {"name": "by-status", "hash_key": "status", "range_key": "ordered_at"}
        ],
        "stream_view_type": "NEW_AND_OLD_IMAGES",
        "ttl_attribute": "expires_at",
        "tags": {"app": "orders"},
    }


def _orders_changed(p: Prerequisites, props: dict[str, Any]) -> dict[str, Any]:
    return {
        **props,
        "attributes": {**props["attributes"], "shipped_on": "S"},
        "billing_mode": "PROVISIONED",
        "read_capacity": 5,
        "write_capacity": 4,
        "global_secondary_indexes": [
            {"name": "by-status", "hash_key": "status", "range_key": "ordered_at"},
            {
                "name": "by-shipping-day",
                "hash_key": "shipped_on",
                "projection": "INCLUDE",
                "non_key_attributes": ["customer_name", "total"],
                "read_capacity": 2,
                "write_capacity": 2,
            },
        ],
        "ttl_attribute": "purge_at",
        "point_in_time_recovery": True,
        "tags": {"app": "orders", "tier": "gold"},
    }


TABLE = ContractCase(
    "aws.dynamodb.table",
    properties=_orders,
    in_place_change=_orders_changed,
    # A local index can only be defined with the table.
    replacing_change=lambda p, props: {
        **props,
        "attributes": {**props["attributes"], "amount": "N"},
        "local_secondary_indexes": [{"name": "by-amount", "range_key": "amount"}],
    },
)

# Exercise 4.7: the Users table, provisioned 5/5, no indexes.
USERS = ContractCase(
    "aws.dynamodb.table",
    id="aws.dynamodb.table[users]",
    properties=lambda p: {
        "name": "Users",
        "hash_key": "user_id",
        "range_key": "user_email",
        "attributes": {"user_id": "S", "user_email": "S"},
        "read_capacity": 5,
        "write_capacity": 5,
    },
    in_place_change=lambda p, props: {
        **props,
        "billing_mode": "PAY_PER_REQUEST",
        "read_capacity": None,
        "write_capacity": None,
        "deletion_protection": True,
    },
    replacing_change=lambda p, props: {
        **props,
        "attributes": {"user_id": "N", "user_email": "S"},
    },
)

CASES = [TABLE, USERS]
