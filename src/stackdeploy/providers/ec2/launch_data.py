"""What instances and launch templates share: AMI root devices, volumes, metadata, profiles,
and filters split to AWS's size."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code, has_code, is_not_found
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.providers.base import ResourceContext

# Where the root volume of an AMI we cannot read is assumed to be: Amazon Linux's device.
DEFAULT_ROOT_DEVICE = "/dev/xvda"
_FILTER_VALUES = 200  # the most values AWS takes in one filter


def filter_chunks(values: Sequence[str]) -> Iterator[list[str]]:
    """`values` in runs short enough for one filter's Values."""
    for start in range(0, len(values), _FILTER_VALUES):
        yield list(values[start : start + _FILTER_VALUES])


def root_device_name(ec2: RetryingClient, image_id: str) -> str:
    """The AMI's root device name: a root volume mapping must use it, or it adds a volume."""
    try:
        images = ec2.describe_images(ImageIds=[image_id])["Images"]
    except ClientError as error:
        # An AMI shared with us but not describable, or gone: RunInstances will say which.
        if is_not_found(error) or has_code(error, "InvalidAMIID.Malformed"):
            return DEFAULT_ROOT_DEVICE
        raise
    if not images:
        return DEFAULT_ROOT_DEVICE
    return str(images[0].get("RootDeviceName") or DEFAULT_ROOT_DEVICE)


def root_volume_mapping(device: str, root: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "DeviceName": device,
            "Ebs": {
                "VolumeSize": root["size_gb"],
                "VolumeType": root["volume_type"],
                "Encrypted": root["encrypted"],
                "DeleteOnTermination": root["delete_on_termination"],
            },
        }
    ]


def metadata_request(options: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "HttpTokens": options["http_tokens"],
        "HttpEndpoint": options["http_endpoint"],
        "HttpPutResponseHopLimit": options["http_put_response_hop_limit"],
    }


def metadata_from(aws: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """MetadataOptions as AWS reports them, in spec shape."""
    if not aws:
        return None
    return {
        "http_tokens": aws.get("HttpTokens"),
        "http_endpoint": aws.get("HttpEndpoint"),
        "http_put_response_hop_limit": aws.get("HttpPutResponseHopLimit"),
    }


def profile_name(arn: str | None) -> str | None:
    """An instance profile's name from its ARN (arn:aws:iam::1:instance-profile/path/name)."""
    return arn.rsplit("/", 1)[-1] if arn else None


def encode_user_data(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def decode_user_data(encoded: str | None) -> str | None:
    if not encoded:
        return None
    return base64.b64decode(encoded).decode(errors="replace")


def profile_not_ready(error: BaseException) -> bool:
    """EC2 does not know an instance profile yet: IAM is eventually consistent, and a profile
    created moments ago is rejected for a while with this error."""
    if isinstance(error, ClientError) and has_code(error, "InvalidParameterValue"):
        message = str(error.response.get("Error", {}).get("Message", ""))
        return "iam instance profile" in message.lower()
    # moto answers NoSuchEntity for an unknown profile (AWS never does for EC2 calls).
    return has_code(error, "NoSuchEntity")


def with_profile_retry(
    ctx: ResourceContext, operation: str, profile: str | None, action: Callable[[], object]
) -> None:
    """Run `action`, repeating it while EC2 does not see the instance profile yet."""
    if profile is None:
        action()
        return
    try:
        retry_while(
            action,
            codes=set(),
            matches=profile_not_ready,
            deadline=ctx.timing.consistency_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation=operation,
        )
    except ClientError as error:
        if not profile_not_ready(error):
            raise
        raise ProviderError(
            f"EC2 does not know instance profile '{profile}' "
            f"({error_code(error)}), after retrying for "
            f"{ctx.timing.consistency_deadline:.0f}s",
            code=error_code(error),
            hint="check that the instance profile exists (a name, not a role's name or ARN)",
            address=ctx.address,
        ) from error
