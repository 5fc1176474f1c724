"""aws.ec2.route_table: a route table with its routes and subnet associations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import (
    Issue,
    ResourceType,
    Spec,
    TaggedSpec,
    check_ipv4_cidr,
    check_ipv6_cidr,
    network_of,
)
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

TYPE_NAME = "aws.ec2.route_table"
TARGETS = (
    "gateway_id",
    "nat_gateway_id",
    "instance_id",
    "network_interface_id",
    "vpc_peering_connection_id",
    "transit_gateway_id",
)
# The resource type a reference in each target field must point to, when it points into the stack.
TARGET_TYPES = {
    "gateway_id": "aws.ec2.internet_gateway",
    "nat_gateway_id": "aws.ec2.nat_gateway",
    "instance_id": "aws.ec2.instance",
}


class Route(Spec):
    destination_cidr_block: str | None = Field(None, description="IPv4 destination, e.g. 0.0.0.0/0")
    destination_ipv6_cidr_block: str | None = Field(None, description="IPv6 destination, e.g. ::/0")
    gateway_id: str | None = Field(None, description="Internet gateway, e.g. ${igw.id}")
    nat_gateway_id: str | None = Field(None, description="NAT gateway, e.g. ${nat.id}")
    instance_id: str | None = Field(None, description="An instance, e.g. a NAT instance")
    network_interface_id: str | None = None
    vpc_peering_connection_id: str | None = None
    transit_gateway_id: str | None = None

    @field_validator("destination_cidr_block")
    @classmethod
    def _ipv4(cls, value: str | None) -> str | None:
        return None if value is None else check_ipv4_cidr(value)

    @field_validator("destination_ipv6_cidr_block")
    @classmethod
    def _ipv6(cls, value: str | None) -> str | None:
        return None if value is None else check_ipv6_cidr(value)

    @model_validator(mode="after")
    def _one_destination_one_target(self) -> Route:
        destinations = [self.destination_cidr_block, self.destination_ipv6_cidr_block]
        if sum(d is not None for d in destinations) != 1:
            raise ValueError(
                "a route needs exactly one of destination_cidr_block, destination_ipv6_cidr_block"
            )
        targets = [name for name in TARGETS if getattr(self, name) is not None]
        if len(targets) != 1:
            raise ValueError(f"a route needs exactly one target: one of {', '.join(TARGETS)}")
        return self

    def destination(self) -> str:
        return str(self.destination_cidr_block or self.destination_ipv6_cidr_block)


class RouteTableSpec(TaggedSpec):
    vpc_id: str = Field(description="The VPC, usually ${vpc.id}.")
    routes: list[Route] = Field(
        default_factory=list, description="Routes besides the implicit local route."
    )
    subnet_ids: list[str] = Field(
        default_factory=list, description="Subnets to associate (each subnet with one table)."
    )

    @field_validator("routes")
    @classmethod
    def _unique_destinations(cls, routes: list[Route]) -> list[Route]:
        seen: set[str] = set()
        for route in routes:
            if route.destination() in seen:
                raise ValueError(f"two routes for destination {route.destination()}")
            seen.add(route.destination())
        return routes

    @field_validator("subnet_ids")
    @classmethod
    def _unique_subnets(cls, subnet_ids: list[str]) -> list[str]:
        if len(set(subnet_ids)) != len(subnet_ids):
            raise ValueError("a subnet is listed twice")
        return subnet_ids


def canonical_routes(properties: dict[str, Any]) -> dict[str, Any]:
    """Routes without the unset fields, so plans show only what matters."""
    routes = [{k: v for k, v in route.items() if v is not None} for route in properties["routes"]]
    return {**properties, "routes": routes}


def _one_association_per_subnet(stack: Stack) -> Iterator[Issue]:
    owner: dict[str, str] = {}
    for resource in stack.resources.values():
        if resource.type != TYPE_NAME:
            continue
        for index, subnet in enumerate(resource.properties["subnet_ids"]):
            if subnet in owner:
                yield Issue(
                    resource.logical_id,
                    ("subnet_ids", index),
                    f"subnet {subnet} is already associated with route table '{owner[subnet]}'",
                    hint="a subnet is associated with exactly one route table",
                )
            owner[subnet] = resource.logical_id


def _routes_are_sound(stack: Stack) -> Iterator[Issue]:
    for resource in stack.resources.values():
        if resource.type != TYPE_NAME:
            continue
        vpc = stack.target_of(resource.properties["vpc_id"])
        vpc_network = network_of(vpc.properties.get("cidr_block")) if vpc else None
        for index, route in enumerate(resource.properties["routes"]):
            destination = network_of(route.get("destination_cidr_block"))
            if vpc_network and destination == vpc_network:
                yield Issue(
                    resource.logical_id,
                    ("routes", index, "destination_cidr_block"),
                    f"{destination} is the VPC's own CIDR, which the implicit local route serves",
                    hint="the local route cannot be replaced; remove this route",
                )
            for field_name, wanted in TARGET_TYPES.items():
                target = stack.target_of(route.get(field_name))
                if target is not None and target.type != wanted:
                    yield Issue(
                        resource.logical_id,
                        ("routes", index, field_name),
                        f"{field_name} refers to '{target.logical_id}', a {target.type}; "
                        f"it must be a {wanted}",
                    )


ROUTE_TABLE = ResourceType(
    duplicable=True,
    name=TYPE_NAME,
    spec=RouteTableSpec,
    summary="A route table; routes and subnet associations change in place.",
    attributes={"id": "Route table id (rtb-...)", "owner_id": "Owner account"},
    create_only=frozenset({"vpc_id"}),
    unordered=frozenset({"routes", "subnet_ids"}),
    replace_notes={"vpc_id": "a route table cannot move to another VPC"},
    checks=(_one_association_per_subnet, _routes_are_sound),
    canonicalize=canonical_routes,
    references={
        "vpc_id": refers_to("aws.ec2.vpc"),
        "subnet_ids[]": refers_to("aws.ec2.subnet"),
        "routes[].gateway_id": refers_to("aws.ec2.internet_gateway"),
        "routes[].nat_gateway_id": refers_to("aws.ec2.nat_gateway"),
        "routes[].instance_id": refers_to("aws.ec2.instance"),
    },
)
