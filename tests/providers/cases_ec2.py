"""Contract cases for the EC2 networking types."""

from __future__ import annotations

from tests.providers.harness import ContractCase

VPC = ContractCase(
    "aws.ec2.vpc",
    properties=lambda p: {"cidr_block": "10.0.0.0/16", "enable_dns_hostnames": True},
    in_place_change=lambda p, props: {**props, "enable_dns_hostnames": False, "tags": {"a": "b"}},
    replacing_change=lambda p, props: {**props, "cidr_block": "10.1.0.0/16"},
)

CASES = [VPC]
