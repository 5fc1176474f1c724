"""aws.ec2.subnet: a subnet of a VPC in one availability zone."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from stackdeploy.specs.base import Issue, ResourceType, TaggedSpec, check_ipv4_cidr, network_of

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
    by_vpc: dict[str, list[tuple[str, str]]] = defaultdict(list)
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
        by_vpc[str(props["vpc_id"])].append((resource.logical_id, str(network)))
    for subnets in by_vpc.values():
        for index, (logical_id, cidr) in enumerate(subnets):
            for other_id, other_cidr in subnets[:index]:
                if network_of(cidr).overlaps(network_of(other_cidr)):  # type: ignore[union-attr,arg-type]
                    yield Issue(
                        logical_id,
                        ("cidr_block",),
                        f"subnet {cidr} overlaps subnet '{other_id}' ({other_cidr}) "
                        "in the same VPC",
                        hint="subnets of one VPC must not share addresses",
                    )


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
)
