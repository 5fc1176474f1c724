"""Reads of moto's real EC2 state for the rules, through the layer's plain (unhooked) client.

moto leaves debris that AWS would have cleaned up, and these reads look past it:
terminated instances stay listed, their network interfaces stay "in-use", and an Elastic IP
stays associated with a terminated instance or a deleted NAT gateway.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

# Every instance state in which the instance still holds its network interfaces.
LIVE_INSTANCE_STATES = ["pending", "running", "shutting-down", "stopping", "stopped"]
# States in which an auto-assigned public IPv4 address is still mapped (a stop releases it).
PUBLIC_IP_STATES = ["pending", "running", "shutting-down", "stopping"]


def by(name: str, *values: str) -> dict[str, Any]:
    """One EC2 filter."""
    return {"Name": name, "Values": list(values)}


def _all(ec2: Any, method: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in ec2.get_paginator(method).paginate(**kwargs):
        items.extend(page.get(key, []))
    return items


def instances(ec2: Any, *filters: dict[str, Any]) -> list[dict[str, Any]]:
    reservations = _all(ec2, "describe_instances", "Reservations", Filters=list(filters))
    return [instance for r in reservations for instance in r.get("Instances", [])]


def live_instances(ec2: Any, *filters: dict[str, Any]) -> list[dict[str, Any]]:
    return instances(ec2, *filters, by("instance-state-name", *LIVE_INSTANCE_STATES))


def live_instance_ids(ec2: Any, ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    return {i["InstanceId"] for i in live_instances(ec2, by("instance-id", *wanted))}


def nat_gateways(ec2: Any, *filters: dict[str, Any]) -> list[dict[str, Any]]:
    """NAT gateways in any state (moto lists deleted ones, as AWS does for a while)."""
    if filters:
        return _all(ec2, "describe_nat_gateways", "NatGateways", Filter=list(filters))
    return _all(ec2, "describe_nat_gateways", "NatGateways")


def nat_allocations(gateway: dict[str, Any]) -> set[str]:
    return {
        a["AllocationId"] for a in gateway.get("NatGatewayAddresses", []) if a.get("AllocationId")
    }


def nat_interfaces(gateways: Iterable[dict[str, Any]]) -> set[str]:
    return {
        a["NetworkInterfaceId"]
        for gateway in gateways
        for a in gateway.get("NatGatewayAddresses", [])
        if a.get("NetworkInterfaceId")
    }


def network_interfaces(ec2: Any, *filters: dict[str, Any]) -> list[dict[str, Any]]:
    return _all(ec2, "describe_network_interfaces", "NetworkInterfaces", Filters=list(filters))


def interfaces_in_use(ec2: Any, *filters: dict[str, Any]) -> list[dict[str, Any]]:
    """Network interfaces that exist on AWS: not the leftovers of terminated instances."""
    found = network_interfaces(ec2, *filters)
    owners = {(e.get("Attachment") or {}).get("InstanceId") for e in found}
    live = live_instance_ids(ec2, (owner for owner in owners if owner))
    return [
        e
        for e in found
        if not (e.get("Attachment") or {}).get("InstanceId")
        or e["Attachment"]["InstanceId"] in live
    ]


def address(ec2: Any, params: dict[str, Any]) -> dict[str, Any] | None:
    """The Elastic IP a ReleaseAddress names, or None (then moto gives its own NotFound)."""
    if params.get("AllocationId"):
        query: dict[str, Any] = {"AllocationIds": [params["AllocationId"]]}
    elif params.get("PublicIp"):
        query = {"PublicIps": [params["PublicIp"]]}
    else:
        return None
    try:
        found = ec2.describe_addresses(**query)["Addresses"]
    except ClientError:
        return None
    return dict(found[0]) if found else None


def associated(ec2: Any, addresses: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The addresses AWS would consider associated with something.

    An address moto shows on a NAT gateway's interface is left to the NAT gateway rules (moto
    never disassociates it, even after the gateway is deleted); one on a terminated instance
    was released from it by AWS.
    """
    candidates = [a for a in addresses if a.get("AssociationId")]
    if not candidates:
        return []
    held_by_nat = nat_interfaces(nat_gateways(ec2))
    candidates = [a for a in candidates if a.get("NetworkInterfaceId") not in held_by_nat]
    live = live_instance_ids(ec2, (a["InstanceId"] for a in candidates if a.get("InstanceId")))
    return [a for a in candidates if not a.get("InstanceId") or a["InstanceId"] in live]


def all_addresses(ec2: Any) -> list[dict[str, Any]]:
    return list(ec2.describe_addresses()["Addresses"])


def attached_to(ec2: Any, igw_id: str, vpc_id: str) -> bool:
    """Whether the internet gateway is attached to the VPC (else moto answers for itself)."""
    try:
        gateways = ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"]
    except ClientError:
        return False
    return any(
        attachment.get("VpcId") == vpc_id
        for gateway in gateways
        for attachment in gateway.get("Attachments", [])
    )


def security_group(ec2: Any, params: dict[str, Any]) -> dict[str, Any] | None:
    """The security group a DeleteSecurityGroup names, by id or by name (default VPC), or
    None (then moto gives its own InvalidGroup.NotFound)."""
    if params.get("GroupId"):
        query: dict[str, Any] = {"GroupIds": [params["GroupId"]]}
    elif params.get("GroupName"):
        query = {"GroupNames": [params["GroupName"]]}
    else:
        return None
    try:
        groups = ec2.describe_security_groups(**query)["SecurityGroups"]
    except ClientError:
        return None
    return dict(groups[0]) if groups else None


def referencing_groups(ec2: Any, group: str) -> set[str]:
    """Other security groups with an inbound or outbound rule that names `group`."""
    found: set[str] = set()
    for name in ("ip-permission.group-id", "egress.ip-permission.group-id"):
        groups = _all(ec2, "describe_security_groups", "SecurityGroups", Filters=[by(name, group)])
        found.update(g["GroupId"] for g in groups)
    found.discard(group)  # a group may reference itself and still be deleted
    return found
