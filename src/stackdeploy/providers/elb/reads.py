"""Reading Classic Load Balancers: descriptions, tags and attributes, in canonical shape.

The ELB API has no tag filter and a missing name fails a whole DescribeLoadBalancers call,
so these helpers list, batch and filter, and treat "not found" as absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import is_not_found
from stackdeploy.aws.session import RetryingClient
from stackdeploy.providers.elbv2.common import PAGE_SIZE, describe_tags, ignore_gone, paged
from stackdeploy.specs.elb.parts import DEFAULT_INSTANCE_PROTOCOL, canonical_target

Description = dict[str, Any]
Tags = list[dict[str, str]]
_DESCRIBE = ("describe_load_balancers", "LoadBalancerDescriptions")


def describe_all(elb: RetryingClient) -> list[Description]:
    """Every Classic Load Balancer in the client's region, all pages."""
    return paged(elb, *_DESCRIBE, PageSize=PAGE_SIZE)


def describe_named(elb: RetryingClient, names: Sequence[str]) -> list[Description]:
    """The named load balancers that exist. One call when they all do; AWS fails the whole
    call when one is missing, and then the region's list is read and filtered instead."""
    if not names:
        return []
    try:
        return paged(elb, *_DESCRIBE, LoadBalancerNames=list(names))
    except ClientError as error:
        if not is_not_found(error):
            raise
    wanted = set(names)
    return [d for d in describe_all(elb) if d["LoadBalancerName"] in wanted]


def tags_by_name(elb: RetryingClient, names: Sequence[str]) -> dict[str, Tags]:
    """Each load balancer's tags, 20 names per call; one deleted meanwhile is left out."""
    return describe_tags(elb, sorted(set(names)), "LoadBalancerNames", "LoadBalancerName")


def attributes_of(elb: RetryingClient, name: str) -> dict[str, Any] | None:
    """The load balancer's attributes, or None when it no longer exists."""
    response = ignore_gone(elb.describe_load_balancer_attributes, LoadBalancerName=name)
    return None if response is None else dict(response["LoadBalancerAttributes"])


def listener_of(aws: dict[str, Any]) -> dict[str, Any]:
    protocol = str(aws["Protocol"]).upper()
    instance_protocol = aws.get("InstanceProtocol") or DEFAULT_INSTANCE_PROTOCOL[protocol]
    return {
        "protocol": protocol,
        "port": int(aws["LoadBalancerPort"]),
        "instance_protocol": str(instance_protocol).upper(),
        "instance_port": int(aws["InstancePort"]),
        "ssl_certificate_id": aws.get("SSLCertificateId") or None,
    }


def health_check_of(aws: dict[str, Any] | None) -> dict[str, Any] | None:
    if not aws or not aws.get("Target"):
        return None
    try:
        target = canonical_target(str(aws["Target"]))
    except ValueError:
        target = str(aws["Target"])  # shown as AWS has it; the differ then reports it
    return {
        "target": target,
        "interval": int(aws["Interval"]),
        "timeout": int(aws["Timeout"]),
        "healthy_threshold": int(aws["HealthyThreshold"]),
        "unhealthy_threshold": int(aws["UnhealthyThreshold"]),
    }


def properties_of(
    description: Description, attributes: dict[str, Any], user_tags: dict[str, str]
) -> dict[str, Any]:
    """The spec-shaped properties plus the read-only attributes."""
    name = description["LoadBalancerName"]
    draining = attributes.get("ConnectionDraining") or {}
    return {
        "name": name,
        "scheme": description.get("Scheme"),
        "subnet_ids": sorted(description.get("Subnets") or []),
        "security_group_ids": sorted(description.get("SecurityGroups") or []),
        "listeners": sorted(
            (listener_of(d["Listener"]) for d in description.get("ListenerDescriptions") or []),
            key=lambda listener: int(listener["port"]),
        ),
        "health_check": health_check_of(description.get("HealthCheck")),
        "cross_zone": bool((attributes.get("CrossZoneLoadBalancing") or {}).get("Enabled")),
        "connection_draining": bool(draining.get("Enabled")),
        "connection_draining_timeout": draining.get("Timeout"),
        "idle_timeout": (attributes.get("ConnectionSettings") or {}).get("IdleTimeout"),
        "instance_ids": sorted(i["InstanceId"] for i in description.get("Instances") or []),
        "tags": user_tags,
        "id": name,
        "dns_name": description.get("DNSName"),
        # AWS reports it; moto does not (it reads back as None there).
        "canonical_hosted_zone_id": description.get("CanonicalHostedZoneNameID"),
    }
