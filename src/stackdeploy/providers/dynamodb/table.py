"""aws.dynamodb.table on DynamoDB: CreateTable with its indexes, stream, encryption and tags,
waited on until ACTIVE, then TTL and point-in-time recovery; in-place changes one UpdateTable
at a time (see changes.py); DeleteTable, waited on until the table is gone.

What a refresh costs, per region: one GetResources (tagging API: the stack's tables with
their tags; ListTables has no tags and lists every table in the account). Then, per table,
what DynamoDB only answers per table: DescribeTable, DescribeTimeToLive and
DescribeContinuousBackups, 8 tables at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.dynamodb.changes import TableChanges
from stackdeploy.providers.dynamodb.shapes import create_request, table_properties
from stackdeploy.providers.dynamodb.waits import describe, wait_gone, wait_ready
from stackdeploy.providers.ownership import made_for, split_tags
from stackdeploy.providers.tagging_api import (
    AwsTags,
    aws_tags,
    or_none,
    read_concurrently,
    tagged_resources,
)
from stackdeploy.specs.base import CLAIM_TAGS
from stackdeploy.specs.dynamodb.table import DYNAMODB_TABLE


class DynamoDbTableProvider(Provider):
    rtype = DYNAMODB_TABLE

    def dynamodb(self, region: str) -> RetryingClient:
        return self.clients.client("dynamodb", region)

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        tagged = tagged_resources(self.clients, region, "dynamodb:table", stack)
        client = self.dynamodb(region)
        tables = [(arn.split(":table/", 1)[-1], tags) for arn, tags in sorted(tagged.items())]
        return read_concurrently(tables, lambda t: self._read(client, region, t[0], t[1]))

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        client = self.dynamodb(region)
        found = read_concurrently(
            sorted(set(physical_ids)), lambda name: self._read(client, region, name, None)
        )
        return {live.physical_id: live for live in found}

    def _read(
        self, client: RetryingClient, region: str, name: str, tags: AwsTags | None
    ) -> LiveResource | None:
        """The table in canonical form; None when it does not exist or is being deleted."""
        table = describe(client, name)
        if table is None or table.get("TableStatus") == "DELETING":
            return None
        if tags is None:
            tags = or_none(self._tags_of, client=client, arn=table["TableArn"])
        ttl = or_none(client.describe_time_to_live, TableName=name)
        backups = or_none(client.describe_continuous_backups, TableName=name)
        if tags is None or ttl is None or backups is None:
            return None  # deleted since it was described
        user_tags, owner = split_tags(tags)
        properties = table_properties(
            table,
            ttl.get("TimeToLiveDescription") or {},
            backups.get("ContinuousBackupsDescription") or {},
            user_tags,
        )
        return LiveResource.tagged(self.rtype.name, name, region, properties, owner)

    @staticmethod
    def _tags_of(client: RetryingClient, arn: str) -> AwsTags:
        found: AwsTags = client.paginate("list_tags_of_resource", "Tags", ResourceArn=arn)
        return found

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        client = self.dynamodb(ctx.region)
        name = props["name"]
        # Ownership in the create call: an interrupted create is found by its tags, and the
        # name makes a repeated create fail instead of making a second table.
        request = create_request(props, {**props["tags"], **ctx.ownership_tags()})
        current = self._create_or_adopt(ctx, client, request, props)
        TableChanges(ctx, client, name, self._arn(client, name)).converge(current, props)
        return self.read_after_write(ctx, name)

    def _create_or_adopt(
        self,
        ctx: ResourceContext,
        client: RetryingClient,
        request: dict[str, Any],
        props: dict[str, Any],
    ) -> dict[str, Any]:
        """Create the table and wait until it is ACTIVE; returns what it then holds."""
        name = props["name"]
        try:
            client.create_table(**request)
        except ClientError as error:
            if not has_code(error, "ResourceInUseException"):
                _raise_explained(ctx, error)
                raise
            existing = describe(client, name)
            if existing is not None and existing.get("TableStatus") == "DELETING":
                # The name is free again once the old table is gone (a replacement).
                wait_gone(ctx, client, name)
                return self._create_or_adopt(ctx, client, request, props)
            return self._adoptable(ctx, client, name)
        wait_ready(ctx, client, name)
        # What CreateTable cannot set: TTL and point-in-time recovery come next.
        return {**props, "ttl_attribute": "", "point_in_time_recovery": False}

    def _adoptable(self, ctx: ResourceContext, client: RetryingClient, name: str) -> dict[str, Any]:
        """The existing table's properties if an earlier, interrupted run of this very resource
        created it; otherwise the name belongs to someone else."""
        wait_ready(ctx, client, name)
        tags = or_none(self._tags_of, client=client, arn=self._arn(client, name))
        live = self._read(client, ctx.region, name, tags)
        if live is None or not made_for(tags, ctx):
            raise ProviderError(
                f"a table named '{name}' already exists in {ctx.region} and this stack does "
                "not own it",
                code="ResourceInUseException",
                address=ctx.address,
                hint="table names are unique per region: choose another name, or delete the "
                "existing table if it is a leftover",
            )
        return live.properties

    @staticmethod
    def _arn(client: RetryingClient, name: str) -> str:
        table = describe(client, name)
        if table is None:
            raise ProviderError(f"table {name} no longer exists", code="ResourceNotFoundException")
        return str(table["TableArn"])

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        client = self.dynamodb(ctx.region)
        name = live.physical_id
        # What AWS holds now, not what the plan saw, decides the calls.
        current = self._read(client, ctx.region, name, None)
        if current is None:
            raise ProviderError(
                f"table {name} no longer exists",
                code="ResourceNotFoundException",
                address=ctx.address,
                hint="run plan again: it will create the table anew",
            )
        try:
            TableChanges(ctx, client, name, current.properties["arn"]).converge(
                current.properties, props
            )
        except ClientError as error:
            _raise_explained(ctx, error)
            raise
        return self.read_after_write(ctx, name)

    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        self.dynamodb(ctx.region).tag_resource(
            ResourceArn=str(live.properties["arn"]), Tags=aws_tags(ctx.ownership_tags())
        )

    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        client = self.dynamodb(ctx.region)
        arn = str(live.properties["arn"])
        self.ignore_not_found(lambda: client.untag_resource(ResourceArn=arn, TagKeys=[*CLAIM_TAGS]))

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        client = self.dynamodb(ctx.region)
        name = live.physical_id

        def request_delete() -> None:
            table = describe(client, name)
            if table is None or table.get("TableStatus") == "DELETING":
                return
            if ctx.unprotect and table.get("DeletionProtectionEnabled"):
                # An exercise stack's table: the plan said protection goes first.
                client.update_table(TableName=name, DeletionProtectionEnabled=False)
            client.delete_table(TableName=name)

        try:
            # A table still CREATING or UPDATING cannot be deleted yet (ResourceInUseException).
            retry_while(
                lambda: self.ignore_not_found(request_delete),
                codes={"ResourceInUseException"},
                deadline=ctx.timing.poll_timeout,
                timing=ctx.timing,
                events=ctx.events,
                operation="dynamodb.DeleteTable",
            )
        except ClientError as error:
            message = str(error.response.get("Error", {}).get("Message", ""))
            if has_code(error, "ValidationException") and "protect" in message.lower():
                # Someone protected it on purpose: switched off only for an exercise stack.
                raise ProviderError(
                    f"table {name} has deletion protection on, so AWS refuses to delete it",
                    code="ValidationException",
                    address=ctx.address,
                    hint="set deletion_protection: false in the stack file and apply, then "
                    "destroy again",
                ) from error
            raise
        wait_gone(ctx, client, name)


def _raise_explained(ctx: ResourceContext, error: ClientError) -> None:
    """DynamoDB's refusals a person can act on, with what to do (others are left as they are)."""
    message = str(error.response.get("Error", {}).get("Message", ""))
    if has_code(error, "LimitExceededException"):
        raise ProviderError(
            f"DynamoDB refused: {message}",
            code="LimitExceededException",
            address=ctx.address,
            hint="too many tables or indexes are being created, updated or deleted in this "
            "account at once; apply again when they are done",
        ) from error
