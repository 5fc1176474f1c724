"""aws.rds.db_replica: a read replica of a DB instance, in the source's region or another.

A separate type rather than a property of aws.rds.db_instance, because a replica has a
different set of properties: its engine, version, master user and password, database name and
encryption all come from its source, so the schema (and `deploy schema` completion) offers
none of them, and nothing needs "only without replicate_source_db" rules. Promoting a replica
to a standalone database is then a type change, which the plan shows as such.

A replica in its source's region names it by identifier (${primary.id}); one in another
region (`region:` set on the resource) by ARN (${primary.arn}), as RDS requires, and then
needs its own subnet group in that region. The reference orders the graph, so a replica is
created after its source and deleted before it. Class, storage growth, Multi-AZ, groups,
windows and protection change in place; deleting a replica takes no final snapshot (RDS
refuses one: its source holds the data).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from stackdeploy.specs.base import ResourceType, is_ref_like
from stackdeploy.specs.rds import checks
from stackdeploy.specs.rds.common import StorageType, grows_only, identifier_problem, lower_case
from stackdeploy.specs.rds.instance_options import (
    ATTRIBUTES,
    DB_REPLICA_TYPE,
    REPLACE_NOTES,
    UPDATE_NOTES,
    InstanceSettings,
    protection_note,
)
from stackdeploy.specs.references import refers_to

TYPE_NAME = DB_REPLICA_TYPE
_DB_ARN = re.compile(r"^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:db:[a-z][a-z0-9-]*$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


class DbReplicaSpec(InstanceSettings):
    source_db_instance: str = Field(
        description="The source: ${primary.id} in the same region, ${primary.arn} from "
        "another region. Fixed after creation."
    )
    allocated_storage: int | None = Field(
        None, ge=5, le=65536, description="GiB; omitted: the source's. Grows in place."
    )
    storage_type: StorageType | None = Field(None, description="Omitted: the source's.")
    backup_retention_period: int | None = Field(
        None,
        ge=0,
        le=35,
        description="Automated backups of the replica itself (MySQL and MariaDB: needed for "
        "replicas of this replica); omitted: AWS's default.",
    )
    db_subnet_group_name: str | None = Field(
        None,
        description="Needed for a replica in another region (a subnet group there); in the "
        "source's region it must be in the source's VPC. Fixed after creation.",
    )
    kms_key_id: str | None = Field(
        None,
        description="For an encrypted source in another region: a key ARN of this region. "
        "Fixed after creation.",
    )

    @field_validator("source_db_instance")
    @classmethod
    def _source(cls, value: str) -> str:
        if is_ref_like(value) or _DB_ARN.match(value):
            return value
        problem = identifier_problem(value, "source DB instance identifier")
        if problem:
            raise ValueError(f"{problem}; or give the source's ARN (arn:aws:rds:...:db:<id>)")
        return value.lower()

    @field_validator("kms_key_id")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        if value is not None and not is_ref_like(value) and not _KMS_KEY_ARN.match(value):
            raise ValueError(f"kms_key_id '{value}' is not a KMS key ARN")
        return value


def _delete_note(applied: dict[str, Any] | None) -> str:
    return protection_note(applied) or "a read replica is deleted without a final snapshot"


DB_REPLICA = ResourceType(
    exercise_settings={"deletion_protection": False},
    data_store=True,
    name=TYPE_NAME,
    spec=DbReplicaSpec,
    summary="A read replica of an RDS database, in its region or another; ~10-20 min to create.",
    attributes={
        **ATTRIBUTES,
        "engine": "The source's engine",
        "engine_version": "The engine version (the source's)",
    },
    create_only=frozenset(
        {"identifier", "source_db_instance", "db_subnet_group_name", "kms_key_id"}
    ),
    replace_when={"allocated_storage": grows_only},
    unordered=frozenset({"vpc_security_group_ids"}),
    replace_notes={
        **REPLACE_NOTES,
        "source_db_instance": "a read replica cannot change its source",
    },
    update_notes=UPDATE_NOTES,
    replace_warning="a new read replica copies its source from scratch (it takes a while)",
    checks=checks.REPLICA_CHECKS,
    stack_defaults=lower_case("identifier"),
    name_property="identifier",
    name_max_length=63,
    delete_notes=_delete_note,
    typical_create_seconds=900.0,
    references={
        # An identifier in the source's region, an ARN from another (a replica may be the
        # source of another replica).
        "source_db_instance": refers_to(
            "aws.rds.db_instance", "aws.rds.db_replica", by=("id", "arn")
        ),
        "vpc_security_group_ids[]": refers_to("aws.ec2.security_group"),
        "parameter_group_name": refers_to("aws.rds.db_parameter_group", by="name"),
        "db_subnet_group_name": refers_to("aws.rds.db_subnet_group", by="name"),
        "kms_key_id": refers_to("aws.kms.key", by=("id", "arn")),
    },
)
