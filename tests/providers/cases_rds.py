"""Contract cases for the rds family: DB subnet groups, parameter groups, DB instances and
read replicas.

moto's ModifyDBSubnetGroup drops the group and it has no ResetDBParameterGroup, so the subnet
group's in-place case changes its tags only and the parameter group's changes and adds
parameters; the strictness layer (tests/strict/rds.py) repairs the first, and
test_rds_groups.py covers subnet changes and parameter resets.
"""

from __future__ import annotations

from typing import Any

import boto3

from tests.providers.harness import REGION, STACK, ContractCase, Prerequisites

MYSQL = "8.0.39"


def rds_client(p: Prerequisites) -> Any:
    return boto3.client("rds", region_name=REGION, endpoint_url=p.endpoint)


def subnet_group_name(p: Prerequisites, name: str = "contract-db-subnets") -> str:
    """A DB subnet group over two zones of the first VPC, made with plain boto3."""

    def make() -> str:
        subnets = [p.subnet_id(), p.subnet_id("10.20.2.0/24", zone="b")]
        rds_client(p).create_db_subnet_group(
            DBSubnetGroupName=name, DBSubnetGroupDescription="contract", SubnetIds=subnets
        )
        return name

    return p._once(f"db-subnets-{name}", make)


def source_db(p: Prerequisites, identifier: str = "contract-primary") -> str:
    """A MySQL instance with automated backups to replicate, owned by the stack (another
    logical id), made with plain boto3."""

    def make() -> str:
        rds_client(p).create_db_instance(
            DBInstanceIdentifier=identifier,
            Engine="mysql",
            EngineVersion=MYSQL,
            DBInstanceClass="db.t3.micro",
            AllocatedStorage=20,
            MasterUsername="admin",
            MasterUserPassword="contract-password-1",
            BackupRetentionPeriod=1,
            DBSubnetGroupName=subnet_group_name(p),
            Tags=[
                {"Key": "stackdeploy:stack", "Value": STACK},
                {"Key": "stackdeploy:id", "Value": identifier},
            ],
        )
        return identifier

    return p._once(f"db-{identifier}", make)


SUBNET_GROUP = ContractCase(
    "aws.rds.db_subnet_group",
    properties=lambda p: {
        "description": "contract databases",
        "subnet_ids": [p.subnet_id(), p.subnet_id("10.20.2.0/24", zone="b")],
        "tags": {"tier": "data"},
    },
    in_place_change=lambda p, props: {**props, "tags": {"tier": "data", "team": "db"}},
    replacing_change=lambda p, props: {**props, "name": "contract-other-subnets"},
)

PARAMETER_GROUP = ContractCase(
    "aws.rds.db_parameter_group",
    properties=lambda p: {
        "family": "mysql8.0",
        "parameters": {"max_connections": 100, "slow_query_log": True},
        "tags": {"tier": "data"},
    },
    in_place_change=lambda p, props: {
        **props,
        "parameters": {"max_connections": 250, "slow_query_log": True, "long_query_time": 2},
        "tags": {"tier": "data", "team": "db"},
    },
    replacing_change=lambda p, props: {**props, "family": "mysql8.4"},
)


def _instance(p: Prerequisites) -> dict[str, Any]:
    return {
        "engine": "mysql",
        "engine_version": MYSQL,
        "instance_class": "db.t3.micro",
        "allocated_storage": 20,
        "db_subnet_group_name": subnet_group_name(p),
        "vpc_security_group_ids": [p.security_group_id()],
        "preferred_backup_window": "03:00-03:30",
        "preferred_maintenance_window": "Sun:05:00-Sun:05:30",
        "db_name": "app",
        "master_username": "admin",
        "master_password": {"generate": {}},
        "tags": {"tier": "data"},
    }


DB_INSTANCE = ContractCase(
    "aws.rds.db_instance",
    properties=_instance,
    in_place_change=lambda p, props: {
        **props,
        "instance_class": "db.t3.small",
        "allocated_storage": 30,
        "multi_az": True,
        "backup_retention_period": 3,
        "preferred_backup_window": "04:00-04:30",
        "vpc_security_group_ids": [p.security_group_id(), p.security_group_id("db")],
        "master_password": {"manage": True},
        "skip_final_snapshot": True,
        "tags": {"tier": "data", "team": "db"},
    },
    replacing_change=lambda p, props: {**props, "storage_encrypted": True},
)

POSTGRES_INSTANCE = ContractCase(
    "aws.rds.db_instance",
    id="aws.rds.db_instance[postgres, managed password]",
    properties=lambda p: {
        "identifier": "contract-pg",
        "engine": "postgres",
        "engine_version": "16.3",
        "instance_class": "db.t3.micro",
        "allocated_storage": 20,
        "storage_type": "gp2",
        "backup_retention_period": 0,
        "db_subnet_group_name": subnet_group_name(p),
        "master_username": "postgres_admin",
        "master_password": {"manage": True},
    },
    in_place_change=lambda p, props: {
        **props,
        "engine_version": "16.4",
        "deletion_protection": True,
        "master_password": {"generate": {"store": "ssm"}},
    },
    replacing_change=lambda p, props: {**props, "master_username": "other_admin"},
)

DB_REPLICA = ContractCase(
    "aws.rds.db_replica",
    properties=lambda p: {
        "source_db_instance": source_db(p),
        "instance_class": "db.t3.micro",
        "tags": {"tier": "read"},
    },
    in_place_change=lambda p, props: {
        **props,
        "instance_class": "db.t3.small",
        "multi_az": True,
        "backup_retention_period": 2,
        "preferred_maintenance_window": "mon:06:00-mon:06:30",
        "tags": {"tier": "read", "team": "db"},
    },
    replacing_change=lambda p, props: {
        **props,
        "source_db_instance": source_db(p, "other-primary"),
    },
)

CASES = [SUBNET_GROUP, PARAMETER_GROUP, DB_INSTANCE, POSTGRES_INSTANCE, DB_REPLICA]
