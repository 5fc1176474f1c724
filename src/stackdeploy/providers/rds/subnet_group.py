"""aws.rds.db_subnet_group on RDS: CreateDBSubnetGroup with tags, ModifyDBSubnetGroup in
place, DeleteDBSubnetGroup once no database uses it. The name is the physical id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.ec2.common import split_tags
from stackdeploy.providers.rds.common import (
    AwsTags,
    aws_tags,
    delete_group,
    owned_groups,
    paged,
    rds,
    sync_tags,
    tag_map,
)
from stackdeploy.specs.rds.subnet_group import DB_SUBNET_GROUP

_AWS_DEFAULT = "default"  # the default VPC's group: AWS's own, never a stack's
_IN_USE = "InvalidDBSubnetGroupStateFault"


def _properties(group: dict[str, Any], tags: AwsTags) -> dict[str, Any]:
    name = str(group["DBSubnetGroupName"])
    user, _ = split_tags(tags)
    return {
        "name": name,
        "description": group.get("DBSubnetGroupDescription", ""),
        "subnet_ids": [s["SubnetIdentifier"] for s in group.get("Subnets") or []],
        "tags": user,
        "id": name,
        "arn": group.get("DBSubnetGroupArn"),
        "vpc_id": group.get("VpcId"),
    }


class DbSubnetGroupProvider(Provider):
    rtype = DB_SUBNET_GROUP

    def _read(
        self, region: str, stack: str | None, names: Sequence[str] = ()
    ) -> list[LiveResource]:
        client = rds(self.clients, region)
        groups = [
            g
            for g in paged(client, "describe_db_subnet_groups", "DBSubnetGroups")
            if g["DBSubnetGroupName"] != _AWS_DEFAULT
            and (not names or g["DBSubnetGroupName"] in names)
        ]
        result = []
        for group, tags in owned_groups(client, groups, "DBSubnetGroupArn", stack):
            _, logical_id = split_tags(tags)
            name = str(group["DBSubnetGroupName"])
            result.append(
                LiveResource(self.rtype.name, name, region, _properties(group, tags), logical_id)
            )
        return result

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        return self._read(region, stack)

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        if not physical_ids:
            return {}
        return {live.physical_id: live for live in self._read(region, None, physical_ids)}

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
            if not has_code(error, "DBSubnetGroupAlreadyExists"):
                raise _refusal(error, ctx) from error
            return self._adopt(ctx, props)
        return self.read_after_write(ctx, name)

    def _adopt(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        """The name is taken: our own interrupted create is adopted, anyone else's is not."""
        name = props["name"]
        found = self._read(ctx.region, ctx.stack, [name])
        if not found or found[0].logical_id != ctx.logical_id:
            raise ProviderError(
                f"a DB subnet group named '{name}' already exists in {ctx.region} and this "
                "stack does not own it",
                code="DBSubnetGroupAlreadyExists",
                hint="give this group another name, or delete the existing one if it is a leftover",
                address=ctx.address,
            )
        existing = found[0]
        changes = [PropertyChange(k, None, props[k]) for k in ("subnet_ids", "description")]
        return self.update(ctx, existing, props, changes)

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
        arn = str(live.properties["arn"])
        current = tag_map(client.list_tags_for_resource(ResourceName=arn).get("TagList"))
        sync_tags(client, arn, {**props["tags"], **ctx.ownership_tags()}, current)
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
