"""In-place changes of DB instances and replicas: one ModifyDBInstance, applied immediately.

Each changed property maps to one parameter, and to the PendingModifiedValues key AWS shows
until it is applied (what the wait after the call watches). The tags that record what AWS
cannot report (the password's source, the skip_final_snapshot choice) are kept here too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from stackdeploy.aws.session import RetryingClient
from stackdeploy.providers.rds.common import remove_tags, sync_tags
from stackdeploy.specs.rds.common import parameter_family

# property -> (ModifyDBInstance parameter, PendingModifiedValues key or None)
MODIFIABLE: dict[str, tuple[str, str | None]] = {
    "instance_class": ("DBInstanceClass", "DBInstanceClass"),
    "allocated_storage": ("AllocatedStorage", "AllocatedStorage"),
    "storage_type": ("StorageType", "StorageType"),
    "iops": ("Iops", "Iops"),
    "multi_az": ("MultiAZ", "MultiAZ"),
    "backup_retention_period": ("BackupRetentionPeriod", "BackupRetentionPeriod"),
    "preferred_backup_window": ("PreferredBackupWindow", None),
    "preferred_maintenance_window": ("PreferredMaintenanceWindow", None),
    "vpc_security_group_ids": ("VpcSecurityGroupIds", None),
    "publicly_accessible": ("PubliclyAccessible", None),
    "parameter_group_name": ("DBParameterGroupName", None),
    "deletion_protection": ("DeletionProtection", None),
    "port": ("DBPortNumber", "Port"),
    "engine_version": ("EngineVersion", "EngineVersion"),
}
PASSWORD_PENDING = "MasterUserPassword"

# Reserved tags recording what DescribeDBInstances cannot tell.
PASSWORD_SOURCE_TAG = "stackdeploy:password"
PASSWORD_SECRET_TAG = "stackdeploy:password-secret"
SKIP_SNAPSHOT_TAG = "stackdeploy:skip-final-snapshot"


def modify_request(
    changed: Collection[str], props: Mapping[str, Any], live: Mapping[str, Any]
) -> tuple[dict[str, Any], set[str]]:
    """ModifyDBInstance parameters for the changed properties, and the pending keys to await."""
    request: dict[str, Any] = {}
    pending: set[str] = set()
    for name in sorted(changed):
        if name not in MODIFIABLE or props.get(name) is None:
            continue
        parameter, pending_key = MODIFIABLE[name]
        request[parameter] = props[name]
        if pending_key:
            pending.add(pending_key)
    if "engine_version" in request:
        engine = str(props.get("engine") or live.get("engine") or "")
        old = parameter_family(engine, str(live.get("engine_version") or ""))
        new = parameter_family(engine, str(props["engine_version"]))
        if old != new:
            request["AllowMajorVersionUpgrade"] = True  # 8.0 -> 8.4, 15 -> 16
    return request, pending


def record_tags(
    client: RetryingClient,
    arn: str,
    current: Mapping[str, str],
    *,
    desired_user: Mapping[str, str],
    ownership: Mapping[str, str],
    recorded: Mapping[str, str | None],
) -> None:
    """User tags as desired, ownership tags restored, and the reserved `recorded` ones set
    (a None value removes the tag)."""
    keep = {k: v for k, v in recorded.items() if v is not None}
    sync_tags(client, arn, {**desired_user, **ownership, **keep}, current)
    remove_tags(client, arn, [k for k, v in recorded.items() if v is None], current)
