"""Routes and subnet associations between EC2's shapes and the route table spec's shapes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

# The destinations the spec can declare. Routes to a prefix list are left alone: the spec
# cannot declare them, and the ones in practice belong to gateway VPC endpoints.
DESTINATIONS = {
    "DestinationCidrBlock": "destination_cidr_block",
    "DestinationIpv6CidrBlock": "destination_ipv6_cidr_block",
}
# Target fields, checked in this order. A route to an instance also reports the instance's
# network interface; the instance comes first because that is what the route was made with.
# The targets after the spec's own six are read only so that drift to them shows in a plan
# (and is replaced by the declared target) instead of being invisible.
TARGETS = {
    "InstanceId": "instance_id",
    "GatewayId": "gateway_id",
    "NatGatewayId": "nat_gateway_id",
    "NetworkInterfaceId": "network_interface_id",
    "VpcPeeringConnectionId": "vpc_peering_connection_id",
    "TransitGatewayId": "transit_gateway_id",
    "EgressOnlyInternetGatewayId": "egress_only_internet_gateway_id",
    "CarrierGatewayId": "carrier_gateway_id",
    "LocalGatewayId": "local_gateway_id",
    "CoreNetworkArn": "core_network_arn",
}
_AWS_NAMES = {ours: theirs for theirs, ours in (DESTINATIONS | TARGETS).items()}
# Association states that still tie the subnet to the table (AWS keeps a disassociated
# association visible for a while).
_LIVE_ASSOCIATION_STATES = ("associating", "associated")


def route_from_aws(route: Mapping[str, Any]) -> dict[str, Any] | None:
    """A managed route in canonical spec form, or None for routes stackdeploy does not manage.

    Only routes made by CreateRoute are managed: the local route comes with the table and
    propagated routes come from a virtual private gateway.
    """
    if route.get("Origin") != "CreateRoute":
        return None
    destination = [(ours, route[aws]) for aws, ours in DESTINATIONS.items() if route.get(aws)]
    target = [(ours, route[aws]) for aws, ours in TARGETS.items() if route.get(aws)]
    if len(destination) != 1 or not target:
        return None
    return dict([destination[0], target[0]])


def destination_of(route: Mapping[str, Any]) -> tuple[str, str]:
    """The AWS parameter and value naming a canonical route's destination (its identity)."""
    for ours in DESTINATIONS.values():
        if route.get(ours) is not None:
            return _AWS_NAMES[ours], str(route[ours])
    raise ValueError(f"route {dict(route)} has no destination")


def route_to_aws(route: Mapping[str, Any]) -> dict[str, str]:
    """CreateRoute/ReplaceRoute parameters (destination and target) for a canonical route."""
    return {_AWS_NAMES[key]: str(value) for key, value in route.items() if value is not None}


def explicit_associations(table: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """The table's current subnet associations, without the main-table marker."""
    for association in table.get("Associations", []):
        state = association.get("AssociationState", {}).get("State", "associated")
        if (
            not association.get("Main")
            and association.get("SubnetId")
            and state in _LIVE_ASSOCIATION_STATES
        ):
            yield association


def removable_associations(table: Mapping[str, Any]) -> Iterator[str]:
    """Ids of every association a delete must undo first (subnets and gateway edges)."""
    for association in table.get("Associations", []):
        state = association.get("AssociationState", {}).get("State", "associated")
        if not association.get("Main") and state in _LIVE_ASSOCIATION_STATES:
            yield str(association["RouteTableAssociationId"])
