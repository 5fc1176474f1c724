"""Waiting for a group's desired instances to be in service (boto3 has no Auto Scaling waiters).

An instance counts when Auto Scaling reports it InService and Healthy and, for a group using
ELB health checks, when every target group and classic load balancer of the group reports it
healthy too: that is when the group actually serves traffic. A failed scaling activity (a bad
AMI, an instance type the zone lacks, a missing profile) fails the wait at once instead of
letting it run to its timeout.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.aws.waiters import wait_until
from stackdeploy.errors import ProviderError
from stackdeploy.providers.autoscaling.common import describe_group, is_deleting
from stackdeploy.providers.base import ResourceContext


def utc_now() -> datetime:
    return datetime.now(UTC)


def wait_for_capacity(
    clients: ClientFactory, ctx: ResourceContext, name: str, started: datetime
) -> None:
    """Poll until the group's desired instances are in service; `started` is when this apply
    step began (scaling activities older than that are not this step's failures)."""
    asg = clients.client("autoscaling", ctx.region)

    def satisfied() -> tuple[bool, str]:
        group = describe_group(asg, name)
        if group is None or is_deleting(group):
            raise ProviderError(
                f"Auto Scaling group {name} was deleted while waiting for its instances",
                address=ctx.address,
            )
        desired = int(group.get("DesiredCapacity") or 0)
        ready = {
            str(i["InstanceId"])
            for i in group.get("Instances") or []
            if i.get("LifecycleState") == "InService" and i.get("HealthStatus") == "Healthy"
        }
        if len(ready) != desired:
            _fail_on_failed_activity(asg, ctx, name, started)
            return False, f"{len(ready)} of {desired} instances in service"
        if group.get("HealthCheckType") == "ELB":
            shortfall = _load_balancer_shortfall(clients, ctx.region, group, ready, desired)
            if shortfall:
                return False, shortfall
        return True, f"{desired} instances in service"

    wait_until(
        satisfied,
        what=f"Auto Scaling group {name} to have its desired instances in service",
        timing=ctx.timing,
        events=ctx.events,
    )


def _fail_on_failed_activity(
    asg: RetryingClient, ctx: ResourceContext, name: str, started: datetime
) -> None:
    activities = asg.describe_scaling_activities(AutoScalingGroupName=name, MaxRecords=20)
    for activity in activities.get("Activities") or []:
        start = activity.get("StartTime")
        if not isinstance(start, datetime) or activity.get("StatusCode") != "Failed":
            continue
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        if start >= started:
            reason = activity.get("StatusMessage") or activity.get("Description") or "no reason"
            raise ProviderError(
                f"Auto Scaling group {name} could not launch instances: {reason}",
                code="ScalingActivityFailed",
                address=ctx.address,
                hint="check the launch template (image, instance type, profile, security "
                "groups) and that the subnets' zones offer the instance type",
            )


def _load_balancer_shortfall(
    clients: ClientFactory, region: str, group: dict[str, Any], ready: set[str], desired: int
) -> str:
    """What still keeps the group's load balancers from seeing `desired` healthy instances."""
    if group.get("TargetGroupARNs"):
        elbv2 = clients.client("elbv2", region)
        for arn in group["TargetGroupARNs"]:
            targets = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            healthy = {
                t["Target"]["Id"] for t in targets if t["TargetHealth"].get("State") == "healthy"
            }
            if len(healthy & ready) < desired:
                short_name = str(arn).rsplit(":", 1)[-1]
                return f"{len(healthy & ready)} of {desired} healthy in {short_name}"
    if group.get("LoadBalancerNames"):
        elb = clients.client("elb", region)
        for lb_name in group["LoadBalancerNames"]:
            states = elb.describe_instance_health(LoadBalancerName=lb_name)["InstanceStates"]
            healthy = {s["InstanceId"] for s in states if s.get("State") == "InService"}
            if len(healthy & ready) < desired:
                return f"{len(healthy & ready)} of {desired} in service in {lb_name}"
    return ""
