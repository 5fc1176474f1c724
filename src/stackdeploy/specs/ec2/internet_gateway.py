"""aws.ec2.internet_gateway: an internet gateway and its attachment to a VPC."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pydantic import Field

from stackdeploy.specs.base import Issue, ResourceType, TaggedSpec
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

TYPE_NAME = "aws.ec2.internet_gateway"


class InternetGatewaySpec(TaggedSpec):
    vpc_id: str | None = Field(
        None, description="The VPC to attach to; changing it detaches and re-attaches in place."
    )


def _one_per_vpc(stack: Stack) -> Iterator[Issue]:
    seen: dict[str, list[str]] = defaultdict(list)
    for resource in stack.resources.values():
        vpc_id = resource.properties.get("vpc_id") if resource.type == TYPE_NAME else None
        if vpc_id is None:
            continue
        seen[str(vpc_id)].append(resource.logical_id)
        if len(seen[str(vpc_id)]) > 1:
            yield Issue(
                resource.logical_id,
                ("vpc_id",),
                f"a VPC can have one internet gateway; '{seen[str(vpc_id)][0]}' is already "
                f"attached to {vpc_id}",
            )


INTERNET_GATEWAY = ResourceType(
    duplicable=True,
    name=TYPE_NAME,
    spec=InternetGatewaySpec,
    summary="An internet gateway, attached to at most one VPC.",
    attributes={"id": "Internet gateway id (igw-...)", "arn": "ARN", "owner_id": "Owner account"},
    update_notes={"vpc_id": "detaches from the old VPC, then attaches to the new one"},
    # AWS refuses to detach while the VPC still maps public addresses (EIPs, NAT gateways,
    # public instances, load balancers), and nothing in the stack references the IGW from them.
    delete_after=frozenset(
        {
            "aws.ec2.nat_gateway",
            "aws.ec2.eip",
            "aws.ec2.instance",
            "aws.elb.load_balancer",
            "aws.elbv2.load_balancer",
            "aws.autoscaling.group",
        }
    ),
    checks=(_one_per_vpc,),
    references={"vpc_id": refers_to("aws.ec2.vpc")},
)
