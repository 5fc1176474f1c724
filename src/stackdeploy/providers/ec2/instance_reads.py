"""Reading instances in spec shape, batched: what one DescribeInstances cannot tell is read
for the whole batch at once (root volumes, instance profile associations), except
termination protection, which AWS only returns per instance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import is_not_found
from stackdeploy.aws.session import RetryingClient
from stackdeploy.model.live import LiveResource
from stackdeploy.providers.concurrency import map_concurrently
from stackdeploy.providers.ec2.common import ec2_arn, id_filter
from stackdeploy.providers.ec2.launch_data import filter_chunks, metadata_from, profile_name
from stackdeploy.providers.ownership import split_tags
from stackdeploy.specs.ec2.instance import PUBLIC_IP_TAG, TYPE_NAME, USER_DATA_DIGEST_TAG

# States in which an instance exists for a stack: terminated ones stay listed for about an
# hour (and still match tag filters), and a shutting-down one can never run again.
LIVE_STATES = ["pending", "running", "stopping", "stopped"]
LIVE_PROFILE_STATES = frozenset({"associating", "associated"})
# Instances an Auto Scaling group launched carry this tag (and may carry the group's
# propagated ownership tags): they belong to the group, never to an aws.ec2.instance.
ASG_TAG = "aws:autoscaling:groupName"


def describe_instances(ec2: RetryingClient, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The instances matching `filters`, every page, each with its reservation's OwnerId."""
    reservations = ec2.paginate("describe_instances", "Reservations", Filters=filters)
    return [
        {**instance, "OwnerId": reservation.get("OwnerId", "")}
        for reservation in reservations
        for instance in reservation.get("Instances", [])
    ]


def describe_one(ec2: RetryingClient, instance_id: str) -> dict[str, Any] | None:
    """The instance in any state, or None while (or once) EC2 does not list it."""
    found = describe_instances(ec2, id_filter("instance-id", [instance_id]))
    return found[0] if found else None


