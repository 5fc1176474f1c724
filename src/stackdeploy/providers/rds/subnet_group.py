"""aws.rds.db_subnet_group on RDS: CreateDBSubnetGroup with tags, ModifyDBSubnetGroup in
place, DeleteDBSubnetGroup once no database uses it. The name is the physical id."""

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
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.rds.common import GroupProvider, delete_group, rds
from stackdeploy.providers.tagging_api import aws_tags
from stackdeploy.specs.rds.subnet_group import DB_SUBNET_GROUP

_AWS_DEFAULT = "default"  # the default VPC's group: AWS's own, never a stack's
_IN_USE = "InvalidDBSubnetGroupStateFault"


class DbSubnetGroupProvider(GroupProvider):
    rtype = DB_SUBNET_GROUP
    kind = "DB subnet group"
    list_method = "describe_db_subnet_groups"
    list_key = "DBSubnetGroups"
    name_key = "DBSubnetGroupName"
    arn_key = "DBSubnetGroupArn"
    exists_code = "DBSubnetGroupAlreadyExists"

    @staticmethod
    def aws_own(name: str) -> bool:
        return name == _AWS_DEFAULT

    def properties(
        self, client: RetryingClient, group: dict[str, Any], tags: dict[str, str]
    ) -> dict[str, Any]:
        name = str(group["DBSubnetGroupName"])
        return {
            "name": name,
            "description": group.get("DBSubnetGroupDescription", ""),
            "subnet_ids": [s["SubnetIdentifier"] for s in group.get("Subnets") or []],
            "tags": tags,
            "id": name,
            "arn": group.get("DBSubnetGroupArn"),
            "vpc_id": group.get("VpcId"),
        }

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        client = rds(self.clients, ctx.region)
        name = props["name"]
        tags = {**props["tags"], **ctx.ownership_tags()}
        try:
            # Subnets created moments ago may not be visible to RDS yet.
            retry_while(
                lambda: client.create_db_subnet_group(
                    DBSubnetGroupName=name,
                    DBSubnetGroupDescription=props["description"],
                    SubnetIds=props["subnet_ids"],
                    Tags=aws_tags(tags),
                ),
                codes={"InvalidSubnet"},
                deadline=ctx.timing.visibility_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation="rds.CreateDBSubnetGroup",
            )
        except ClientError as error:
            if not has_code(error, self.exists_code):
                raise _refusal(error, ctx) from error
            # Our own interrupted create: made to match the spec.
            existing = self.own_leftover(ctx, name, error)
            changes = [PropertyChange(k, None, props[k]) for k in ("subnet_ids", "description")]
            return self.update(ctx, existing, props, changes)
        return self.read_after_write(ctx, name)

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        client = rds(self.clients, ctx.region)
        changed = {change.path for change in changes}
        if changed & {"subnet_ids", "description"}:
            try:
                client.modify_db_subnet_group(
                    DBSubnetGroupName=live.physical_id,
                    DBSubnetGroupDescription=props["description"],
                    SubnetIds=props["subnet_ids"],
                )
            except ClientError as error:
                raise _refusal(error, ctx) from error
        self.sync_group_tags(client, ctx, live, props)
        return self.read_after_write(ctx, live.physical_id)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        client = rds(self.clients, ctx.region)
        name = live.physical_id
        delete_group(
            self,
            ctx,
            delete=lambda: client.delete_db_subnet_group(DBSubnetGroupName=name),
            in_use_code=_IN_USE,
            operation="rds.DeleteDBSubnetGroup",
            in_use=f"DB subnet group {name} is still used by a database",
            hint="delete (or move) the DB instances in it first, ones outside this stack too",
        )


def _refusal(error: BaseException, ctx: ResourceContext) -> BaseException:
    if has_code(error, "DBSubnetGroupDoesNotCoverEnoughAZs"):
        return ProviderError(
            "the subnets of a DB subnet group must cover at least two availability zones",
            code="DBSubnetGroupDoesNotCoverEnoughAZs",
            hint="add a subnet in another availability zone to subnet_ids",
            address=ctx.address,
        )
    return error
