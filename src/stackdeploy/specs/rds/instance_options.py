"""What DB instances and read replicas share: the in-place settings, their plan notes and
attributes, and the destroy note."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from stackdeploy.specs.rds.common import (
    BACKUP_WINDOW_FIELD,
    MAINTENANCE_WINDOW_FIELD,
    RdsTaggedSpec,
    check_identifier,
    check_instance_class,
    check_security_groups,
    check_windows,
    lower_maintenance_window,
)

DB_INSTANCE_TYPE = "aws.rds.db_instance"
DB_REPLICA_TYPE = "aws.rds.db_replica"
INSTANCE_TYPES = frozenset({DB_INSTANCE_TYPE, DB_REPLICA_TYPE})


class InstanceSettings(RdsTaggedSpec):
    """Settings a DB instance and a read replica both have, all but the identifier in place."""

    identifier: str | None = Field(
        None,
        description="DB instance identifier: up to 63 letters, digits and hyphens, starting "
        "with a letter (stored in lower case); <stack>-<id> when omitted. Fixed after creation.",
    )
    instance_class: str = Field(
        description="e.g. db.t3.micro; changes in place (a restart, or a failover with Multi-AZ)."
    )
    multi_az: bool = Field(
        False, description="A synchronous standby in another zone (changes in place)."
    )
    vpc_security_group_ids: list[str] | None = Field(
        None, description="Security groups (${sg.id}); omitted: the VPC's default group."
    )
    publicly_accessible: bool = Field(
        False, description="Give the endpoint a public address (its subnets need a route out)."
    )
    parameter_group_name: str | None = Field(
        None, description="A parameter group (${params.name}); omitted: the engine's default."
    )
    preferred_backup_window: str | None = BACKUP_WINDOW_FIELD
    preferred_maintenance_window: str | None = MAINTENANCE_WINDOW_FIELD
    deletion_protection: bool = Field(
        False,
        description="While true, AWS refuses to delete it: destroy stops with an error until "
        "you set it to false and apply.",
    )

    @field_validator("identifier")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        return check_identifier(value, "DB instance identifier")

    @field_validator("instance_class")
    @classmethod
    def _class(cls, value: str) -> str:
        return check_instance_class(value)

    @field_validator("vpc_security_group_ids")
    @classmethod
    def _groups(cls, values: list[str] | None) -> list[str] | None:
        return check_security_groups(values)

    @field_validator("preferred_backup_window")
    @classmethod
    def _backup(cls, value: str | None) -> str | None:
        check_windows(value, None)
        return value

    @field_validator("preferred_maintenance_window")
    @classmethod
    def _maintenance(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = lower_maintenance_window(value)
        # The backup window is validated first; when it failed, it has its own error.
        check_windows(info.data.get("preferred_backup_window"), value)
        return value


ATTRIBUTES = {
    "id": "DB instance identifier",
    "arn": "DB instance ARN (a cross-region replica names its source by it)",
    "address": "Endpoint host name, e.g. <id>.<hash>.<region>.rds.amazonaws.com",
    "endpoint": "host:port, what clients connect to",
    "resource_id": "DbiResourceId (db-...), for IAM database authentication policies",
}

UPDATE_NOTES = {
    "instance_class": "ModifyDBInstance, applied immediately: the database restarts on the new "
    "class (minutes of downtime; with Multi-AZ a failover of about a minute)",
    "allocated_storage": "storage grows online; AWS allows the next storage change only after "
    "six hours (and once the optimization finishes)",
    "storage_type": "the storage type changes online; the optimization can take hours",
    "iops": "provisioned IOPS change online",
    "multi_az": "a standby is created in (or removed from) another zone, without downtime",
    "backup_retention_period": "0 turns automated backups off and deletes the existing ones; "
    "from 0 to a positive number restarts the database",
    "preferred_backup_window": "takes effect from the next backup",
    "preferred_maintenance_window": "takes effect from the next maintenance",
    "vpc_security_group_ids": "the new security groups apply to new connections at once",
    "publicly_accessible": "the endpoint's DNS name resolves to a public (or private) address",
    "parameter_group_name": "dynamic parameters apply at once; static ones at the next reboot "
    "(stackdeploy does not reboot)",
    "deletion_protection": "changes at once",
    "port": "the database restarts and listens on the new port",
    "engine_version": "an engine upgrade: the database restarts (minutes of downtime)",
    "master_password": "the master password changes at once; existing connections stay, new "
    "logins need the new one",
}

REPLACE_NOTES = {
    "identifier": "stackdeploy does not rename DB instances (its endpoint would change too)",
    "allocated_storage": "RDS storage can grow but never shrink: a smaller size needs a new "
    "instance",
    "kms_key_id": "the encryption key of a DB instance is fixed at creation",
    "db_subnet_group_name": "a DB instance stays in the subnet group it was created in",
}


def protection_note(applied: dict[str, Any] | None) -> str | None:
    if applied and applied.get("deletion_protection"):
        return (
            "deletion protection is on: AWS refuses the delete until you set "
            "deletion_protection: false and apply"
        )
    return None