def live_filters(filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [*filters, {"Name": "instance-state-name", "Values": LIVE_STATES}]


def launched_by_group(instance: dict[str, Any]) -> bool:
    return any(tag.get("Key") == ASG_TAG for tag in instance.get("Tags") or [])


def read_instances(
    ec2: RetryingClient, region: str, instances: Sequence[dict[str, Any]]
) -> list[LiveResource]:
    """Spec-shaped live resources for raw DescribeInstances items (live states only)."""
    instances = [i for i in instances if i["State"]["Name"] in LIVE_STATES]
    if not instances:
        return []
    volumes = _root_volumes(ec2, instances)
    profiles = _profiles(ec2, instances)
    # One call per instance is AWS's only way to read this.
    protection = map_concurrently(instances, lambda i: _termination_protected(ec2, i["InstanceId"]))
    return [
        _to_live(region, instance, volumes, profiles, protected)
        for instance, protected in zip(instances, protection, strict=True)
        if protected is not None  # None: terminated meanwhile
    ]


def _to_live(
    region: str,
    instance: dict[str, Any],
    volumes: dict[str, dict[str, Any]],
    profiles: dict[str, str | None],
    protected: bool,
) -> LiveResource:
    instance_id = instance["InstanceId"]
    raw_tags = instance.get("Tags") or []
    tags, owner = split_tags(raw_tags)
    reserved = {t["Key"]: t.get("Value", "") for t in raw_tags}
    public_ip_choice = reserved.get(PUBLIC_IP_TAG)
    properties = {
        "image_id": instance.get("ImageId"),
        "instance_type": instance.get("InstanceType"),
        "subnet_id": instance.get("SubnetId"),
        "security_group_ids": _group_ids(instance),
        "key_name": instance.get("KeyName"),
        "iam_instance_profile": profiles.get(instance_id),
        "associate_public_ip_address": None
        if public_ip_choice is None
        else public_ip_choice == "true",
        "private_ip_address": instance.get("PrivateIpAddress"),
        # The digest set at launch: DescribeInstances never returns user data.
        "user_data": reserved.get(USER_DATA_DIGEST_TAG),
        "root_volume": _root_volume(instance, volumes),
        "metadata_options": metadata_from(instance.get("MetadataOptions")),
        "source_dest_check": instance.get("SourceDestCheck", True),
        "disable_api_termination": protected,
        "wait": None,  # write-only: how create waited, not something AWS stores
        "tags": tags,
        "id": instance_id,
        "arn": ec2_arn(region, instance.get("OwnerId", ""), "instance", instance_id),
        "public_ip": instance.get("PublicIpAddress"),
        "private_ip": instance.get("PrivateIpAddress"),
        "public_dns_name": instance.get("PublicDnsName") or None,
        "private_dns_name": instance.get("PrivateDnsName") or None,
        "availability_zone": (instance.get("Placement") or {}).get("AvailabilityZone"),
        "vpc_id": instance.get("VpcId"),
    }
    return LiveResource.tagged(TYPE_NAME, instance_id, region, properties, owner)


def _group_ids(instance: dict[str, Any]) -> list[str]:
    """The primary network interface's groups: what ModifyInstanceAttribute Groups sets."""
    for interface in instance.get("NetworkInterfaces") or []:
        if (interface.get("Attachment") or {}).get("DeviceIndex") == 0:
            return sorted(g["GroupId"] for g in interface.get("Groups", []))
    return sorted(g["GroupId"] for g in instance.get("SecurityGroups") or [])


def root_mapping(instance: dict[str, Any]) -> dict[str, Any] | None:
    """The Ebs part of the root device's mapping; None for an instance-store root."""
    root = instance.get("RootDeviceName")
    for mapping in instance.get("BlockDeviceMappings") or []:
        if mapping.get("DeviceName") == root and mapping.get("Ebs"):
            return dict(mapping["Ebs"])
    return None


def _root_volume(
    instance: dict[str, Any], volumes: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    mapping = root_mapping(instance)
    volume = volumes.get(mapping.get("VolumeId", "")) if mapping else None
    if mapping is None or volume is None:
        return None
    return {
        "size_gb": volume.get("Size"),
        "volume_type": volume.get("VolumeType"),
        "encrypted": bool(volume.get("Encrypted")),
        "delete_on_termination": bool(mapping.get("DeleteOnTermination")),
    }


def _root_volumes(
    ec2: RetryingClient, instances: Sequence[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Every root volume of the batch, by volume id: one DescribeVolumes per 200."""
    ids = sorted({m["VolumeId"] for i in instances if (m := root_mapping(i)) and "VolumeId" in m})
    volumes: dict[str, dict[str, Any]] = {}
    for chunk in filter_chunks(ids):
        for volume in ec2.paginate(
            "describe_volumes", "Volumes", Filters=id_filter("volume-id", chunk)
        ):
            volumes[volume["VolumeId"]] = volume
    return volumes


def _profiles(ec2: RetryingClient, instances: Sequence[dict[str, Any]]) -> dict[str, str | None]:
    """Instance profile names by instance id, from the associations.

    DescribeInstances shows a profile too, but the association is the authoritative record:
    the instance's own field can trail a ReplaceIamInstanceProfileAssociation (moto never
    updates it).
    """
    ids = sorted(i["InstanceId"] for i in instances if i.get("IamInstanceProfile"))
    names: dict[str, str | None] = {}
    for chunk in filter_chunks(ids):
        associations = ec2.paginate(
            "describe_iam_instance_profile_associations",
            "IamInstanceProfileAssociations",
            Filters=id_filter("instance-id", chunk),
        )
        for association in associations:
            if association.get("State") in LIVE_PROFILE_STATES:
                arn = (association.get("IamInstanceProfile") or {}).get("Arn")
                names[association["InstanceId"]] = profile_name(arn)
    return names


def _termination_protected(ec2: RetryingClient, instance_id: str) -> bool | None:
    """DisableApiTermination: AWS returns it only per instance, so this is one call each.
    None when the instance is gone."""
    try:
        response = ec2.describe_instance_attribute(
            InstanceId=instance_id, Attribute="disableApiTermination"
        )
    except ClientError as error:
        if is_not_found(error):
            return None
        raise
    return bool((response.get("DisableApiTermination") or {}).get("Value"))
