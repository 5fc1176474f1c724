"""Contract cases for: route table, security group, security group rule."""

from __future__ import annotations

from typing import Any

from tests.providers.harness import ContractCase, Prerequisites

OTHER_SUBNET = "10.20.2.0/24"


def _route_table(p: Prerequisites) -> dict[str, Any]:
    return {
        "vpc_id": p.vpc_id(),
        "routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": p.igw_id()}],
        "subnet_ids": [p.subnet_id()],
    }


ROUTE_TABLE = ContractCase(
    "aws.ec2.route_table",
    properties=_route_table,
    in_place_change=lambda p, props: {
        **props,
        "routes": [
            *props["routes"],
            {"destination_cidr_block": "172.16.0.0/12", "gateway_id": p.igw_id()},
        ],
        "subnet_ids": [*props["subnet_ids"], p.subnet_id(OTHER_SUBNET)],
        "tags": {"tier": "public"},
    },
    replacing_change=lambda p, props: {**props, "vpc_id": p.second_vpc_id()},
)


def _security_group(p: Prerequisites) -> dict[str, Any]:
    return {
        "vpc_id": p.vpc_id(),
        "name": "web",
        "description": "web servers",
        "ingress": [
            {
                "protocol": "tcp",
                "port": 80,
                "cidr_blocks": ["10.0.0.0/8", "192.168.0.0/16"],
                "description": "http",
            },
            {"protocol": "icmp", "cidr_blocks": ["10.0.0.0/8"]},
            {"protocol": "all", "self": True},
            {"protocol": "tcp", "port": 443, "security_group_ids": [p.security_group_id("peer")]},
        ],
    }


SECURITY_GROUP = ContractCase(
    "aws.ec2.security_group",
    properties=_security_group,
    in_place_change=lambda p, props: {
        **props,
        "ingress": [
            *props["ingress"][1:],
            {"protocol": "tcp", "port": 8080, "cidr_blocks": ["10.0.0.0/8"], "description": "alt"},
        ],
        "tags": {"tier": "web"},
    },
    replacing_change=lambda p, props: {**props, "name": "web-v2"},
)

# A rule to a CIDR block, described: the description changes in place, a port replaces it.
SECURITY_GROUP_RULE = ContractCase(
    "aws.ec2.security_group_rule",
    properties=lambda p: {
        "security_group_id": p.security_group_id("app"),
        "direction": "egress",
        "protocol": "tcp",
        "port": 443,
        "cidr_ipv4": "10.0.0.0/8",
        "description": "https out",
    },
    in_place_change=lambda p, props: {**props, "description": "tls out", "tags": {"a": "b"}},
    replacing_change=lambda p, props: {**props, "port": 8443},
)

# A rule from another group: the peer reads back as referenced_security_group_id.
SECURITY_GROUP_RULE_FROM_A_GROUP = ContractCase(
    "aws.ec2.security_group_rule",
    id="aws.ec2.security_group_rule-from-a-group",
    properties=lambda p: {
        "security_group_id": p.security_group_id("app"),
        "direction": "ingress",
        "protocol": "all",
        "referenced_security_group_id": p.security_group_id("lb"),
    },
    in_place_change=lambda p, props: {**props, "description": "from the load balancer"},
    replacing_change=lambda p, props: {
        **props,
        "referenced_security_group_id": p.security_group_id("other"),
    },
)

CASES = [ROUTE_TABLE, SECURITY_GROUP, SECURITY_GROUP_RULE, SECURITY_GROUP_RULE_FROM_A_GROUP]
