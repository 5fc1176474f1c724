"""RunInstances for one aws.ec2.instance: the request, and the retries around it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.common import tag_specifications
from stackdeploy.providers.ec2.launch_data import (
    metadata_request,
    root_device_name,
    root_volume_mapping,
    with_profile_retry,
)
from stackdeploy.specs.base import digest_of
from stackdeploy.specs.ec2.instance import PUBLIC_IP_TAG, USER_DATA_DIGEST_TAG

# A subnet, group or key pair another step created moments ago may not be visible yet.
_NOT_YET_VISIBLE = frozenset(
    {"InvalidSubnetID.NotFound", "InvalidGroup.NotFound", "InvalidKeyPair.NotFound"}
)


def instance_tags(ctx: ResourceContext, props: Mapping[str, Any]) -> dict[str, str]:
    """Tags at launch: the user's, ownership, and what reads cannot see otherwise."""
    tags = {**props["tags"], **ctx.ownership_tags()}
    if props.get("user_data") is not None:
        tags[USER_DATA_DIGEST_TAG] = digest_of(props["user_data"])
    if props.get("associate_public_ip_address") is not None:
        tags[PUBLIC_IP_TAG] = "true" if props["associate_public_ip_address"] else "false"
    return tags


def run_request(
    ec2: RetryingClient, ctx: ResourceContext, props: Mapping[str, Any]
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "ImageId": props["image_id"],
        "InstanceType": props["instance_type"],
        "MinCount": 1,
        "MaxCount": 1,
        # A retried request with the same token returns the instance already launched.
        "ClientToken": ctx.token,
        "MetadataOptions": metadata_request(props["metadata_options"]),
        "DisableApiTermination": props["disable_api_termination"],
        "TagSpecifications": [
            *tag_specifications("instance", instance_tags(ctx, props)),
            *tag_specifications("volume", {**props["tags"], **ctx.ownership_tags()}),
        ],
    }
    if props.get("key_name") is not None:
        request["KeyName"] = props["key_name"]
    if props.get("iam_instance_profile") is not None:
        request["IamInstanceProfile"] = {"Name": props["iam_instance_profile"]}
    if props.get("user_data") is not None:
        request["UserData"] = props["user_data"]  # botocore base64-encodes it
    if props.get("root_volume") is not None:
        device = root_device_name(ec2, props["image_id"])
        request["BlockDeviceMappings"] = root_volume_mapping(device, props["root_volume"])
    request.update(_network(props))
    return request


def _network(props: Mapping[str, Any]) -> dict[str, Any]:
    """Subnet, groups and addresses. Only a network interface specification can say whether
    to assign a public IPv4 address, and then AWS refuses instance-level subnet and groups."""
    associate = props.get("associate_public_ip_address")
    private_ip = props.get("private_ip_address")
    if associate is None:
        network: dict[str, Any] = {
            "SubnetId": props["subnet_id"],
            "SecurityGroupIds": list(props["security_group_ids"]),
        }
        if private_ip is not None:
            network["PrivateIpAddress"] = private_ip
        return network
    interface: dict[str, Any] = {
        "DeviceIndex": 0,
        "SubnetId": props["subnet_id"],
        "Groups": list(props["security_group_ids"]),
        "AssociatePublicIpAddress": associate,
        "DeleteOnTermination": True,
    }
    if private_ip is not None:
        interface["PrivateIpAddress"] = private_ip
    return {"NetworkInterfaces": [interface]}


def launch(ctx: ResourceContext, ec2: RetryingClient, request: dict[str, Any]) -> str:
    """RunInstances, repeated (same client token) while what it names is not visible yet."""
    launched: list[str] = []

    def attempt() -> None:
        reservation = ec2.run_instances(**request)
        launched.append(str(reservation["Instances"][0]["InstanceId"]))

    def until_visible() -> None:
        retry_while(
            attempt,
            codes=_NOT_YET_VISIBLE,
            deadline=ctx.timing.visibility_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation="ec2.RunInstances",
        )

    profile = (request.get("IamInstanceProfile") or {}).get("Name")
    with_profile_retry(ctx, "ec2.RunInstances", profile, until_visible)
    return launched[-1]
