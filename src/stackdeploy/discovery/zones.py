"""Availability zones named in the stack, checked against each region's zones during refresh
(one DescribeAvailabilityZones per region that names any), so `us-west-2z` stops the plan at
its line instead of failing an apply after the VPC was made."""

from __future__ import annotations

from collections import defaultdict

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.stack import Stack
from stackdeploy.specs.base import is_ref_like
from stackdeploy.specs.registry import RESOURCE_TYPES


def named_zones(stack: Stack) -> dict[str, dict[tuple[str, str], str]]:
    """{region: {(logical id, property): zone}} for every literal zone the stack names."""
    found: dict[str, dict[tuple[str, str], str]] = defaultdict(dict)
    for logical_id, resource in stack.resources.items():
        for name in RESOURCE_TYPES[resource.type].zone_properties:
            zone = resource.properties.get(name)
            if isinstance(zone, str) and not is_ref_like(zone):
                found[resource.region][(logical_id, name)] = zone
    return found


def check_zones(stack: Stack, clients: ClientFactory) -> None:
    """Raise ConfigErrors, one per property, for zones the region does not offer."""
    errors: list[ConfigError] = []
    for region, uses in sorted(named_zones(stack).items()):
        answer = clients.client("ec2", region).describe_availability_zones()
        offered = sorted(zone["ZoneName"] for zone in answer.get("AvailabilityZones", []))
        for (logical_id, name), zone in sorted(uses.items()):
            if zone not in offered:
                errors.append(
                    ConfigError(
                        f"availability zone {zone} does not exist in {region} (or is not "
                        "enabled for this account)",
                        location=stack.property_location(logical_id, (name,)),
                        hint=f"{region} offers {', '.join(offered)}",
                        address=logical_id,
                    )
                )
    if errors:
        raise ConfigErrors(errors)
