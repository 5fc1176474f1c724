"""Bringing a Classic Load Balancer from its current properties to the desired ones, in place.

One routine serves create (after CreateLoadBalancer: health check, attributes, instances),
adoption of a load balancer an interrupted run left behind, and update. Each part is only
touched when it differs, and a desired value of None is left alone ("not managed").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.providers.base import ResourceContext

# Right after CreateLoadBalancer the load balancer, or an instance or subnet created moments
# ago, can still be unknown to the next call for a few seconds.
NOT_VISIBLE_YET = frozenset(
    {"LoadBalancerNotFound", "InvalidInstance", "InvalidSubnet", "InvalidSecurityGroup"}
)
_ATTRIBUTES = ("cross_zone", "connection_draining", "connection_draining_timeout", "idle_timeout")


class Converger:
    """In-place changes to one load balancer."""

    def __init__(
        self,
        ctx: ResourceContext,
        elb: RetryingClient,
        ec2: Callable[[], RetryingClient],
        name: str,
    ) -> None:
        self.ctx = ctx
        self.elb = elb
        self._ec2 = ec2  # only asked for when subnets move, to learn their zones
        self.name = name

    def call(self, operation: str, action: Callable[[], object]) -> None:
        """Run an ELB call, repeating it while AWS does not yet see what it names."""
        retry_while(
            action,
            codes=NOT_VISIBLE_YET,
            deadline=self.ctx.timing.visibility_deadline,
            timing=self.ctx.timing,
            events=self.ctx.events,
            operation=f"elb.{operation}",
        )

    def converge(self, current: dict[str, Any], desired: dict[str, Any]) -> None:
        # Network placement first, so new listeners and instances are reachable through it.
        self.security_groups(current.get("security_group_ids"), desired.get("security_group_ids"))
        self.subnets(current.get("subnet_ids") or [], desired["subnet_ids"])
        self.listeners(current.get("listeners") or [], desired["listeners"])
        self.health_check(current.get("health_check"), desired.get("health_check"))
        self.attributes(current, desired)
        self.instances(current.get("instance_ids") or [], desired.get("instance_ids"))
        self.tags(current.get("tags") or {}, desired["tags"])

    def security_groups(self, current: list[str] | None, desired: list[str] | None) -> None:
        if desired is None or set(desired) == set(current or []):
            return
        # The new list replaces the old one in a single call.
        self.call(
            "ApplySecurityGroupsToLoadBalancer",
            lambda: self.elb.apply_security_groups_to_load_balancer(
                LoadBalancerName=self.name, SecurityGroups=sorted(desired)
            ),
        )

    def subnets(self, current: list[str], desired: list[str]) -> None:
        added, removed = set(desired) - set(current), set(current) - set(desired)
        if not (added or removed):
            return
        # One subnet per zone: a subnet replacing another in the same zone can only be
        # attached once that one is detached. Subnets of new zones go first, so the load
        # balancer keeps serving while the others move.
        zones = self._zones(added | removed) if added and removed else {}
        freed = {zones.get(subnet) for subnet in removed}
        first = sorted(s for s in added if not zones or zones.get(s) not in freed)
        later = sorted(added - set(first))
        self._attach(first)
        if removed:
            self.call(
                "DetachLoadBalancerFromSubnets",
                lambda: self.elb.detach_load_balancer_from_subnets(
                    LoadBalancerName=self.name, Subnets=sorted(removed)
                ),
            )
        self._attach(later)

    def _attach(self, subnets: list[str]) -> None:
        if subnets:
            self.call(
                "AttachLoadBalancerToSubnets",
                lambda: self.elb.attach_load_balancer_to_subnets(
                    LoadBalancerName=self.name, Subnets=subnets
                ),
            )

    def _zones(self, subnets: set[str]) -> dict[str, str]:
        found = self._ec2().describe_subnets(
            Filters=[{"Name": "subnet-id", "Values": sorted(subnets)}]
        )["Subnets"]
        return {s["SubnetId"]: s["AvailabilityZone"] for s in found}

    def listeners(self, current: list[dict[str, Any]], desired: list[dict[str, Any]]) -> None:
        have = {int(listener["port"]): listener for listener in current}
        want = {int(listener["port"]): listener for listener in desired}
        added = [want[port] for port in sorted(want) if port not in have]
        changed = [port for port in sorted(want) if port in have and want[port] != have[port]]
        # A new certificate is swapped on the live listener, which keeps serving.
        new_certificate = [p for p in changed if _same_but_certificate(have[p], want[p])]
        recreated = [port for port in changed if port not in new_certificate]
        removed = [port for port in sorted(have) if port not in want] + recreated
        self._create_listeners(added)
        for port in new_certificate:
            self.call(
                "SetLoadBalancerListenerSSLCertificate",
                partial(
                    self.elb.set_load_balancer_listener_ssl_certificate,
                    LoadBalancerName=self.name,
                    LoadBalancerPort=port,
                    SSLCertificateId=want[port]["ssl_certificate_id"],
                ),
            )
        # One port per call: AWS takes several at once, but moto (the local emulator)
        # corrupts the listener list when given more than one.
        for port in removed:
            self.call(
                "DeleteLoadBalancerListeners",
                partial(
                    self.elb.delete_load_balancer_listeners,
                    LoadBalancerName=self.name,
                    LoadBalancerPorts=[port],
                ),
            )
        self._create_listeners([want[port] for port in recreated])

    def _create_listeners(self, listeners: list[dict[str, Any]]) -> None:
        if listeners:
            self.call(
                "CreateLoadBalancerListeners",
                lambda: self.elb.create_load_balancer_listeners(
                    LoadBalancerName=self.name, Listeners=[aws_listener(x) for x in listeners]
                ),
            )

    def health_check(self, current: dict[str, Any] | None, desired: dict[str, Any] | None) -> None:
        if desired is None or desired == current:
            return
        check = {
            "Target": desired["target"],
            "Interval": desired["interval"],
            "Timeout": desired["timeout"],
            "HealthyThreshold": desired["healthy_threshold"],
            "UnhealthyThreshold": desired["unhealthy_threshold"],
        }
        self.call(
            "ConfigureHealthCheck",
            lambda: self.elb.configure_health_check(LoadBalancerName=self.name, HealthCheck=check),
        )

    def attributes(self, current: dict[str, Any], desired: dict[str, Any]) -> None:
        if all(desired.get(k) is None or desired.get(k) == current.get(k) for k in _ATTRIBUTES):
            return
        draining: dict[str, Any] = {"Enabled": desired["connection_draining"]}
        if desired.get("connection_draining_timeout") is not None:
            draining["Timeout"] = desired["connection_draining_timeout"]
        attributes = {
            "CrossZoneLoadBalancing": {"Enabled": desired["cross_zone"]},
            "ConnectionDraining": draining,
            "ConnectionSettings": {"IdleTimeout": desired["idle_timeout"]},
        }
        self.call(
            "ModifyLoadBalancerAttributes",
            lambda: self.elb.modify_load_balancer_attributes(
                LoadBalancerName=self.name, LoadBalancerAttributes=attributes
            ),
        )

    def instances(self, current: list[str], desired: list[str] | None) -> None:
        if desired is None:
            return  # not managed here: an Auto Scaling group may own the registrations
        register = sorted(set(desired) - set(current))
        deregister = sorted(set(current) - set(desired))
        if register:
            self.call(
                "RegisterInstancesWithLoadBalancer",
                lambda: self.elb.register_instances_with_load_balancer(
                    LoadBalancerName=self.name, Instances=[{"InstanceId": i} for i in register]
                ),
            )
        if deregister:
            self.call(
                "DeregisterInstancesFromLoadBalancer",
                lambda: self.elb.deregister_instances_from_load_balancer(
                    LoadBalancerName=self.name, Instances=[{"InstanceId": i} for i in deregister]
                ),
            )

    def tags(self, current: dict[str, str], desired: dict[str, str]) -> None:
        """User tags only: the ownership tags are never in either mapping."""
        stale = [{"Key": key} for key in sorted(current) if key not in desired]
        changed = [
            {"Key": key, "Value": value}
            for key, value in sorted(desired.items())
            if current.get(key) != value
        ]
        if stale:
            self.elb.remove_tags(LoadBalancerNames=[self.name], Tags=stale)
        if changed:
            self.elb.add_tags(LoadBalancerNames=[self.name], Tags=changed)


def aws_listener(listener: dict[str, Any]) -> dict[str, Any]:
    request = {
        "Protocol": listener["protocol"],
        "LoadBalancerPort": listener["port"],
        "InstanceProtocol": listener["instance_protocol"],
        "InstancePort": listener["instance_port"],
    }
    if listener.get("ssl_certificate_id"):
        request["SSLCertificateId"] = listener["ssl_certificate_id"]
    return request


def _same_but_certificate(have: dict[str, Any], want: dict[str, Any]) -> bool:
    others = [key for key in want if key != "ssl_certificate_id"]
    return all(have.get(key) == want[key] for key in others) and bool(
        want.get("ssl_certificate_id")
    )
