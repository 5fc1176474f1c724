"""aws.ec2.subnet: a subnet of a VPC in one availability zone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from ipaddress import IPv4Network
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from stackdeploy.specs.base import Issue, ResourceType, TaggedSpec, check_ipv4_cidr, network_of
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

TYPE_NAME = "aws.ec2.subnet"


class SubnetSpec(TaggedSpec):
    vpc_id: str = Field(description="The VPC, usually ${vpc.id}.")
    cidr_block: str = Field(description="IPv4 CIDR inside the VPC's, /16 to /28.")
    availability_zone: str | None = Field(
        None, description="AZ name such as us-west-2a; AWS picks one when omitted."
    )
    map_public_ip_on_launch: bool = Field(
        False, description="Give instances launched here a public IPv4 address."
    )

    @field_validator("cidr_block")
    @classmethod
    def _cidr(cls, value: str) -> str:
        return check_ipv4_cidr(value, min_prefix=16, max_prefix=28)


def _inside_vpc_and_disjoint(stack: Stack) -> Iterator[Issue]:
    by_vpc: dict[str, list[tuple[str, IPv4Network]]] = defaultdict(list)
    for resource in stack.resources.values():
        if resource.type != TYPE_NAME:
            continue
        props = resource.properties
        network = network_of(props["cidr_block"])
        if network is None:
            continue
        vpc = stack.target_of(props["vpc_id"])
        vpc_network = network_of(vpc.properties.get("cidr_block")) if vpc else None
        if vpc_network is not None and not network.subnet_of(vpc_network):
            yield Issue(
                resource.logical_id,
                ("cidr_block",),
                f"subnet {network} is not inside its VPC's CIDR {vpc_network}",
                hint=f"pick a block within {vpc_network}",
            )
        by_vpc[str(props["vpc_id"])].append((resource.logical_id, network))
    for subnets in by_vpc.values():
        for later, earlier in overlapping_pairs([network for _, network in subnets]):
            (logical_id, network), (other_id, other) = subnets[later], subnets[earlier]
            yield Issue(
                logical_id,
                ("cidr_block",),
                f"subnet {network} overlaps subnet '{other_id}' ({other}) in the same VPC",
                hint="subnets of one VPC must not share addresses",
            )


def overlapping_pairs(networks: list[IPv4Network]) -> list[tuple[int, int]]:
    """(later, earlier) list positions of every two overlapping networks, in list order.

    Two CIDR blocks are either disjoint or one holds the other. So in address order (the
    bigger block first when two start together) the blocks that hold a block are exactly the
    ones still open where it starts: one sort and one pass, not a comparison of every pair.
    """
    order = sorted(
        range(len(networks)), key=lambda i: (networks[i].network_address, networks[i].prefixlen)
    )
    holding: list[int] = []  # nested blocks, outermost first
    pairs: list[tuple[int, int]] = []
    for position in order:
        start = networks[position].network_address
        while holding and networks[holding[-1]].broadcast_address < start:
            holding.pop()
        pairs.extend((max(position, other), min(position, other)) for other in holding)
        holding.append(position)
    return sorted(pairs)


def _zone_in_region(stack: Stack) -> Iterator[Issue]:
    for resource in stack.resources.values():
        zone = resource.properties.get("availability_zone") if resource.type == TYPE_NAME else None
        if isinstance(zone, str) and "${" not in zone and not zone.startswith(resource.region):
            yield Issue(
                resource.logical_id,
                ("availability_zone",),
                f"availability zone '{zone}' is not in the resource's region {resource.region}",
                hint=f"use a zone such as {resource.region}a",
            )


SUBNET = ResourceType(
    duplicable=True,
    name=TYPE_NAME,
    spec=SubnetSpec,
    summary="A subnet in one AZ; public when its route table sends 0.0.0.0/0 to an IGW.",
    attributes={
        "id": "Subnet id (subnet-...)",
        "arn": "Subnet ARN",
        "availability_zone_id": "AZ id, e.g. usw2-az1",
        "owner_id": "Account that owns the subnet",
    },
    create_only=frozenset({"vpc_id", "cidr_block", "availability_zone"}),
    replace_notes={
        "cidr_block": "a subnet's CIDR cannot change",
        "availability_zone": "a subnet lives in exactly one AZ",
        "vpc_id": "a subnet cannot move to another VPC",
    },
    checks=(_inside_vpc_and_disjoint, _zone_in_region),
    zone_properties=frozenset({"availability_zone"}),
    references={"vpc_id": refers_to("aws.ec2.vpc")},
)
