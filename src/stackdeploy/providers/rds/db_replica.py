"""aws.rds.db_replica on RDS: CreateDBInstanceReadReplica (in this region, of a source here
or, by ARN, in another region), waited on until available; then the settings the call does
not take (backups, windows) are applied with ModifyDBInstance, as are later changes.
DeleteDBInstance without a final snapshot (RDS refuses one for a read replica)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.rds.common import arn_region
from stackdeploy.providers.rds.instance_base import DbInstanceBase
from stackdeploy.providers.rds.instances import (
    common_properties,
    describe_instance,
    wait_available,
)
from stackdeploy.providers.tagging_api import aws_tags
from stackdeploy.specs.rds.db_replica import DB_REPLICA

_OPTIONAL = {
    "vpc_security_group_ids": "VpcSecurityGroupIds",
    "parameter_group_name": "DBParameterGroupName",
    "db_subnet_group_name": "DBSubnetGroupName",
    "kms_key_id": "KmsKeyId",
    "storage_type": "StorageType",
    "allocated_storage": "AllocatedStorage",
}
_NO_BACKUPS = "automated backups"  # in AWS's refusal to replicate a source without backups


def _source_busy(error: BaseException) -> bool:
    """The source is backing up or being modified (just created, say): that passes."""
    return has_code(error, "InvalidDBInstanceState") and _NO_BACKUPS not in str(error).lower()


class DbReplicaProvider(DbInstanceBase):
    rtype = DB_REPLICA
    replicas = True

    def properties(self, db: dict[str, Any]) -> dict[str, Any]:
        return {
            **common_properties(db),
            # An identifier for a source in this region, an ARN for one in another: what the
            # spec asks for (see the replica_sources check).
            "source_db_instance": db.get("ReadReplicaSourceDBInstanceIdentifier"),
            "engine": db.get("Engine"),
            "engine_version": db.get("EngineVersion"),
        }

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        client = self.client(ctx.region)
        identifier = props["identifier"]
        existing = describe_instance(client, identifier)
        if existing is not None:
            return self.take_over(ctx, existing, props, lambda: self.create(ctx, props))
        source = str(props["source_db_instance"])
        request: dict[str, Any] = {
            "DBInstanceIdentifier": identifier,
            "SourceDBInstanceIdentifier": source,
            "DBInstanceClass": props["instance_class"],
            "MultiAZ": props["multi_az"],
            "PubliclyAccessible": props["publicly_accessible"],
            "DeletionProtection": props["deletion_protection"],
            "AutoMinorVersionUpgrade": False,
            "Tags": aws_tags({**props["tags"], **ctx.ownership_tags()}),
            **{param: props[k] for k, param in _OPTIONAL.items() if props.get(k) is not None},
        }
        source_region = arn_region(source)
        if source_region and source_region != ctx.region:
            # boto3 signs the cross-region request (PreSignedUrl) from the source's region.
            request["SourceRegion"] = source_region

        def send() -> None:
            retry_while(
                lambda: client.create_db_instance_read_replica(**request),
                codes=set(),
                matches=_source_busy,
                deadline=ctx.timing.dependency_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation="rds.CreateDBInstanceReadReplica",
            )

        try:
            created = self.send_create(ctx, send, "rds.CreateDBInstanceReadReplica")
        except ClientError as error:
            if has_code(error, "InvalidDBInstanceState"):
                raise ProviderError(
                    f"RDS refuses to replicate {source}: {error.response['Error'].get('Message')}",
                    code="InvalidDBInstanceState",
                    hint="a source needs automated backups: set its backup_retention_period "
                    "to 1 or more and apply first",
                    address=ctx.address,
                ) from error
            raise
        if not created:
            taken = describe_instance(client, identifier)
            if taken is None:
                return self.create(ctx, props)
            return self.take_over(ctx, taken, props, lambda: self.create(ctx, props))
        db = wait_available(ctx, client, identifier, creating=True)
        # Backup retention and the windows are not CreateDBInstanceReadReplica parameters.
        return self.converge(ctx, self.live_of(ctx, db), props)

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        return self.live_of(ctx, self.modify(ctx, live, props, changes))

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        self.delete_instance(ctx, live, final_snapshot=None)
