"""Reading DB instances (primaries and replicas alike) and waiting for their states.

DescribeDBInstances returns every instance with its tags in one paginated call; instances
are looked up by the `db-instance-id` filter rather than the identifier parameter, so one
that does not exist (yet, or any more) is simply absent instead of an error.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import wait_until
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import Owner
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ownership import split_tags
from stackdeploy.providers.rds.common import paged
from stackdeploy.providers.tagging_api import tag_map

# The states in which an instance takes connections and modifications.
READY = frozenset({"available", "storage-optimization"})
# States it will not leave by itself: waiting longer cannot help.
FAILED = frozenset(
    {
        "failed",
        "incompatible-network",
        "incompatible-option-group",
        "incompatible-parameters",
        "incompatible-restore",
        "inaccessible-encryption-credentials",
        "restore-error",
        "storage-full",
    }
)
DELETING = "deleting"
# Stopped by someone: it never becomes available by itself, and AWS refuses most changes.
STOPPED = frozenset({"stopped", "stopping"})
_FILTER_VALUES = 100  # identifiers per db-instance-id filter
# A create runs for many minutes (Multi-AZ and large storage longer): twice the usual bound.
CREATE_TIMEOUT_FACTOR = 2.0


def describe_instances(
    client: RetryingClient, identifiers: Collection[str] | None = None
) -> list[dict[str, Any]]:
    """Every instance in the region, or those among `identifiers` that exist."""
    if identifiers is None:
        return paged(client, "describe_db_instances", "DBInstances")
    wanted = sorted(set(identifiers))
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), _FILTER_VALUES):
        batch = wanted[start : start + _FILTER_VALUES]
        found += paged(
            client,
            "describe_db_instances",
            "DBInstances",
            Filters=[{"Name": "db-instance-id", "Values": batch}],
        )
    return found


def describe_instance(client: RetryingClient, identifier: str) -> dict[str, Any] | None:
    found = describe_instances(client, [identifier])
    return next((db for db in found if db["DBInstanceIdentifier"] == identifier.lower()), None)


def is_replica(db: dict[str, Any]) -> bool:
    return bool(db.get("ReadReplicaSourceDBInstanceIdentifier"))


def common_properties(db: dict[str, Any]) -> dict[str, Any]:
    """What DB instances and replicas share, in spec shape, with the attributes."""
    endpoint = db.get("Endpoint") or {}
    port = endpoint.get("Port") or db.get("DbInstancePort") or None
    address = endpoint.get("Address")
    groups = [
        g["VpcSecurityGroupId"]
        for g in db.get("VpcSecurityGroups") or []
        if g.get("Status") != "removing"
    ]
    parameter_groups = db.get("DBParameterGroups") or [{}]
    user, _ = split_tags(db.get("TagList"))
    return {
        "identifier": db["DBInstanceIdentifier"],
        "instance_class": db.get("DBInstanceClass"),
        "allocated_storage": db.get("AllocatedStorage"),
        "storage_type": db.get("StorageType"),
        "iops": db.get("Iops"),
        "multi_az": bool(db.get("MultiAZ")),
        "backup_retention_period": db.get("BackupRetentionPeriod"),
        "preferred_backup_window": db.get("PreferredBackupWindow"),
        "preferred_maintenance_window": db.get("PreferredMaintenanceWindow"),
        "vpc_security_group_ids": groups,
        "publicly_accessible": bool(db.get("PubliclyAccessible")),
        "parameter_group_name": parameter_groups[0].get("DBParameterGroupName"),
        "db_subnet_group_name": (db.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
        "kms_key_id": db.get("KmsKeyId") if db.get("StorageEncrypted") else None,
        "deletion_protection": bool(db.get("DeletionProtection")),
        "port": port,
        "tags": user,
        "id": db["DBInstanceIdentifier"],
        "arn": db.get("DBInstanceArn"),
        "address": address,
        "endpoint": f"{address}:{port}" if address and port else None,
        "resource_id": db.get("DbiResourceId"),
        # When this very instance was made (to the millisecond): with the resource id, it
        # names the final snapshot its delete keeps (specs/rds/common.py).
        "created_at": str(db.get("InstanceCreateTime") or "") or None,
    }


def owner_of_db(db: dict[str, Any]) -> Owner:
    return split_tags(db.get("TagList"))[1]


def tags_of(db: dict[str, Any]) -> dict[str, str]:
    return tag_map(db.get("TagList"))


def _status(db: dict[str, Any]) -> str:
    return str(db.get("DBInstanceStatus", "unknown"))


def wait_available(
    ctx: ResourceContext,
    client: RetryingClient,
    identifier: str,
    *,
    pending: Collection[str] = (),
    creating: bool = False,
    to_repair: bool = False,
) -> dict[str, Any]:
    """Until the instance is available (creating -> backing-up -> available; modifying ->
    available) with none of the `pending` PendingModifiedValues keys left: right after
    ModifyDBInstance AWS may still say "available" before it starts modifying.

    `to_repair`: the wait before a change, which may be what gets a failed instance going
    again (more storage for `storage-full`, another parameter group): a failed state ends
    the wait instead of the run, and AWS judges the change."""
    found: dict[str, Any] = {}

    def ready() -> tuple[bool, str]:
        db = describe_instance(client, identifier)
        if db is None:
            raise ProviderError(
                f"DB instance {identifier} disappeared while stackdeploy waited for it",
                address=ctx.address,
                hint="someone deleted it, or its creation failed; run plan again",
            )
        status = _status(db)
        if to_repair and status in FAILED:
            found.update(db)
            return True, status
        if status in STOPPED:
            raise ProviderError(
                f"DB instance {identifier} is {status}",
                code=status,
                address=ctx.address,
                hint=f"start it (aws rds start-db-instance --db-instance-identifier "
                f"{identifier}) and apply again",
            )
        if status in FAILED:
            raise ProviderError(
                f"DB instance {identifier} is {status}",
                code=status,
                address=ctx.address,
                hint="see its events in the RDS console (aws rds describe-events "
                f"--source-identifier {identifier} --source-type db-instance)",
            )
        waiting_for = sorted(set(pending) & set(db.get("PendingModifiedValues") or {}))
        found.update(db)
        if status in READY and not waiting_for:
            return True, status
        return False, status + (f" (pending {', '.join(waiting_for)})" if waiting_for else "")

    timeout = ctx.timing.poll_timeout * (CREATE_TIMEOUT_FACTOR if creating else 1.0)
    wait_until(
        ready,
        what=f"DB instance {identifier} to be available",
        timing=ctx.timing,
        events=ctx.events,
        timeout=timeout,
    )
    return found


def wait_deleted(ctx: ResourceContext, client: RetryingClient, identifier: str) -> None:
    """Until the instance is gone: while `deleting` it still holds its subnet group, security
    groups and network interfaces (and a final snapshot is being taken)."""

    def gone() -> tuple[bool, str]:
        db = describe_instance(client, identifier)
        return (db is None), ("deleted" if db is None else _status(db))

    wait_until(
        gone,
        what=f"DB instance {identifier} to be deleted",
        timing=ctx.timing,
        events=ctx.events,
        timeout=ctx.timing.poll_timeout * CREATE_TIMEOUT_FACTOR,
    )
