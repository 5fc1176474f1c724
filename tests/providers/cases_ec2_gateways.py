"""Contract cases for: subnet, internet gateway, Elastic IP, NAT gateway."""

from __future__ import annotations

from typing import Any

from tests.providers.harness import REGION, ContractCase, Prerequisites

SUBNET = ContractCase(
    "aws.ec2.subnet",
    properties=lambda p: {
        "vpc_id": p.vpc_id(),
        "cidr_block": "10.20.8.0/24",
        "availability_zone": f"{REGION}b",
        "tags": {"tier": "private"},
    },
    in_place_change=lambda p, props: {
        **props,
        "map_public_ip_on_launch": True,
        "tags": {"tier": "public"},
    },
    replacing_change=lambda p, props: {**props, "cidr_block": "10.20.9.0/24"},
)

INTERNET_GATEWAY = ContractCase(
    "aws.ec2.internet_gateway",
    properties=lambda p: {"vpc_id": p.vpc_id(), "tags": {"role": "edge"}},
    # Moving to another VPC detaches and re-attaches in place.
    in_place_change=lambda p, props: {**props, "vpc_id": p.second_vpc_id()},
    replacing_change=None,
)

EIP = ContractCase(
    "aws.ec2.eip",
    properties=lambda p: {"tags": {"use": "nat"}},
    in_place_change=lambda p, props: {**props, "tags": {"use": "bastion", "team": "net"}},
    # Only planned, never applied: no such BYOIP pool exists in the account.
    replacing_change=lambda p, props: {
        **props,
        "public_ipv4_pool": "ipv4pool-ec2-0123456789abcdef0",
    },
)


def _nat_properties(p: Prerequisites) -> dict[str, Any]:
    p.igw_id()  # AWS fails a public NAT gateway in a VPC without an attached IGW
    return {
        "subnet_id": p.subnet_id(),
        "allocation_id": p.allocation_id(),
        "tags": {"az": "a"},
    }


NAT_GATEWAY = ContractCase(
    "aws.ec2.nat_gateway",
    properties=_nat_properties,
    in_place_change=lambda p, props: {**props, "tags": {"az": "a", "cost": "shared"}},
    replacing_change=lambda p, props: {**props, "allocation_id": p.allocation_id("eip2")},
)

PRIVATE_NAT_GATEWAY = ContractCase(
    "aws.ec2.nat_gateway",
    id="aws.ec2.nat_gateway[private]",
    properties=lambda p: {"subnet_id": p.subnet_id(), "connectivity_type": "private"},
    in_place_change=lambda p, props: {**props, "tags": {"reach": "on-prem"}},
    replacing_change=lambda p, props: {**props, "subnet_id": p.subnet_id("10.20.2.0/24")},
)

CASES = [SUBNET, INTERNET_GATEWAY, EIP, NAT_GATEWAY, PRIVATE_NAT_GATEWAY]
