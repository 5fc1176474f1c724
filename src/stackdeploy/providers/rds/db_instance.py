"""aws.rds.db_instance on RDS: CreateDBInstance with the ownership tags, waited on until
available; ModifyDBInstance (applied immediately) in place; DeleteDBInstance with a final
snapshot unless skip_final_snapshot is set, waited on until gone. The identifier is the
physical id.

The master password is obtained only when it is sent (see password.py); what the instance
reads back is its source, from a tag, and where a generated one is kept. A generated
password's secret is created before the database and deleted after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import http_status
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.rds import password as passwords
from stackdeploy.providers.rds.instance_base import DbInstanceBase
from stackdeploy.providers.rds.instances import (
    common_properties,
    describe_instance,
    tags_of,
    wait_available,
)
from stackdeploy.providers.rds.modify import (
    PASSWORD_PENDING,
    PASSWORD_SECRET_TAG,
    PASSWORD_SOURCE_TAG,
    SKIP_SNAPSHOT_TAG,
)
from stackdeploy.providers.tagging_api import aws_tags
from stackdeploy.specs.rds.common import kept_final_snapshot
from stackdeploy.specs.rds.db_instance import DB_INSTANCE
from stackdeploy.specs.rds.password import source_from_tag, source_tag

# Optional create parameters: property -> CreateDBInstance parameter (sent when set).
_OPTIONAL = {
    "iops": "Iops",
    "preferred_backup_window": "PreferredBackupWindow",
    "preferred_maintenance_window": "PreferredMaintenanceWindow",
    "db_subnet_group_name": "DBSubnetGroupName",
    "vpc_security_group_ids": "VpcSecurityGroupIds",
    "port": "Port",
    "kms_key_id": "KmsKeyId",
    "parameter_group_name": "DBParameterGroupName",
    "db_name": "DBName",
}


def _recorded(props: dict[str, Any], secret: str | None) -> dict[str, str | None]:
    """The reserved tags: the password's source, where a generated one is kept, and the
    skip_final_snapshot choice (None removes a tag)."""
    return {
        PASSWORD_SOURCE_TAG: source_tag(props["master_password"]),
        PASSWORD_SECRET_TAG: secret,
        SKIP_SNAPSHOT_TAG: "true" if props.get("skip_final_snapshot") else None,
    }


class DbInstanceProvider(DbInstanceBase):
    rtype = DB_INSTANCE
    replicas = False

    def properties(self, db: dict[str, Any]) -> dict[str, Any]:
        tags = tags_of(db)
        managed = db.get("MasterUserSecret")
        return {
            **common_properties(db),
            "engine": db.get("Engine"),
            "engine_version": db.get("EngineVersion"),
            "storage_encrypted": bool(db.get("StorageEncrypted")),
            "db_name": db.get("DBName"),
            "master_username": db.get("MasterUsername"),
            # RDS says whether it manages the password; any other source is in our tag.
            "master_password": {"manage": True}
            if managed
            else source_from_tag(tags.get(PASSWORD_SOURCE_TAG)),
            "master_password_secret": managed.get("SecretArn")
            if managed
            else tags.get(PASSWORD_SECRET_TAG),
            "skip_final_snapshot": tags.get(SKIP_SNAPSHOT_TAG) == "true",
        }

    # -- create ------------------------------------------------------------------------------

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        client = self.client(ctx.region)
        identifier = props["identifier"]
        existing = describe_instance(client, identifier)
        if existing is not None:
            return self.take_over(ctx, existing, props, lambda: self.create(ctx, props))
        password = passwords.obtain(self.clients, ctx, props["master_password"], props["engine"])
        tags = {
            **props["tags"],
            **ctx.ownership_tags(),
            **{k: v for k, v in _recorded(props, password.secret).items() if v is not None},
        }
        request: dict[str, Any] = {
            "DBInstanceIdentifier": identifier,
            "Engine": props["engine"],
            "EngineVersion": props["engine_version"],
            "DBInstanceClass": props["instance_class"],
            "AllocatedStorage": props["allocated_storage"],
            "StorageType": props["storage_type"],
            "MultiAZ": props["multi_az"],
            "BackupRetentionPeriod": props["backup_retention_period"],
            "PubliclyAccessible": props["publicly_accessible"],
            "StorageEncrypted": props["storage_encrypted"],
            "DeletionProtection": props["deletion_protection"],
            "MasterUsername": props["master_username"],
            # The stack pins the version: an upgrade is an edit of engine_version. A minor
            # upgrade by AWS would make the pinned version look like a downgrade, which RDS
            # cannot do in place.
            "AutoMinorVersionUpgrade": False,
            "Tags": aws_tags(tags),
            **{param: props[k] for k, param in _OPTIONAL.items() if props.get(k) is not None},
        }
        if password.value is None:
            request["ManageMasterUserPassword"] = True
        else:
            request["MasterUserPassword"] = password.value
        try:
            created = self.send_create(
                ctx, lambda: client.create_db_instance(**request), "rds.CreateDBInstance"
            )
        except ClientError as error:
            # Refused outright (a 4xx: nothing was created), so a password generated for this
            # database has no database to open; after a 5xx one may exist, and keeps it.
            if password.created and http_status(error) < 500:
                passwords.delete_generated(
                    self.clients, ctx, props["master_password"], password.secret
                )
            raise
        if not created:
            taken = describe_instance(client, identifier)
            if taken is None:
                return self.create(ctx, props)  # gone again since: the name is free
            return self.take_over(ctx, taken, props, lambda: self.create(ctx, props))
        db = wait_available(ctx, client, identifier, creating=True)
        return self.live_of(ctx, db)

    # -- update ------------------------------------------------------------------------------

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        old_source = live.properties.get("master_password")
        old_secret = live.properties.get("master_password_secret")
        managed = old_source == {"manage": True}
        secret = None if managed else old_secret
        extra: dict[str, Any] = {}
        pending: set[str] = set()
        password_changed = any(change.path == "master_password" for change in changes)
        if password_changed:
            # A new source is a new password: obtained now, sent only to AWS.
            obtained = passwords.obtain(
                self.clients, ctx, props["master_password"], props["engine"]
            )
            secret = obtained.secret
            if obtained.value is None:
                extra["ManageMasterUserPassword"] = True
            else:
                extra["MasterUserPassword"] = obtained.value
                pending.add(PASSWORD_PENDING)
                if managed:
                    extra["ManageMasterUserPassword"] = False  # RDS stops managing it
        db = self.modify(
            ctx,
            live,
            props,
            changes,
            extra=extra,
            pending=pending,
            recorded=_recorded(props, secret),
        )
        if password_changed and old_secret != secret:
            passwords.delete_generated(self.clients, ctx, old_source, old_secret)
        return self.live_of(ctx, db)

    # -- delete ------------------------------------------------------------------------------

    def _tag_kept_snapshot(self, ctx: ResourceContext, live: LiveResource, name: str) -> None:
        """The stack's ownership tags and marks on the final snapshot, so that `deploy ls`
        lists it with the stack and `destroy --delete-snapshots` finds it (RDS copies an
        instance's tags to it only with CopyTagsToSnapshot, which a stack need not set)."""
        arn = str(live.properties.get("arn") or "")
        prefix, found, _ = arn.rpartition(":db:")
        if not found:
            return
        self.client(ctx.region).add_tags_to_resource(
            ResourceName=f"{prefix}:snapshot:{name}", Tags=aws_tags(ctx.ownership_tags())
        )

    def delete_kept_snapshot(self, region: str, name: str) -> None:
        """Delete a final snapshot a destroy kept (`destroy --stack --delete-snapshots`);
        one already gone is fine."""
        client = self.client(region)
        self.ignore_not_found(lambda: client.delete_db_snapshot(DBSnapshotIdentifier=name))

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        # What the instance records wins; the state's record covers an instance whose tags
        # were lost. Either way, no choice at all means a snapshot: data is never lost by
        # default.
        # The plan named the snapshot (ctx.keeps); a replacement's delete names it the same
        # way from the same facts. No choice at all means a snapshot: data is never lost by
        # default.
        snapshot = ctx.keeps or kept_final_snapshot(
            ctx.stack, ctx.logical_id, live.properties, ctx.applied
        )
        self.delete_instance(ctx, live, snapshot)
        if snapshot:
            self._tag_kept_snapshot(ctx, live, snapshot)
        passwords.delete_generated(
            self.clients,
            ctx,
            live.properties.get("master_password"),
            live.properties.get("master_password_secret"),
        )
