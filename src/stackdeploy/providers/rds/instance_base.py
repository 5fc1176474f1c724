"""What the DB instance and read replica providers share: reads, in-place changes, delete.

Both are DB instances to RDS and are listed by the same DescribeDBInstances; each type takes
its own (a replica names its source, a primary does not), so one read per type and region
finds them. An instance being deleted counts as gone: it can be neither used nor changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code, has_code, is_not_found
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.diff import diff_properties
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.ownership import describe_owner, is_made_for, owned_by, owner_of
from stackdeploy.providers.rds.common import rds
from stackdeploy.providers.rds.instances import (
    DELETING,
    describe_instance,
    describe_instances,
    is_replica,
    owner_of_db,
    tags_of,
    wait_available,
    wait_deleted,
)
from stackdeploy.providers.rds.modify import modify_request, record_tags
from stackdeploy.providers.tagging_api import aws_tags
from stackdeploy.specs.base import CLAIM_TAGS

# RDS refuses to delete an instance while a backup, a modification or (the strictness
# layer's rule) a replica's deletion is under way: such a refusal clears with time.
_BUSY = "InvalidDBInstanceState"
# Errors right after a subnet or parameter group was created, before RDS sees it.
NOT_YET_VISIBLE = frozenset({"DBSubnetGroupNotFoundFault", "DBParameterGroupNotFound"})


class DbInstanceBase(Provider):
    replicas: ClassVar[bool]  # which DB instances this type takes: replicas or primaries

    def client(self, region: str) -> RetryingClient:
        return rds(self.clients, region)

    def properties(self, db: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def to_live(self, region: str, db: dict[str, Any]) -> LiveResource | None:
        if is_replica(db) != self.replicas or db.get("DBInstanceStatus") == DELETING:
            return None
        identifier = str(db["DBInstanceIdentifier"])
        return LiveResource.tagged(
            self.rtype.name, identifier, region, self.properties(db), owner_of_db(db)
        )

    def _lives(self, region: str, found: list[dict[str, Any]]) -> list[LiveResource]:
        lives = (self.to_live(region, db) for db in found)
        return [live for live in lives if live is not None]

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        # One paginated call: DescribeDBInstances has no tag filter, but returns each
        # instance's tags, so ownership is checked here.
        found = describe_instances(self.client(region))
        return self._lives(region, [db for db in found if owned_by(db.get("TagList"), stack)])

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        if not physical_ids:
            return {}
        found = describe_instances(self.client(region), physical_ids)
        return {live.physical_id: live for live in self._lives(region, found)}

    def live_of(self, ctx: ResourceContext, db: dict[str, Any]) -> LiveResource:
        live = self.to_live(ctx.region, db)
        if live is None:
            raise ProviderError(
                f"DB instance {db['DBInstanceIdentifier']} is not a "
                f"{'read replica' if self.replicas else 'primary database'}",
                address=ctx.address,
                hint="run plan again: it reads what the instance is now",
            )
        return live

    # -- create ------------------------------------------------------------------------------

    def send_create(self, ctx: ResourceContext, call: Callable[[], object], operation: str) -> bool:
        """Run the create call; False when the identifier is taken (the caller takes over)."""
        try:
            retry_while(
                call,
                codes=NOT_YET_VISIBLE,
                deadline=ctx.timing.visibility_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation=operation,
            )
        except ClientError as error:
            if has_code(error, "DBInstanceAlreadyExists"):
                return False
            raise
        return True

    def take_over(
        self,
        ctx: ResourceContext,
        existing: dict[str, Any],
        props: dict[str, Any],
        create: Callable[[], LiveResource],
    ) -> LiveResource:
        """The identifier is taken: wait out a deletion and create, adopt our own interrupted
        create (brought to the spec), or stop: anyone else's database is left alone."""
        client = self.client(ctx.region)
        identifier = str(existing["DBInstanceIdentifier"])
        if existing.get("DBInstanceStatus") == DELETING:
            wait_deleted(ctx, client, identifier)
            return create()
        owner = owner_of(existing.get("TagList"))
        if not is_made_for(owner, ctx):
            raise ProviderError(
                f"a DB instance named '{identifier}' already exists in {ctx.region} "
                f"({describe_owner(owner)})",
                code="DBInstanceAlreadyExists",
                address=ctx.address,
                hint="give this one another identifier, or delete the existing one first",
            )
        db = wait_available(ctx, client, identifier, creating=True)
        live = self.live_of(ctx, db)
        return self.converge(ctx, live, props)

    def converge(
        self, ctx: ResourceContext, live: LiveResource, props: dict[str, Any]
    ) -> LiveResource:
        """Whatever still differs from the spec and can change in place, changed; the rest
        (an adopted instance created otherwise) is left for the consistency check and the
        next plan, which shows the replacement."""
        changes = [
            c
            for c in diff_properties(self.rtype, props, live.properties)
            if not c.forces_replacement
        ]
        return self.update(ctx, live, props, changes) if changes else live

    # -- update ------------------------------------------------------------------------------

    def modify(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
        *,
        extra: Mapping[str, Any] | None = None,
        pending: set[str] | None = None,
        recorded: Mapping[str, str | None] | None = None,
    ) -> dict[str, Any]:
        """One ModifyDBInstance (applied immediately) for the changes, the tags, and a wait
        until it is available again. `extra` adds parameters (the master password) with their
        `pending` keys; `recorded` sets or removes reserved tags."""
        client = self.client(ctx.region)
        identifier = live.physical_id
        # AWS refuses changes while the instance is creating, backing up or modifying.
        db = wait_available(ctx, client, identifier, to_repair=True)
        changed = {change.path for change in changes}
        request, awaited = modify_request(changed, props, live.properties)
        request.update(extra or {})
        awaited |= pending or set()
        if request:
            client.modify_db_instance(
                DBInstanceIdentifier=identifier, ApplyImmediately=True, **request
            )
        record_tags(
            client,
            str(db["DBInstanceArn"]),
            tags_of(db),
            desired_user=props["tags"],
            ownership=ctx.ownership_tags(),
            recorded=recorded or {},
        )
        return wait_available(ctx, client, identifier, pending=awaited)

    # -- delete ------------------------------------------------------------------------------

    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        self.client(ctx.region).add_tags_to_resource(
            ResourceName=str(live.properties["arn"]), Tags=aws_tags(ctx.ownership_tags())
        )

    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        client = self.client(ctx.region)
        arn = str(live.properties["arn"])
        self.ignore_not_found(
            lambda: client.remove_tags_from_resource(ResourceName=arn, TagKeys=[*CLAIM_TAGS])
        )

    def delete_instance(
        self, ctx: ResourceContext, live: LiveResource, final_snapshot: str | None
    ) -> None:
        """DeleteDBInstance (with a final snapshot unless None) and wait until it is gone."""
        client = self.client(ctx.region)
        identifier = live.physical_id
        if ctx.unprotect and live.properties.get("deletion_protection"):
            # An exercise stack's database: the plan said protection goes first.
            self.ignore_not_found(
                lambda: client.modify_db_instance(
                    DBInstanceIdentifier=identifier, DeletionProtection=False, ApplyImmediately=True
                )
            )
        snapshot: dict[str, Any] = (
            {"FinalDBSnapshotIdentifier": final_snapshot}
            if final_snapshot
            else {"SkipFinalSnapshot": True}
        )

        def call() -> None:
            db = describe_instance(client, identifier)
            if db is None or db.get("DBInstanceStatus") == DELETING:
                return
            try:
                client.delete_db_instance(DBInstanceIdentifier=identifier, **snapshot)
            except ClientError as error:
                if is_not_found(error):
                    return
                if has_code(error, "InvalidParameterCombination") and "protect" in str(error):
                    raise ProviderError(
                        f"DB instance {identifier} has deletion protection on: AWS refuses to "
                        "delete it",
                        code="InvalidParameterCombination",
                        hint="set deletion_protection: false in the stack file and apply, "
                        "then destroy again",
                        address=ctx.address,
                    ) from error
                raise

        try:
            retry_while(
                call,
                codes={_BUSY},
                deadline=ctx.timing.dependency_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation="rds.DeleteDBInstance",
            )
        except ClientError as error:
            if error_code(error) == _BUSY:
                message = error.response.get("Error", {}).get("Message", "")
                raise ProviderError(
                    f"RDS refuses to delete DB instance {identifier} now: {message}",
                    code=_BUSY,
                    hint="if it has read replicas, delete them first (ones outside this stack "
                    "too); otherwise wait until it is available and destroy again",
                    address=ctx.address,
                ) from error
            raise
        wait_deleted(ctx, client, identifier)
