"""Bringing a DynamoDB table from what AWS holds to what the stack says, in place.

UpdateTable does one thing at a time: one index added or removed per call (a second one while
an index is being built is refused with LimitExceededException), and no call at all while the
table is UPDATING (ResourceInUseException). So each change is its own call, and each call
waits for the table and all its indexes to be ACTIVE before and after it. The order:

1. indexes that go (removed, or whose keys or projection change), one at a time;
2. billing mode and capacities (the table's and the remaining indexes', in one call: a switch
   to PROVISIONED must give every index its capacity);
3. indexes that come (new, or re-added with their new definition), one at a time;
4. stream, encryption key, table class, deletion protection; then TTL, point-in-time
   recovery and tags, which have their own APIs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.dynamodb.shapes import (
    PROVISIONED,
    attribute_definitions,
    global_index,
    sse_specification,
    throughput,
)
from stackdeploy.providers.dynamodb.waits import wait_ready
from stackdeploy.providers.tagging_api import aws_tags
from stackdeploy.specs.dynamodb.indexes import key_attributes

_CAPACITY = ("read_capacity", "write_capacity")


def _definition(index: Mapping[str, Any]) -> dict[str, Any]:
    """What cannot change in place: everything but the capacities."""
    return {k: v for k, v in index.items() if k not in _CAPACITY}


def _capacity(index: Mapping[str, Any]) -> tuple[Any, Any]:
    return index.get("read_capacity"), index.get("write_capacity")


class TableChanges:
    """The calls that turn `current` (canonical, as read) into `desired`, made one by one."""

    def __init__(self, ctx: ResourceContext, client: RetryingClient, name: str, arn: str) -> None:
        self.ctx, self.client, self.name, self.arn = ctx, client, name, arn

    def converge(self, current: dict[str, Any], desired: dict[str, Any]) -> None:
        have = {i["name"]: i for i in current["global_secondary_indexes"]}
        want = {i["name"]: i for i in desired["global_secondary_indexes"]}
        going = [
            name
            for name in sorted(have)
            if name not in want or _definition(have[name]) != _definition(want[name])
        ]
        coming = [name for name in sorted(want) if name not in have or name in going]
        kept = [name for name in sorted(want) if name in have and name not in going]

        for name in going:
            self._update_table(GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": name}}])
        self._billing(current, desired, [(have[n], want[n]) for n in kept])
        present = [want[n] for n in kept]
        for name in coming:
            present.append(want[name])
            self._add_index(desired, want[name], present)
        self._table_settings(current, desired)
        self._ttl(current["ttl_attribute"], desired["ttl_attribute"])
        if current["point_in_time_recovery"] != desired["point_in_time_recovery"]:
            self._recovery(desired["point_in_time_recovery"])
        self._tags(current["tags"], desired["tags"])
        wait_ready(self.ctx, self.client, self.name)

    # -- UpdateTable ------------------------------------------------------------------------

    def _update_table(self, **changes: Any) -> None:
        """One UpdateTable, between waits for the table and its indexes to be ACTIVE."""
        ctx = self.ctx
        wait_ready(ctx, self.client, self.name)
        # Another client's change may have started since: DynamoDB then refuses this one.
        retry_while(
            lambda: self.client.update_table(TableName=self.name, **changes),
            codes={"ResourceInUseException"},
            deadline=ctx.timing.poll_timeout,
            timing=ctx.timing,
            events=ctx.events,
            operation="dynamodb.UpdateTable",
        )
        wait_ready(ctx, self.client, self.name)

    def _billing(
        self,
        current: dict[str, Any],
        desired: dict[str, Any],
        kept: list[tuple[dict[str, Any], dict[str, Any]]],
    ) -> None:
        switching = current["billing_mode"] != desired["billing_mode"]
        if desired["billing_mode"] != PROVISIONED:
            if switching:
                self._update_table(BillingMode=desired["billing_mode"])
            return
        changes: dict[str, Any] = {}
        if switching:
            changes["BillingMode"] = PROVISIONED
        # AWS refuses a "change" to the capacity a table or index already has.
        if switching or _capacity(current) != _capacity(desired):
            changes["ProvisionedThroughput"] = throughput(*_capacity(desired))
        updates = [
            {
                "Update": {
                    "IndexName": want["name"],
                    "ProvisionedThroughput": throughput(*_capacity(want)),
                }
            }
            for have, want in kept
            if switching or _capacity(have) != _capacity(want)
        ]
        if updates:
            changes["GlobalSecondaryIndexUpdates"] = updates
        if changes:
            self._update_table(**changes)

    def _add_index(
        self, desired: dict[str, Any], index: dict[str, Any], present: list[dict[str, Any]]
    ) -> None:
        # The definitions of every key the table has once this index exists: AWS needs the new
        # index's, and the others are the same as before.
        keys = key_attributes({**desired, "global_secondary_indexes": present})
        self._update_table(
            AttributeDefinitions=attribute_definitions(keys),
            GlobalSecondaryIndexUpdates=[
                {"Create": global_index(index, desired["billing_mode"] == PROVISIONED)}
            ],
        )

    def _table_settings(self, current: dict[str, Any], desired: dict[str, Any]) -> None:
        if current["stream_view_type"] != desired["stream_view_type"]:
            # A table has one stream; another view type means off, then on (a new stream ARN).
            if current["stream_view_type"]:
                self._update_table(StreamSpecification={"StreamEnabled": False})
            if desired["stream_view_type"]:
                self._update_table(
                    StreamSpecification={
                        "StreamEnabled": True,
                        "StreamViewType": desired["stream_view_type"],
                    }
                )
        if current["kms_key_arn"] != desired["kms_key_arn"]:
            self._update_table(SSESpecification=sse_specification(desired["kms_key_arn"]))
        if current["table_class"] != desired["table_class"]:
            self._update_table(TableClass=desired["table_class"])
        if current["deletion_protection"] != desired["deletion_protection"]:
            self._update_table(DeletionProtectionEnabled=desired["deletion_protection"])

    # -- the other APIs ---------------------------------------------------------------------

    def _ttl(self, current: str, desired: str) -> None:
        if current == desired:
            return
        try:
            if current:
                self.client.update_time_to_live(
                    TableName=self.name,
                    TimeToLiveSpecification={"Enabled": False, "AttributeName": current},
                )
            if desired:
                self.client.update_time_to_live(
                    TableName=self.name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": desired},
                )
        except ClientError as error:
            if not has_code(error, "ValidationException"):
                raise
            raise ProviderError(
                f"DynamoDB refused the TTL change of table {self.name}: "
                f"{error.response['Error'].get('Message', '')}",
                code="ValidationException",
                address=self.ctx.address,
                hint="AWS takes up to an hour to apply a TTL change and refuses another one "
                "meanwhile: apply again later",
            ) from error

    def _recovery(self, enabled: bool) -> None:
        ctx = self.ctx
        # Right after a table is created, its backups may not be available for a while.
        retry_while(
            lambda: self.client.update_continuous_backups(
                TableName=self.name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": enabled},
            ),
            codes={"ContinuousBackupsUnavailableException"},
            deadline=ctx.timing.consistency_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation="dynamodb.UpdateContinuousBackups",
        )

    def _tags(self, current: Mapping[str, str], desired: Mapping[str, str]) -> None:
        """User tags; the ownership tags stay as they are."""
        stale = sorted(k for k in current if k not in desired)
        changed = {k: v for k, v in desired.items() if current.get(k) != v}
        if stale:
            self.client.untag_resource(ResourceArn=self.arn, TagKeys=stale)
        if changed:
            self.client.tag_resource(
                ResourceArn=self.arn,
                Tags=aws_tags(changed),
            )
