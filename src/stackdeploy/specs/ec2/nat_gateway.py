"""aws.ec2.nat_gateway: a managed NAT gateway in a public subnet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from stackdeploy.specs.base import Issue, ResourceType, TaggedSpec, is_ref_like, network_of
from stackdeploy.specs.ec2.route_table import TYPE_NAME as ROUTE_TABLE
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Resource, Stack

TYPE_NAME = "aws.ec2.nat_gateway"
INTERNET_GATEWAY = "aws.ec2.internet_gateway"


class NatGatewaySpec(TaggedSpec):
    subnet_id: str = Field(
        description="A public subnet (its route table sends 0.0.0.0/0 to an IGW)."
    )
    allocation_id: str | None = Field(
        None, description="Elastic IP allocation, usually ${eip.id}; required when public."
    )
    connectivity_type: Literal["public", "private"] = Field(
        "public", description="'private' NAT gateways have no Elastic IP."
    )

    @model_validator(mode="after")
    def _allocation_matches_connectivity(self) -> NatGatewaySpec:
        if self.connectivity_type == "public" and self.allocation_id is None:
            raise ValueError("a public NAT gateway needs allocation_id (an Elastic IP, ${eip.id})")
        if self.connectivity_type == "private" and self.allocation_id is not None:
            raise ValueError("a private NAT gateway takes no allocation_id")
        return self


def _default_route_to_igw(route_table: Resource, stack: Stack) -> bool:
    for route in route_table.properties["routes"]:
        if route.get("destination_cidr_block") != "0.0.0.0/0":
            continue
        gateway = route.get("gateway_id")
        target = stack.target_of(gateway)
        if target is None and is_ref_like(gateway):
            return True  # it names no valid resource (an error of its own): may be an IGW
        if (target is not None and target.type == INTERNET_GATEWAY) or (
            isinstance(gateway, str) and gateway.startswith("igw-")
        ):
            return True
    return False


def _in_public_subnet(stack: Stack) -> Iterator[Issue]:
    # This rule concludes from what is missing: a route table or gateway that failed
    # validation may be the one that makes the subnet public.
    if stack.may_hold_unvalidated(ROUTE_TABLE) or stack.may_hold_unvalidated(INTERNET_GATEWAY):
        return
    for resource in stack.resources.values():
        if resource.type != TYPE_NAME or resource.properties["connectivity_type"] != "public":
            continue
        subnet_ref = resource.properties["subnet_id"]
        subnet = stack.target_of(subnet_ref)
        if subnet is None:
            continue  # a subnet outside the stack: nothing to check against
        tables = [
            r
            for r in stack.resources.values()
            if r.type == ROUTE_TABLE and subnet_ref in r.properties["subnet_ids"]
        ]
        if not any(_default_route_to_igw(table, stack) for table in tables):
            cidr = network_of(subnet.properties.get("cidr_block"))
            yield Issue(
                resource.logical_id,
                ("subnet_id",),
                f"NAT gateway subnet '{subnet.logical_id}' ({cidr}) is not public: no route "
                "table in this stack associates it with a 0.0.0.0/0 route to an internet gateway",
                hint="put the NAT gateway in a public subnet; its traffic leaves through the IGW",
            )


def _one_nat_per_allocation(stack: Stack) -> Iterator[Issue]:
    owner: dict[str, str] = {}
    for resource in stack.resources.values():
        allocation = (
            resource.properties.get("allocation_id") if resource.type == TYPE_NAME else None
        )
        if allocation is None:
            continue
        if allocation in owner:
            yield Issue(
                resource.logical_id,
                ("allocation_id",),
                f"Elastic IP {allocation} is already used by NAT gateway '{owner[allocation]}'",
                hint="each NAT gateway needs its own Elastic IP",
            )
        owner[allocation] = resource.logical_id


NAT_GATEWAY = ResourceType(
    name=TYPE_NAME,
    spec=NatGatewaySpec,
    summary="A NAT gateway: private subnets reach the internet through it (~1.5 min to create).",
    attributes={
        "id": "NAT gateway id (nat-...)",
        "public_ip": "Public IPv4 of its Elastic IP",
        "private_ip": "Private IPv4 in its subnet",
        "network_interface_id": "Its network interface",
    },
    create_only=frozenset({"subnet_id", "allocation_id", "connectivity_type"}),
    replace_notes={
        "subnet_id": "a NAT gateway cannot move subnets",
        "allocation_id": "a NAT gateway's Elastic IP cannot be swapped",
    },
    typical_create_seconds=100.0,
    # AWS fails a public NAT gateway (Gateway.NotAttached) in a VPC without an attached IGW.
    create_after=frozenset({INTERNET_GATEWAY}),
    checks=(_in_public_subnet, _one_nat_per_allocation),
    references={
        "subnet_id": refers_to("aws.ec2.subnet"),
        "allocation_id": refers_to("aws.ec2.eip"),
    },
)
