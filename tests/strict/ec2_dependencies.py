"""Deletes AWS refuses and moto allows, with AWS's error codes and messages.

moto already refuses, and so is not duplicated here: DeleteVpc with dependents,
DeleteInternetGateway while attached, DeleteRouteTable with associations.
"""

from __future__ import annotations

from typing import Any

from tests.strict import ec2_lookups as look
from tests.strict.core import AwsError, Call, StrictAws
from tests.strict.ec2_nat import NatGateways


# AWS's answers, shared with the families whose resources also hold groups, subnets and
# public addresses (load balancers, ...): they add their own rules on the same operations.
def mapped_public_addresses(vpc_id: str) -> AwsError:
    return AwsError(
        "DependencyViolation",
        f"Network {vpc_id} has some mapped public address(es). "
        "Please unmap those public address(es) before detaching the gateway.",
    )


def subnet_in_use(subnet_id: str) -> AwsError:
    return AwsError(
        "DependencyViolation", f"The subnet '{subnet_id}' has dependencies and cannot be deleted."
    )


def group_in_use(group_id: str) -> AwsError:
    return AwsError("DependencyViolation", f"resource {group_id} has a dependent object")


class Ec2Dependencies:
    def __init__(self, strict: StrictAws, nats: NatGateways) -> None:
        self._strict = strict
        self._nats = nats
        strict.before("ec2", "DeleteSubnet", self.delete_subnet)
        strict.before("ec2", "DeleteSecurityGroup", self.delete_security_group)
        strict.before("ec2", "ReleaseAddress", self.release_address)
        strict.before("ec2", "DetachInternetGateway", self.detach_internet_gateway)

    def _ec2(self, call: Call) -> Any:
        return self._strict.plain("ec2", call.region)

    def delete_subnet(self, call: Call) -> None:
        """A subnet with an instance or a not-yet-deleted NAT gateway in it stays."""
        ec2 = self._ec2(call)
        subnet_id = str(call.params.get("SubnetId", ""))
        gateways = self._nats.holding(look.nat_gateways(ec2, look.by("subnet-id", subnet_id)))
        instances = look.live_instances(ec2, look.by("subnet-id", subnet_id))
        if gateways or instances:
            self._nats.waited_on(gateways)
            raise subnet_in_use(subnet_id)

    def delete_security_group(self, call: Call) -> None:
        """A group another group's rule names, or an instance or interface uses, stays."""
        ec2 = self._ec2(call)
        found = look.security_group(ec2, call.params)
        if found is None:
            return  # moto answers InvalidGroup.NotFound itself
        group = str(found["GroupId"])
        # moto deletes a VPC's default group on request; AWS only deletes it with the VPC.
        if found.get("GroupName") == "default":
            raise AwsError(
                "CannotDelete",
                f'the specified group: "{group}" name: "default" cannot be deleted by a user',
            )
        in_use = (
            look.referencing_groups(ec2, group)
            or look.live_instances(ec2, look.by("instance.group-id", group))
            or look.interfaces_in_use(ec2, look.by("group-id", group))
        )
        if in_use:
            raise group_in_use(group)

    def release_address(self, call: Call) -> None:
        """An Elastic IP held by a NAT gateway or associated with anything stays."""
        ec2 = self._ec2(call)
        found = look.address(ec2, call.params)
        if found is None:
            return  # moto answers InvalidAllocationID.NotFound / InvalidAddress.NotFound
        allocation = found.get("AllocationId")
        holders = self._nats.holding(
            g for g in look.nat_gateways(ec2) if allocation in look.nat_allocations(g)
        )
        if holders:
            self._nats.waited_on(holders)
            # Not a DependencyViolation: this is what AWS really answers.
            raise AwsError(
                "AuthFailure", "You do not have permission to access the specified resource."
            )
        if look.associated(ec2, [found]):
            raise AwsError("InvalidIPAddress.InUse", f"Address {found.get('PublicIp')} is in use.")

    def detach_internet_gateway(self, call: Call) -> None:
        """A VPC keeps its internet gateway while any public address is mapped in it."""
        ec2 = self._ec2(call)
        igw_id = str(call.params.get("InternetGatewayId", ""))
        vpc_id = str(call.params.get("VpcId", ""))
        if not look.attached_to(ec2, igw_id, vpc_id):
            return  # moto answers Gateway.NotAttached / InvalidInternetGatewayID.NotFound
        gateways = [
            g
            for g in self._nats.holding(look.nat_gateways(ec2, look.by("vpc-id", vpc_id)))
            if g.get("ConnectivityType", "public") != "private"
        ]
        if gateways:
            self._nats.waited_on(gateways)
            raise mapped_public_addresses(vpc_id)
        interfaces = {
            e["NetworkInterfaceId"] for e in look.network_interfaces(ec2, look.by("vpc-id", vpc_id))
        }
        elastic_ips = [
            a
            for a in look.associated(ec2, look.all_addresses(ec2))
            if a.get("NetworkInterfaceId") in interfaces
        ]
        # Auto-assigned public IPv4 addresses count too (released only when the instance stops).
        public_instances = [
            i
            for i in look.instances(
                ec2,
                look.by("vpc-id", vpc_id),
                look.by("instance-state-name", *look.PUBLIC_IP_STATES),
            )
            if i.get("PublicIpAddress")
        ]
        if elastic_ips or public_instances:
            raise mapped_public_addresses(vpc_id)
