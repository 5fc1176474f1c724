"""Waiting for instance states and status checks, with the shared backoff poller."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import is_not_found
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import wait_until
from stackdeploy.errors import ProviderError
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.instance_reads import describe_one

_DYING = frozenset({"shutting-down", "terminated"})


def state_of(instance: dict[str, Any] | None) -> str:
    return "absent" if instance is None else str(instance["State"]["Name"])


def wait_for_state(
    ctx: ResourceContext, ec2: RetryingClient, instance_id: str, target: str
) -> None:
    """Poll until the instance is in `target` (running or stopped); fail fast if it dies.

    A just-launched or just-started instance may be missing from, or stale in, the first
    reads (EC2 reads are eventually consistent), so anything else means "not yet".
    """

    def check() -> tuple[bool, str]:
        instance = describe_one(ec2, instance_id)
        state = state_of(instance)
        if state == target:
            return True, state
        if instance is not None and state in _DYING:
            raise _died(ctx, instance_id, instance, target)
        return False, "not visible yet" if instance is None else state

    wait_until(
        check, what=f"instance {instance_id} to be {target}", timing=ctx.timing, events=ctx.events
    )


def wait_terminated(ctx: ResourceContext, ec2: RetryingClient, instance_id: str) -> None:
    """Until then its network interface still uses its subnet and security groups."""

    def check() -> tuple[bool, str]:
        state = state_of(describe_one(ec2, instance_id))
        return state in {"terminated", "absent"}, state

    wait_until(
        check,
        what=f"instance {instance_id} to be terminated",
        timing=ctx.timing,
        events=ctx.events,
    )


def wait_status_ok(ctx: ResourceContext, ec2: RetryingClient, instance_id: str) -> None:
    """Until both status checks (system reachability, instance reachability) pass."""

    def check() -> tuple[bool, str]:
        try:
            statuses = ec2.describe_instance_status(
                InstanceIds=[instance_id], IncludeAllInstances=True
            )["InstanceStatuses"]
        except ClientError as error:
            if is_not_found(error):
                return False, "not visible yet"
            raise
        if not statuses:
            return False, "no status yet"
        status = statuses[0]
        state = str((status.get("InstanceState") or {}).get("Name", ""))
        if state in _DYING:
            raise ProviderError(
                f"instance {instance_id} is {state}: it stopped existing while booting",
                address=ctx.address,
            )
        system = str((status.get("SystemStatus") or {}).get("Status", ""))
        own = str((status.get("InstanceStatus") or {}).get("Status", ""))
        if "impaired" in (system, own):
            raise ProviderError(
                f"instance {instance_id} failed its status checks (system: {system}, "
                f"instance: {own})",
                hint="check the AMI and the user data; `aws ec2 get-console-output "
                f"--instance-id {instance_id}` shows the boot log",
                address=ctx.address,
            )
        ok = state == "running" and system == "ok" and own == "ok"
        return ok, f"{state}, system {system or '-'}, instance {own or '-'}"

    wait_until(
        check,
        what=f"instance {instance_id} to pass its status checks",
        timing=ctx.timing,
        events=ctx.events,
    )


def _died(
    ctx: ResourceContext, instance_id: str, instance: dict[str, Any], target: str
) -> ProviderError:
    reason = instance.get("StateReason") or {}
    code = str(reason.get("Code") or "")
    message = str(reason.get("Message") or "no reason given")
    return ProviderError(
        f"instance {instance_id} is {state_of(instance)} instead of {target}: {message}",
        code=code,
        hint="AWS ended the instance; fix the cause (capacity, EBS encryption key, AMI) and "
        "apply again",
        address=ctx.address,
    )
