"""Sub-models and validation shared by instances and launch templates."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from stackdeploy.specs.base import TEMPLATE_RESOURCE, Issue, Spec, StackCheck, is_ref_like

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

# AWS: "User data is limited to 16 KB, in raw form, before it is base64-encoded."
USER_DATA_MAX_BYTES = 16384
# A family (t3, m7i-flex, u-6tb1), a dot, a size (micro, 2xlarge, metal-24xl).
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\.[a-z0-9]+(-[a-z0-9]+)*$")
_AMI = re.compile(r"^ami-[0-9a-f]{8}([0-9a-f]{9})?$")
# Launch template names: 3-128 of letters, digits and ( ) . - / _
LAUNCH_TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9().\-/_]{3,128}$")


class MetadataOptions(Spec):
    """The instance metadata service (IMDS): 169.254.169.254 as seen from the instance."""

    http_tokens: Literal["required", "optional"] = Field(
        "required",
        description="'required' is IMDSv2 only (session tokens), which blocks SSRF-style "
        "credential theft; 'optional' also allows IMDSv1.",
    )
    http_endpoint: Literal["enabled", "disabled"] = Field(
        "enabled", description="'disabled' turns the metadata service off entirely."
    )
    http_put_response_hop_limit: int = Field(
        2,
        ge=1,
        le=64,
        description="Network hops the token response may travel; 2 lets containers on the "
        "instance reach IMDSv2.",
    )


class RootVolume(Spec):
    """The root EBS volume, replacing the AMI's own settings for it."""

    size_gb: int = Field(
        ge=1, le=16384, description="Size in GiB; at least the AMI's snapshot size."
    )
    # io1/io2 need provisioned IOPS and st1/sc1 cannot be boot volumes, so neither is offered.
    volume_type: Literal["gp3", "gp2", "standard"] = Field(
        "gp3", description="gp3, gp2 or standard."
    )
    encrypted: bool = Field(True, description="Encrypt with the account's default EBS key.")
    delete_on_termination: bool = Field(
        True, description="Delete the volume with the instance (false keeps it, and bills it)."
    )

    @model_validator(mode="after")
    def _size_fits_type(self) -> RootVolume:
        if self.volume_type == "standard" and self.size_gb > 1024:
            raise ValueError("a standard (magnetic) volume holds at most 1024 GiB")
        return self


def check_instance_type(value: str | None) -> str | None:
    if value is None or is_ref_like(value) or _INSTANCE_TYPE.match(value):
        return value
    raise ValueError(f"'{value}' is not an instance type such as t3.micro or m7i.large")


def check_image_id(value: str) -> str:
    """A literal AMI id, or a reference or lookup (`${ssm:/aws/service/...}`)."""
    if is_ref_like(value) or _AMI.match(value):
        return value
    raise ValueError(
        f"'{value}' is not an AMI id (ami-...) or a lookup such as "
        "${ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}"
    )


def check_group_ids(values: list[str]) -> list[str]:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"security group {value} is listed twice")
        seen.add(value)
        if not is_ref_like(value) and not value.startswith("sg-"):
            raise ValueError(
                f"'{value}' is not a security group id (sg-...); names are not accepted"
            )
    return values


def check_profile_name(value: str | None) -> str | None:
    if value is not None and value.startswith("arn:"):
        raise ValueError("give the instance profile's name (e.g. ${profile.name}), not its ARN")
    return value


def check_private_ip(value: str | None) -> str | None:
    if value is None or is_ref_like(value):
        return value
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError(f"'{value}' is not an IPv4 address") from None
    return value


def check_user_data(value: str | None) -> str | None:
    """Empty user data is no user data; over the limit is an error naming its size."""
    if value is None or value == "":
        return None
    size = len(value.encode())
    if size > USER_DATA_MAX_BYTES:
        raise ValueError(_too_big(size))
    return value


def _too_big(size: int) -> str:
    return f"user data is {size} bytes; AWS allows {USER_DATA_MAX_BYTES} bytes (16 KB)"


def one_user_data_source(
    user_data: str | None, template: str | None, template_vars: dict[str, Any] | None
) -> None:
    if user_data is not None and template is not None:
        raise ValueError("give user_data or user_data_template, not both")
    if template_vars is not None and template is None:
        raise ValueError("template_vars are variables of user_data_template, which is not given")


TEMPLATE_VARS_DESCRIPTION = (
    "Variables of user_data_template, by name (as Terraform's templatefile): e.g. "
    "{index: 1} for {{ index }}. The template also sees the stack's variables and this "
    "resource as `resource` (resource.logical_id, resource.subnet_id, ...)."
)
_TEMPLATE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_template_vars(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Names a template can use; `resource` is the resource itself."""
    for name in values or {}:
        if not _TEMPLATE_NAME.match(name):
            raise ValueError(
                f"template variable '{name}' is not a name a template can use "
                "(letters, digits and _, not starting with a digit)"
            )
        if name == TEMPLATE_RESOURCE:
            raise ValueError(
                f"template variable '{name}' is reserved: templates see the resource itself "
                f"by that name ({{{{ {TEMPLATE_RESOURCE}.logical_id }}}})"
            )
    return values


def user_data_size(type_name: str) -> StackCheck:
    """A check that rendered user data (templates render after validation) fits in 16 KB."""

    def check(stack: Stack) -> Iterator[Issue]:
        for resource in stack.resources.values():
            text = resource.properties.get("user_data") if resource.type == type_name else None
            if not isinstance(text, str):
                continue
            size = len(text.encode())
            if size <= USER_DATA_MAX_BYTES:
                continue
            template = f"resources.{resource.logical_id}.properties.user_data_template"
            field = "user_data_template" if template in stack.source_lines else "user_data"
            yield Issue(
                resource.logical_id,
                (field,),
                f"{field}: {_too_big(size)}"
                + (" after rendering" if field == "user_data_template" else ""),
                hint="download larger scripts from S3 in a short user data script",
            )

    return check
