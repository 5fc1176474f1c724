"""aws.ec2.vpc: a virtual private cloud."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from stackdeploy.specs.base import ResourceType, TaggedSpec, check_ipv4_cidr


class VpcSpec(TaggedSpec):
    cidr_block: str = Field(description="Primary IPv4 CIDR, /16 to /28. Fixed after creation.")
    enable_dns_support: bool = Field(True, description="Amazon-provided DNS resolution.")
    enable_dns_hostnames: bool = Field(False, description="Public DNS hostnames for instances.")
    instance_tenancy: Literal["default", "dedicated"] = Field(
        "default", description="'dedicated' forces dedicated hardware for every instance."
    )

    @field_validator("cidr_block")
    @classmethod
    def _cidr(cls, value: str) -> str:
        return check_ipv4_cidr(value, min_prefix=16, max_prefix=28)


VPC = ResourceType(
    duplicable=True,
    name="aws.ec2.vpc",
    spec=VpcSpec,
    summary="A VPC with DNS settings; its default security group and route table come with it.",
    attributes={
        "id": "VPC id (vpc-...)",
        "arn": "VPC ARN",
        "owner_id": "Account that owns the VPC",
        "dhcp_options_id": "DHCP option set associated with the VPC",
    },
    create_only=frozenset({"cidr_block", "instance_tenancy"}),
    replace_notes={"cidr_block": "the primary CIDR of a VPC cannot change"},
    typical_create_seconds=3.0,
)
