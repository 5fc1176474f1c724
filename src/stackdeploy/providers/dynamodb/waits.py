"""Waiting for a DynamoDB table: ACTIVE with every index ACTIVE, or gone.

A table is CREATING after CreateTable and UPDATING after most UpdateTable calls; an index
being added is CREATING (backfilling) while the table may already be ACTIVE again, and an
index being removed is DELETING. DynamoDB refuses the next UpdateTable meanwhile, so every
change waits for all of it to settle.
"""

from __future__ import annotations

import time
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import is_not_found
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import wait_until
from stackdeploy.errors import ProviderError
from stackdeploy.providers.base import ResourceContext


def describe(client: RetryingClient, name: str) -> dict[str, Any] | None:
    """The table as DescribeTable reports it, or None when it does not exist."""
    try:
        table: dict[str, Any] = client.describe_table(TableName=name)["Table"]
    except ClientError as error:
        if is_not_found(error):
            return None
        raise
    return table


def _unsettled(table: dict[str, Any]) -> list[str]:
    """What is still in progress: the table's status and every index not yet ACTIVE."""
    pending = []
    if table.get("TableStatus") != "ACTIVE":
        pending.append(f"table {table.get('TableStatus')}")
    for index in table.get("GlobalSecondaryIndexes") or []:
        status = index.get("IndexStatus", "ACTIVE")
        if status != "ACTIVE":
            backfilling = " (backfilling)" if index.get("Backfilling") else ""
            pending.append(f"index {index['IndexName']} {status}{backfilling}")
    return pending


def wait_ready(ctx: ResourceContext, client: RetryingClient, name: str) -> dict[str, Any]:
    """Wait until the table and all its indexes are ACTIVE; returns the table."""
    started = time.monotonic()
    found: list[dict[str, Any]] = []

    def ready() -> tuple[bool, str]:
        table = describe(client, name)
        if table is None:
            # Just created, it may not be visible for a moment; later, someone deleted it.
            if time.monotonic() - started > ctx.timing.visibility_deadline:
                raise ProviderError(
                    f"table {name} no longer exists",
                    code="ResourceNotFoundException",
                    address=ctx.address,
                    hint="it was deleted while stackdeploy waited for it; run apply again",
                )
            return False, "not visible yet"
        if table.get("TableStatus") == "INACCESSIBLE_ENCRYPTION_CREDENTIALS":
            raise ProviderError(
                f"table {name} cannot reach its KMS key (it is disabled, or its policy no "
                "longer lets DynamoDB use it)",
                code="INACCESSIBLE_ENCRYPTION_CREDENTIALS",
                address=ctx.address,
                hint="enable the key or restore its permissions; DynamoDB archives the table "
                "if the key stays unreachable for 7 days",
            )
        found.append(table)
        pending = _unsettled(table)
        return not pending, ", ".join(pending) or "ACTIVE"

    wait_until(ready, what=f"table {name} to be ACTIVE", timing=ctx.timing, events=ctx.events)
    return found[-1]


def wait_gone(ctx: ResourceContext, client: RetryingClient, name: str) -> None:
    def gone() -> tuple[bool, str]:
        table = describe(client, name)
        return table is None, str((table or {}).get("TableStatus", "gone"))

    wait_until(gone, what=f"table {name} to be deleted", timing=ctx.timing, events=ctx.events)
