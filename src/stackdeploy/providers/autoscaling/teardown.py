"""Deleting an Auto Scaling group so that what it launched is really gone afterwards.

AWS refuses DeleteAutoScalingGroup while the group has instances (ResourceInUse) unless it is
forced, and a deleted group's instances keep their network interfaces, and so their security
groups and subnets, until EC2 has terminated them. So a teardown scales the group to zero and
waits for it to empty (or forces the delete), waits until the group itself is gone, then until
every instance it launched is terminated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code
from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.aws.waiters import retry_while, wait_until
from stackdeploy.providers.autoscaling.common import chunks, describe_group, is_group_missing
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.common import id_filter
from stackdeploy.providers.ec2.instance_reads import ASG_TAG, describe_instances

# Refusals while the group still has instances or a scaling activity runs; both clear on
# their own once the instances are gone.
_BUSY = frozenset({"ResourceInUse", "ScalingActivityInProgress"})
_PROTECTION_BATCH = 50  # SetInstanceProtection takes at most 50 instances


def _instance_summary(group: Mapping[str, Any]) -> str:
    instances = group.get("Instances") or []
    states = sorted({str(i.get("LifecycleState")) for i in instances})
    return f"{len(instances)} instances ({', '.join(states)})" if instances else "empty"


def _unprotect(asg: RetryingClient, group: Mapping[str, Any]) -> None:
    """Lift scale-in protection, which would keep instances forever: the user asked to
    destroy the group."""
    protected = [
        str(i["InstanceId"])
        for i in group.get("Instances") or []
        if i.get("ProtectedFromScaleIn")
        and not str(i.get("LifecycleState", "")).startswith("Terminat")
    ]
    for batch in chunks(protected, _PROTECTION_BATCH):
        try:
            asg.set_instance_protection(
                AutoScalingGroupName=group["AutoScalingGroupName"],
                InstanceIds=batch,
                ProtectedFromScaleIn=False,
            )
        except ClientError as error:
            # "... not part of Auto Scaling group ...": already gone, nothing to unprotect.
            if error_code(error) != "ValidationError":
                raise


def drain(ctx: ResourceContext, asg: RetryingClient, group: Mapping[str, Any]) -> None:
    """Scale the group to zero and wait until it has no instances at all (Terminating ones
    included: AWS refuses the delete while any is listed)."""
    name = str(group["AutoScalingGroupName"])
    # Lifted first, so the scale-in below takes every instance at once.
    _unprotect(asg, group)
    try:
        asg.update_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=0, MaxSize=0, DesiredCapacity=0
        )
    except ClientError as error:
        if is_group_missing(error):
            return
        raise

    def empty() -> tuple[bool, str]:
        current = describe_group(asg, name)
        if current is None:
            return True, "deleted"
        # An instance that was still launching when the protection was lifted.
        _unprotect(asg, current)
        return not current.get("Instances"), _instance_summary(current)

    wait_until(
        empty,
        what=f"Auto Scaling group {name} to terminate its instances",
        timing=ctx.timing,
        events=ctx.events,
    )


def delete_group(ctx: ResourceContext, asg: RetryingClient, name: str, *, force: bool) -> None:
    """DeleteAutoScalingGroup, retried while AWS still sees instances or activity; gone is done."""

    def call() -> None:
        try:
            asg.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=force)
        except ClientError as error:
            if not is_group_missing(error):
                raise

    retry_while(
        call,
        codes=_BUSY,
        deadline=ctx.timing.dependency_deadline,
        timing=ctx.timing,
        events=ctx.events,
        operation="autoscaling.DeleteAutoScalingGroup",
    )


def wait_gone(ctx: ResourceContext, asg: RetryingClient, name: str) -> None:
    """Until DescribeAutoScalingGroups no longer lists the group ("Delete in progress" first)."""

    def gone() -> tuple[bool, str]:
        group = describe_group(asg, name)
        if group is None:
            return True, "deleted"
        return False, f"{group.get('Status') or 'present'}, {_instance_summary(group)}"

    wait_until(
        gone,
        what=f"Auto Scaling group {name} to be deleted",
        timing=ctx.timing,
        events=ctx.events,
    )


def wait_instances_terminated(clients: ClientFactory, ctx: ResourceContext, name: str) -> None:
    """Until no instance the group launched is left in any state but terminated.

    The group may already have let go of an instance that EC2 is still shutting down, and
    that instance holds its network interface (so its security groups and subnet) until then.
    Terminated instances stay listed for about an hour, so the state is checked here rather
    than filtered, which also keeps "shutting-down" visible.
    """
    ec2 = clients.client("ec2", ctx.region)
    # AWS tags every instance a group launches with its name; the tag outlives the group.
    by_group = id_filter(f"tag:{ASG_TAG}", [name])

    def terminated() -> tuple[bool, str]:
        left = sorted(
            f"{i['InstanceId']} {i['State']['Name']}"
            for i in describe_instances(ec2, by_group)
            if i["State"]["Name"] != "terminated"
        )
        return not left, ", ".join(left) or "all terminated"

    wait_until(
        terminated,
        what=f"the instances of Auto Scaling group {name} to terminate",
        timing=ctx.timing,
        events=ctx.events,
    )
