"""aws.ec2.eip: an Elastic IP address allocation."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from stackdeploy.specs.base import ReplaceStrategy, ResourceType, TaggedSpec


class EipSpec(TaggedSpec):
    domain: Literal["vpc"] = Field("vpc", description="Always 'vpc' (EC2-Classic is retired).")
    public_ipv4_pool: str | None = Field(
        None, description="A BYOIP pool; Amazon's pool when omitted."
    )


EIP = ResourceType(
    duplicable=True,
    name="aws.ec2.eip",
    spec=EipSpec,
    summary="An Elastic IP; billed while allocated, released on destroy.",
    attributes={
        "id": "Allocation id (eipalloc-...)",
        "allocation_id": "Allocation id (eipalloc-...)",
        "public_ip": "The public IPv4 address",
    },
    create_only=frozenset({"domain", "public_ipv4_pool"}),
    replace_strategy=ReplaceStrategy.CREATE_THEN_DELETE,
)
