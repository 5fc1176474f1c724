"""aws.rds.db_instance: a MariaDB, MySQL or PostgreSQL database (a single RDS DB instance,
optionally Multi-AZ).

Its physical id is its identifier. Class, storage growth, storage type, Multi-AZ, backups,
windows, security groups, parameter group, port, engine upgrades, deletion protection and the
master password's source change in place (ModifyDBInstance, applied immediately). The engine,
encryption, key, subnet group, database name and master user are fixed at creation, and so is
the storage size downwards and the engine version downwards: those plan a replacement, with a
warning in red, since a new instance starts empty (the old one leaves a final snapshot unless
skip_final_snapshot is set).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from stackdeploy.specs.base import ResourceType, is_ref_like
from stackdeploy.specs.rds import checks
from stackdeploy.specs.rds.common import (
    Engine,
    StorageType,
    check_engine_version,
    grows_only,
    kept_final_snapshot,
    lower_case,
    storage_problem,
    upgrades_only,
)
from stackdeploy.specs.rds.instance_options import (
    ATTRIBUTES,
    DB_INSTANCE_TYPE,
    REPLACE_NOTES,
    UPDATE_NOTES,
    InstanceSettings,
    protection_note,
)
from stackdeploy.specs.rds.password import GeneratedPassword, PasswordSource, canonical_source
from stackdeploy.specs.references import refers_to

TYPE_NAME = DB_INSTANCE_TYPE
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_DB_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_USERNAME_MAX = {"mysql": 16, "mariadb": 16, "postgres": 63}
_DB_NAME_MAX = {"mysql": 64, "mariadb": 64, "postgres": 63}
_RESERVED_USERS = frozenset({"rdsadmin", "rdsrepladmin", "rds_superuser"})
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


class DbInstanceSpec(InstanceSettings):
    engine: Engine = Field(description="mariadb, mysql or postgres. Fixed after creation.")
    engine_version: str = Field(
        description="The full version, e.g. 8.0.39 (mysql), 10.11.9 (mariadb), 16.4 "
        "(postgres). Upgrades in place; a downgrade needs a new instance."
    )
    storage_type: StorageType = Field("gp3", description="gp3 (default), gp2, io1, io2, standard.")
    allocated_storage: int = Field(
        description="GiB (gp2/gp3 20-65536, io1/io2 100-65536, standard 5-3072). Grows in "
        "place; a decrease needs a new instance."
    )
    iops: int | None = Field(
        None,
        ge=1000,
        le=256000,
        validate_default=True,  # io1 and io2 need it: checked even when left out
        description="Provisioned IOPS (io1/io2; gp3 from 400 GiB).",
    )
    backup_retention_period: int = Field(
        7,
        ge=0,
        le=35,
        description="Days of automated backups, 0 to 35 (0: none; read replicas need at "
        "least 1 on their source).",
    )
    db_subnet_group_name: str | None = Field(
        None,
        description="The DB subnet group (${subnets.name}); omitted: the default VPC. Fixed "
        "after creation.",
    )
    port: int | None = Field(
        None, ge=1150, le=65535, description="Listening port; omitted: the engine's default."
    )
    storage_encrypted: bool = Field(
        False, description="Encrypt storage, backups and snapshots. Fixed after creation."
    )
    kms_key_id: str | None = Field(
        None,
        description="KMS key ARN for the encryption (e.g. ${key.arn}); omitted: the aws/rds "
        "key. Needs storage_encrypted: true. Fixed after creation.",
    )
    db_name: str | None = Field(
        None, description="A database created with the instance. Fixed after creation."
    )
    master_username: str = Field(description="The master user's name. Fixed after creation.")
    master_password: PasswordSource = Field(
        default_factory=lambda: PasswordSource(generate=GeneratedPassword()),
        description="Where the master password comes from, never the password itself: "
        "{env: VAR}, {file: path}, {generate: {store: secretsmanager|ssm, name: ...}} or "
        "{manage: true}; default: generated and kept in Secrets Manager. A new source sets a "
        "new password in place.",
    )
    skip_final_snapshot: bool = Field(
        False,
        description="Delete without a final snapshot (its data is then lost). By default a "
        "snapshot <stack>-<id>-final-<UTC time> is taken first. Recorded on the instance "
        "when applied.",
    )

    @field_validator("master_password", mode="before")
    @classmethod
    def _no_clear_password(cls, value: Any) -> Any:
        if isinstance(value, str | int):
            raise ValueError(
                "a password is never written in the stack file: give master_password as "
                "{env: VAR}, {file: path}, {generate: {}} or {manage: true}"
            )
        return value

    @field_validator("engine_version")
    @classmethod
    def _version(cls, value: str, info: ValidationInfo) -> str:
        engine = info.data.get("engine")
        return check_engine_version(engine, value) if engine else value

    @field_validator("allocated_storage")
    @classmethod
    def _storage(cls, value: int, info: ValidationInfo) -> int:
        storage_type = info.data.get("storage_type")
        problem = storage_type and storage_problem(storage_type, value, None, sizes_only=True)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("iops")
    @classmethod
    def _iops(cls, value: int | None, info: ValidationInfo) -> int | None:
        storage_type, allocated = info.data.get("storage_type"), info.data.get("allocated_storage")
        problem = storage_type and allocated and storage_problem(storage_type, allocated, value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("kms_key_id")
    @classmethod
    def _key(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not is_ref_like(value) and not _KMS_KEY_ARN.match(value):
            raise ValueError(
                f"kms_key_id '{value}' is not a KMS key ARN (arn:aws:kms:<region>:<account>:"
                "key/<id>); RDS reports the key by its ARN, so an id or alias would read back "
                "as a change"
            )
        if value is not None and info.data.get("storage_encrypted") is False:
            raise ValueError("kms_key_id needs storage_encrypted: true")
        return value

    @field_validator("db_name")
    @classmethod
    def _db_name(cls, value: str | None, info: ValidationInfo) -> str | None:
        limit = _DB_NAME_MAX.get(info.data.get("engine") or "", 63)
        if (
            value is not None
            and not is_ref_like(value)
            and (not _DB_NAME.match(value) or len(value) > limit)
        ):
            raise ValueError(
                f"db_name '{value}' must start with a letter and hold only letters, "
                f"digits and underscores (at most {limit})"
            )
        return value

    @field_validator("master_username")
    @classmethod
    def _username(cls, value: str, info: ValidationInfo) -> str:
        if is_ref_like(value):
            return value
        if not _USERNAME.match(value):
            raise ValueError(
                f"master_username '{value}' must start with a letter and hold only letters, "
                "digits and underscores"
            )
        if value.lower() in _RESERVED_USERS:
            raise ValueError(f"master_username '{value}' is reserved by RDS")
        engine = info.data.get("engine")
        if engine and len(value) > _USERNAME_MAX[engine]:
            raise ValueError(
                f"master_username '{value}' is longer than {engine}'s "
                f"{_USERNAME_MAX[engine]} characters"
            )
        return value


def canonical_instance(properties: dict[str, Any]) -> dict[str, Any]:
    """The master password's source as its one key (what the instance's tag records)."""
    return {**properties, "master_password": canonical_source(properties["master_password"])}


def _delete_note(applied: dict[str, Any] | None) -> str:
    protected = protection_note(applied)
    if protected:
        return protected
    if applied and applied.get("skip_final_snapshot"):
        note = "deleted without a final snapshot (skip_final_snapshot): its data is lost"
    else:
        note = (
            "a final snapshot keeps its data (set skip_final_snapshot: true and apply to "
            "delete without one)"
        )
    source = (applied or {}).get("master_password") or {}
    if "generate" in source:
        note += "; its generated master password is deleted with it"
    return note


DB_INSTANCE = ResourceType(
    exercise_settings={"skip_final_snapshot": True, "deletion_protection": False},
    data_store=True,
    name=TYPE_NAME,
    spec=DbInstanceSpec,
    summary="An RDS database instance (MariaDB, MySQL or PostgreSQL); ~5-20 min to create.",
    attributes={
        **ATTRIBUTES,
        "master_password_secret": "Where to read the master password: the secret's ARN, the "
        "SSM parameter's name, or RDS's own secret's ARN (none for env and file sources)",
    },
    create_only=frozenset(
        {
            "identifier",
            "engine",
            "storage_encrypted",
            "kms_key_id",
            "db_subnet_group_name",
            "db_name",
            "master_username",
        }
    ),
    replace_when={"allocated_storage": grows_only, "engine_version": upgrades_only},
    unordered=frozenset({"vpc_security_group_ids"}),
    replace_notes={
        **REPLACE_NOTES,
        "engine": "a database cannot change its engine",
        "engine_version": "RDS upgrades engines in place but never downgrades them",
        "storage_encrypted": "encryption is chosen when a database is created",
        "db_name": "the initial database is created with the instance",
        "master_username": "the master user is created with the instance",
    },
    update_notes={
        **UPDATE_NOTES,
        "skip_final_snapshot": "recorded on the instance (a tag); used when it is deleted",
    },
    replace_warning="replacing a database loses its data unless a snapshot is taken",
    checks=checks.INSTANCE_CHECKS,
    canonicalize=canonical_instance,
    stack_defaults=lower_case("identifier"),
    name_property="identifier",
    name_max_length=63,
    unique_properties={"master_password.generate.name": "in the region"},
    delete_notes=_delete_note,
    kept_on_delete=kept_final_snapshot,
    # A replica names its source, which orders them; but a cross-region replica names it by
    # ARN, which no live property matches once the state is lost. Replicas go first anyway.
    delete_after=frozenset({"aws.rds.db_replica"}),
    typical_create_seconds=600.0,
    references={
        "vpc_security_group_ids[]": refers_to("aws.ec2.security_group"),
        "parameter_group_name": refers_to("aws.rds.db_parameter_group", by="name"),
        "db_subnet_group_name": refers_to("aws.rds.db_subnet_group", by="name"),
        "kms_key_id": refers_to("aws.kms.key", by=("id", "arn")),
    },
)
