"""In-place changes to a running instance, one API per property."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.session import RetryingClient
from stackdeploy.errors import ProviderError
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.common import id_filter, sync_tags
from stackdeploy.providers.ec2.instance_reads import (
    LIVE_PROFILE_STATES,
    describe_one,
    root_mapping,
)
from stackdeploy.providers.ec2.instance_waits import state_of, wait_for_state
from stackdeploy.providers.ec2.launch_data import metadata_request, with_profile_retry
from stackdeploy.providers.ownership import split_tags


def update_instance(
    ctx: ResourceContext,
    ec2: RetryingClient,
    instance_id: str,
    props: Mapping[str, Any],
    changed: set[str],
) -> None:
    """Apply the changed properties; the instance type last, as it needs a stop and start."""
    if "tags" in changed:
        sync_instance_tags(ec2, instance_id, props["tags"])
    if "security_group_ids" in changed:
        ec2.modify_instance_attribute(InstanceId=instance_id, Groups=props["security_group_ids"])
    if "iam_instance_profile" in changed:
        set_profile(ctx, ec2, instance_id, props["iam_instance_profile"])
    if "metadata_options" in changed:
        ec2.modify_instance_metadata_options(
            InstanceId=instance_id, **metadata_request(props["metadata_options"])
        )
    for name, attribute in (
        ("source_dest_check", "SourceDestCheck"),
        ("disable_api_termination", "DisableApiTermination"),
    ):
        if name in changed:
            ec2.modify_instance_attribute(
                InstanceId=instance_id, **{attribute: {"Value": props[name]}}
            )
    if "root_volume" in changed:
        modify_root_volume(ec2, instance_id, props["root_volume"])
    if "instance_type" in changed:
        change_type(ctx, ec2, instance_id, props["instance_type"])


def modify_root_volume(ec2: RetryingClient, instance_id: str, wanted: Mapping[str, Any]) -> None:
    """Grow the root volume or change its type (ModifyVolume, while the instance runs) and
    its delete-on-termination flag; the differ replaces the instance for anything else."""
    instance = describe_one(ec2, instance_id) or {}
    ebs = root_mapping(instance)
    if ebs is None:
        raise ProviderError(
            f"instance {instance_id} has no EBS root volume to modify",
            hint="an instance-store root volume is fixed: replace the instance",
        )
    volume_id = ebs["VolumeId"]
    volume = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]
    request: dict[str, Any] = {}
    if wanted["size_gb"] != volume.get("Size"):
        request["Size"] = wanted["size_gb"]
    if wanted["volume_type"] != volume.get("VolumeType"):
        request["VolumeType"] = wanted["volume_type"]
    if request:
        ec2.modify_volume(VolumeId=volume_id, **request)
    if wanted["delete_on_termination"] != ebs.get("DeleteOnTermination"):
        ec2.modify_instance_attribute(
            InstanceId=instance_id,
            BlockDeviceMappings=[
                {
                    "DeviceName": instance["RootDeviceName"],
                    "Ebs": {"DeleteOnTermination": wanted["delete_on_termination"]},
                }
            ],
        )


def sync_instance_tags(ec2: RetryingClient, instance_id: str, desired: Mapping[str, str]) -> None:
    """User tags on the instance and on its volumes (tagged alike at launch)."""
    instance = describe_one(ec2, instance_id) or {}
    sync_tags(ec2, instance_id, desired, split_tags(instance.get("Tags"))[0])
    volumes = ec2.paginate(
        "describe_volumes", "Volumes", Filters=id_filter("attachment.instance-id", [instance_id])
    )
    for volume in volumes:
        sync_tags(ec2, volume["VolumeId"], desired, split_tags(volume.get("Tags"))[0])


def set_profile(
    ctx: ResourceContext, ec2: RetryingClient, instance_id: str, name: str | None
) -> None:
    """Associate, replace or remove the instance profile; no restart is needed."""
    associations = ec2.paginate(
        "describe_iam_instance_profile_associations",
        "IamInstanceProfileAssociations",
        Filters=id_filter("instance-id", [instance_id]),
    )
    current = next((a for a in associations if a.get("State") in LIVE_PROFILE_STATES), None)
    if name is None:
        if current is not None:
            ec2.disassociate_iam_instance_profile(AssociationId=current["AssociationId"])
        return
    profile = {"Name": name}
    if current is None:
        with_profile_retry(
            ctx,
            "ec2.AssociateIamInstanceProfile",
            name,
            lambda: ec2.associate_iam_instance_profile(
                InstanceId=instance_id, IamInstanceProfile=profile
            ),
        )
    else:
        with_profile_retry(
            ctx,
            "ec2.ReplaceIamInstanceProfileAssociation",
            name,
            lambda: ec2.replace_iam_instance_profile_association(
                AssociationId=current["AssociationId"], IamInstanceProfile=profile
            ),
        )


def change_type(
    ctx: ResourceContext, ec2: RetryingClient, instance_id: str, instance_type: str
) -> None:
    """AWS changes the type only of a stopped instance: stop, wait, modify, start, wait.

    An instance that was stopped stays stopped. If AWS refuses the new type (another
    architecture, no ENA support), the instance is started again before the error is raised,
    so a failed change never leaves it down.
    """
    state = state_of(describe_one(ec2, instance_id))
    if state in {"absent", "shutting-down", "terminated"}:
        raise ProviderError(
            f"instance {instance_id} is {state}: its type cannot change",
            hint="run plan again: it will launch the instance anew",
            address=ctx.address,
        )
    if state == "pending":
        wait_for_state(ctx, ec2, instance_id, "running")
        state = "running"
    was_running = state == "running"
    if was_running:
        ec2.stop_instances(InstanceIds=[instance_id])
    if state != "stopped":
        wait_for_state(ctx, ec2, instance_id, "stopped")
    try:
        ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": instance_type})
    except ClientError:
        if was_running:
            # Best effort: the refusal is what the user needs to see, not a failed restart.
            with suppress(ClientError):
                ec2.start_instances(InstanceIds=[instance_id])
        raise
    if was_running:
        ec2.start_instances(InstanceIds=[instance_id])
        wait_for_state(ctx, ec2, instance_id, "running")
