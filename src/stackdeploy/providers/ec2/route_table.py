"""aws.ec2.route_table on EC2: CreateRouteTable, then its routes and subnet associations."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code, is_not_found
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.base import Ec2Provider
from stackdeploy.providers.ec2.common import (
    id_filter,
    sync_tags,
)
from stackdeploy.providers.ec2.routes import (
    destination_of,
    explicit_associations,
    removable_associations,
    route_from_aws,
    route_to_aws,
)
from stackdeploy.providers.ec2.settle import read_settled
from stackdeploy.providers.ownership import split_tags
from stackdeploy.specs.ec2.route_table import ROUTE_TABLE

# What EC2 answers for an id it does not know yet, shortly after its creation elsewhere: a
# gateway, NAT gateway, instance or subnet the same apply has just made, or this table.
_NOT_VISIBLE_YET = frozenset(
    {
        "InvalidGatewayID.NotFound",
        "InvalidNatGatewayID.NotFound",
        "InvalidRouteTableID.NotFound",
        "InvalidSubnetID.NotFound",
        "InvalidVpcID.NotFound",
        "InvalidInstanceID.NotFound",
        "InvalidNetworkInterfaceID.NotFound",
        "InvalidTransitGatewayID.NotFound",
        "InvalidVpcPeeringConnectionID.NotFound",
    }
)


class RouteTableProvider(Ec2Provider):
    rtype = ROUTE_TABLE
    describe_method = "describe_route_tables"
    result_key = "RouteTables"
    id_filter_name = "route-table-id"
    tag_resource_type = "route-table"

    def _table(self, region: str, route_table_id: str) -> dict[str, Any] | None:
        tables = self.describe_items(region, id_filter("route-table-id", [route_table_id]))
        return tables[0] if tables else None

    def to_live(self, region: str, table: dict[str, Any]) -> LiveResource:
        table_id = table["RouteTableId"]
        tags, owner = split_tags(table.get("Tags"))
        routes = [route_from_aws(route) for route in table.get("Routes", [])]
        properties = {
            "vpc_id": table["VpcId"],
            "routes": [route for route in routes if route is not None],
            "subnet_ids": [a["SubnetId"] for a in explicit_associations(table)],
            "tags": tags,
            "id": table_id,
            "owner_id": table.get("OwnerId"),
        }
        return LiveResource.tagged(self.rtype.name, table_id, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        ec2 = self.clients.client("ec2", ctx.region)
        response = ec2.create_route_table(
            VpcId=props["vpc_id"],
            ClientToken=ctx.token,
            TagSpecifications=self.creation_tags(ctx, props),
        )
        table_id = response["RouteTable"]["RouteTableId"]
        for route in props["routes"]:
            self._add_route(ctx, table_id, route)
        for subnet_id in props["subnet_ids"]:
            self._associate(ctx, table_id, subnet_id)
        return read_settled(self, ctx, table_id, props)

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        ec2 = self.clients.client("ec2", ctx.region)
        table_id = live.physical_id
        # Read afresh: association ids are needed, and another table's update in this same
        # apply may have taken one of our subnets since the plan read.
        table = self._table(ctx.region, table_id)
        if table is None:
            raise ProviderError(
                f"route table {table_id} no longer exists",
                code="InvalidRouteTableID.NotFound",
                address=ctx.address,
                hint="run plan again: it will create the table anew",
            )
        self._update_routes(ctx, table, props["routes"])
        associations = {a["SubnetId"]: a for a in explicit_associations(table)}
        wanted = set(props["subnet_ids"])
        for subnet_id, association in associations.items():
            if subnet_id not in wanted:
                self.ignore_not_found(
                    partial(
                        ec2.disassociate_route_table,
                        AssociationId=association["RouteTableAssociationId"],
                    )
                )
        for subnet_id in props["subnet_ids"]:
            if subnet_id not in associations:
                self._associate(ctx, table_id, subnet_id)
        sync_tags(ec2, table_id, props["tags"], split_tags(table.get("Tags"))[0])
        return read_settled(self, ctx, table_id, props)

    def _update_routes(
        self, ctx: ResourceContext, table: dict[str, Any], desired_routes: list[dict[str, Any]]
    ) -> None:
        ec2 = self.clients.client("ec2", ctx.region)
        table_id = table["RouteTableId"]
        current = {
            destination_of(route): route
            for route in map(route_from_aws, table.get("Routes", []))
            if route is not None
        }
        desired = {destination_of(route): route for route in desired_routes}
        for destination in current.keys() - desired.keys():
            name, value = destination
            self.ignore_not_found(partial(ec2.delete_route, RouteTableId=table_id, **{name: value}))
        for destination, route in desired.items():
            if destination not in current:
                self._add_route(ctx, table_id, route)
            elif current[destination] != route:
                # ReplaceRoute switches the target in one step; delete-and-create would
                # leave the destination unrouted in between.
                self._replace_route(ctx, table_id, route)

    def _add_route(self, ctx: ResourceContext, table_id: str, route: dict[str, Any]) -> None:
        ec2 = self.clients.client("ec2", ctx.region)
        try:
            self.while_not_visible(
                ctx,
                "ec2.CreateRoute",
                lambda: ec2.create_route(RouteTableId=table_id, **route_to_aws(route)),
                _NOT_VISIBLE_YET,
            )
        except ClientError as error:
            if not has_code(error, "RouteAlreadyExists"):
                raise
            # A repeated create (same client token) finds its routes made: set the target.
            self._replace_route(ctx, table_id, route)

    def _replace_route(self, ctx: ResourceContext, table_id: str, route: dict[str, Any]) -> None:
        ec2 = self.clients.client("ec2", ctx.region)
        self.while_not_visible(
            ctx,
            "ec2.ReplaceRoute",
            lambda: ec2.replace_route(RouteTableId=table_id, **route_to_aws(route)),
            _NOT_VISIBLE_YET,
        )

    def _associate(self, ctx: ResourceContext, table_id: str, subnet_id: str) -> None:
        ec2 = self.clients.client("ec2", ctx.region)
        try:
            self.while_not_visible(
                ctx,
                "ec2.AssociateRouteTable",
                lambda: ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id),
                _NOT_VISIBLE_YET,
            )
        except ClientError as error:
            if not has_code(error, "Resource.AlreadyAssociated"):
                raise
            self._take_over(ctx, table_id, subnet_id)

    def _take_over(self, ctx: ResourceContext, table_id: str, subnet_id: str) -> None:
        """Move a subnet explicitly associated with another table (e.g. moving between two
        tables in one apply, whichever of the two updates runs first) over to this one."""
        ec2 = self.clients.client("ec2", ctx.region)
        holders = self.describe_items(ctx.region, id_filter("association.subnet-id", [subnet_id]))
        for holder in holders:
            for association in explicit_associations(holder):
                if association["SubnetId"] != subnet_id:
                    continue
                if holder["RouteTableId"] == table_id:
                    return  # already ours: a repeated step
                try:
                    ec2.replace_route_table_association(
                        AssociationId=association["RouteTableAssociationId"],
                        RouteTableId=table_id,
                    )
                    return
                except ClientError as error:
                    if not is_not_found(error):
                        raise
                    break  # the other table let go in the meantime
        ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        ec2 = self.clients.client("ec2", ctx.region)
        table = self._table(ctx.region, live.physical_id)
        if table is None:
            return
        # AWS refuses to delete a table that still has explicit associations.
        for association_id in removable_associations(table):
            self.ignore_not_found(
                partial(ec2.disassociate_route_table, AssociationId=association_id)
            )
        self.delete_retrying(
            ctx,
            lambda: ec2.delete_route_table(RouteTableId=live.physical_id),
            operation="ec2.DeleteRouteTable",
        )
