"""Pricing rules for compute and networking: instances, Auto Scaling groups, Elastic IPs, NAT
gateways and load balancers.

Public IPv4 addresses cost the same wherever they are held (since February 2024), so each
holder is charged for its own: an Elastic IP for itself (a NAT gateway's address is its
Elastic IP's), an instance for the address it launches with, a public load balancer for
one per zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackdeploy.pricing.neighbours import RunningResource
from stackdeploy.pricing.pricer import Pricer, count, flag, text

SUBNET = "aws.ec2.subnet"
LAUNCH_TEMPLATE = "aws.ec2.launch_template"
# T instances after the t2 run in unlimited mode by default: CPU used above the baseline
# is billed per vCPU-hour, which depends on the load.
UNLIMITED_BY_DEFAULT = ("t3.", "t3a.", "t4g.")


def price_instance(pricer: Pricer) -> None:
    properties = pricer.properties
    _instance_hours(pricer, properties.get("instance_type"), 1, None)
    _root_volumes(pricer, properties.get("root_volume"), 1)
    asked = properties.get("associate_public_ip_address")
    if asked is True:
        pricer.public_ipv4(1, "associate_public_ip_address: true")
    elif asked is None:
        subnet = pricer.neighbours.one(pricer.resource, properties.get("subnet_id"), SUBNET)
        assigns = _assigns_public_ips([subnet] if subnet else None)
        if assigns is None:
            pricer.unknown(
                "public IPv4 address",
                "whether its subnet gives it one (map_public_ip_on_launch) is not known here",
            )
        elif assigns:
            note = f"its subnet {subnet.address if subnet else ''} assigns one at launch"
            pricer.public_ipv4(1, note)


def price_autoscaling_group(pricer: Pricer) -> None:
    properties = pricer.properties
    desired, minimum = count(properties.get("desired_capacity")), count(properties.get("min_size"))
    size = desired if desired is not None else minimum
    if size is None:
        pricer.unknown("instance hours", "the group's size is known only after apply")
        return
    if size == 0:
        return
    note = (
        f"desired capacity {size}"
        if desired is not None
        else f"min_size {size} (no desired capacity is set)"
    )
    maximum = count(properties.get("max_size"))
    if maximum is not None and maximum > size:
        note += f"; the group may scale up to {maximum}"
    template = pricer.neighbours.one(
        pricer.resource, properties.get("launch_template_id"), LAUNCH_TEMPLATE
    )
    template_properties: Mapping[str, Any] = template.properties if template else {}
    if template is None:
        pricer.unknown("instance hours", "its launch template is not in this stack")
    else:
        _instance_hours(pricer, template_properties.get("instance_type"), size, note)
        _root_volumes(pricer, template_properties.get("root_volume"), size)
    subnets = pricer.neighbours.many(pricer.resource, properties.get("subnet_ids"), SUBNET)
    assigns = _assigns_public_ips(subnets)
    if assigns is None:
        pricer.unknown(
            "public IPv4 addresses of its instances",
            "whether its subnets give them one (map_public_ip_on_launch) cannot be told here",
        )
    elif assigns:
        pricer.public_ipv4(size, "its subnets assign one to each instance at launch")


def price_elastic_ip(pricer: Pricer) -> None:
    pool = pricer.properties.get("public_ipv4_pool")
    if pool in (None, "amazon"):
        pricer.public_ipv4(1, "an Elastic IP is billed whether it is attached or not")
    # An address from your own pool (BYOIP) is not billed by the hour.


def price_nat_gateway(pricer: Pricer) -> None:
    prices = pricer.prices
    note = None
    if pricer.properties.get("connectivity_type", "public") == "public":
        note = "its public IPv4 address is billed with its Elastic IP"
    pricer.per_hour("NAT gateway", 1, prices.nat_gateway_hour if prices else None, note=note)
    pricer.usage("NAT gateway data processed", "per GB")


def price_application_load_balancer(pricer: Pricer) -> None:
    prices = pricer.prices
    price = prices.application_load_balancer_hour if prices else None
    pricer.per_hour("application load balancer", 1, price)
    pricer.usage("load balancer capacity units", "LCU-hours by connections, requests and bytes")
    _load_balancer_addresses(pricer)


def price_classic_load_balancer(pricer: Pricer) -> None:
    prices = pricer.prices
    price = prices.classic_load_balancer_hour if prices else None
    pricer.per_hour("classic load balancer", 1, price)
    pricer.usage("classic load balancer data processed", "per GB")
    _load_balancer_addresses(pricer)


def _load_balancer_addresses(pricer: Pricer) -> None:
    if pricer.properties.get("scheme") != "internet-facing":
        return  # an internal load balancer holds private addresses only
    subnets = pricer.properties.get("subnet_ids")
    if not isinstance(subnets, list):
        pricer.unknown("public IPv4 addresses", "its subnets are known only after apply")
        return
    pricer.public_ipv4(
        len(subnets),
        f"assumed one per zone ({len(subnets)} subnets); it holds more as it scales out",
    )


def _instance_hours(pricer: Pricer, instance_type: Any, quantity: int, note: str | None) -> None:
    name = text(instance_type)
    if name is None:
        pricer.unknown("instance hours", "the instance type is known only after apply")
        return
    prices = pricer.prices
    price = prices.ec2_instance_hour.get(name) if prices else None
    pricer.per_hour(f"{name} instance", quantity, price, note=note)
    if name.startswith(UNLIMITED_BY_DEFAULT):
        pricer.usage("CPU credits above the baseline", "T instances run unlimited by default")


def _root_volumes(pricer: Pricer, root_volume: Any, quantity: int) -> None:
    if not isinstance(root_volume, Mapping):
        pricer.unknown("EBS root volume", "its size and type come from the AMI")
        return
    size, volume_type = count(root_volume.get("size_gb")), text(root_volume.get("volume_type"))
    if size is None or volume_type is None:
        pricer.unknown("EBS root volume", "its size or type is known only after apply")
        return
    prices = pricer.prices
    price = prices.ebs_gb_month.get(volume_type) if prices else None
    note = f"{quantity} volumes of {size} GB" if quantity > 1 else None
    pricer.per_month(f"{volume_type} EBS volume", size * quantity, price, unit="GB", note=note)


def _assigns_public_ips(subnets: list[RunningResource] | None) -> bool | None:
    """Whether instances launched in these subnets get a public address: None when the
    subnets are not known or do not agree."""
    if not subnets:
        return None
    settings = {flag(subnet.properties.get("map_public_ip_on_launch")) for subnet in subnets}
    return settings.pop() if len(settings) == 1 else None
