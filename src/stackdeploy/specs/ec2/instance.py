"""aws.ec2.instance: one EC2 instance in a VPC subnet.

User data cannot be read back in a batched read (DescribeInstances does not return it), so
the instance carries a digest of it in a tag set at launch and the differ compares digests.
Whether a public IPv4 address was asked for at launch cannot be read back either (a stopped
instance has none), so an explicit choice is kept in a tag the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import (
    MARK_TAGS,
    OWNERSHIP_TAGS,
    Issue,
    ResourceType,
    TaggedSpec,
    is_ref_like,
)
from stackdeploy.specs.ec2.instance_options import (
    TEMPLATE_VARS_DESCRIPTION,
    MetadataOptions,
    RootVolume,
    check_group_ids,
    check_image_id,
    check_instance_type,
    check_private_ip,
    check_profile_name,
    check_template_vars,
    check_user_data,
    one_user_data_source,
    user_data_size,
)
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

TYPE_NAME = "aws.ec2.instance"
# Reserved tags set at launch, hidden from user tags like the ownership tags.
USER_DATA_DIGEST_TAG = "stackdeploy:user-data-sha256"
PUBLIC_IP_TAG = "stackdeploy:associate-public-ip"
AWS_MAX_TAGS = 50
MAX_SECURITY_GROUPS = 16  # per network interface: 5 by default, 16 at most with a quota raise


class InstanceSpec(TaggedSpec):
    image_id: str = Field(
        description="AMI id, or a lookup such as "
        "${ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}."
    )
    instance_type: str = Field(description="e.g. t3.micro; changing it stops and starts.")
    subnet_id: str = Field(description="The subnet to launch in, usually ${subnet.id}.")
    security_group_ids: list[str] = Field(
        min_length=1,
        max_length=MAX_SECURITY_GROUPS,
        description="At least one group: without one, AWS silently uses the VPC's default.",
    )
    key_name: str | None = Field(None, description="Key pair for SSH, e.g. ${key_pair.name}.")
    iam_instance_profile: str | None = Field(
        None, description="Instance profile name, e.g. ${profile.name}; changes in place."
    )
    associate_public_ip_address: bool | None = Field(
        None, description="Give the instance a public IPv4 address; omitted: the subnet decides."
    )
    private_ip_address: str | None = Field(
        None, description="Primary private IPv4 in the subnet; AWS picks one when omitted."
    )
    user_data: str | None = Field(
        None, description="Script or cloud-init run once, at first boot (at most 16 KB)."
    )
    user_data_template: str | None = Field(
        None,
        description="A Jinja2 file under templates/ rendered into user_data with the stack's "
        "variables, this instance as `resource` and template_vars; ${...} references inside "
        "resolve at apply time.",
    )
    template_vars: dict[str, Any] | None = Field(None, description=TEMPLATE_VARS_DESCRIPTION)
    root_volume: RootVolume | None = Field(
        None, description="Root EBS volume settings; omitted: the AMI's defaults."
    )
    metadata_options: MetadataOptions = Field(
        default_factory=MetadataOptions, description="Instance metadata service; IMDSv2 by default."
    )
    source_dest_check: bool = Field(
        True, description="false for instances that route traffic (NAT instances)."
    )
    disable_api_termination: bool = Field(
        False, description="Termination protection (destroy turns it off first)."
    )
    wait: Literal["running", "status_ok"] = Field(
        "running",
        description="Create waits until the instance is running, or until both status "
        "checks pass (status_ok: the instance has booted).",
    )

    _instance_type = field_validator("instance_type")(check_instance_type)
    _image = field_validator("image_id")(check_image_id)
    _groups = field_validator("security_group_ids")(check_group_ids)
    _profile = field_validator("iam_instance_profile")(check_profile_name)
    _private_ip = field_validator("private_ip_address")(check_private_ip)
    _user_data = field_validator("user_data")(check_user_data)
    _template_vars = field_validator("template_vars")(check_template_vars)

    @model_validator(mode="after")
    def _one_source(self) -> InstanceSpec:
        one_user_data_source(self.user_data, self.user_data_template, self.template_vars)
        return self


def reserved_tags(properties: dict[str, Any]) -> int:
    """How many of the 50 tags AWS allows stackdeploy's own tags take on this instance."""
    reserved = len(OWNERSHIP_TAGS) + len(MARK_TAGS)
    if properties.get("user_data") is not None:
        reserved += 1
    if properties.get("associate_public_ip_address") is not None:
        reserved += 1
    return reserved


def _instances(stack: Stack) -> Iterator[Any]:
    return (r for r in stack.resources.values() if r.type == TYPE_NAME)


def _same_vpc(stack: Stack) -> Iterator[Issue]:
    """An instance's groups must belong to its subnet's VPC (AWS fails the launch otherwise)."""
    for resource in _instances(stack):
        subnet = stack.target_of(resource.properties["subnet_id"])
        subnet_vpc = subnet.properties.get("vpc_id") if subnet is not None else None
        if subnet is None or subnet.type != "aws.ec2.subnet" or subnet_vpc is None:
            continue
        for index, group_ref in enumerate(resource.properties["security_group_ids"]):
            group = stack.target_of(group_ref)
            if group is None or group.type != "aws.ec2.security_group":
                continue
            group_vpc = group.properties.get("vpc_id")
            # Two references name two VPC resources, two literals two VPC ids; a reference
            # and a literal may well be the same VPC, so that pair is not compared.
            comparable = group_vpc is not None and is_ref_like(group_vpc) == is_ref_like(subnet_vpc)
            if comparable and group_vpc != subnet_vpc:
                yield Issue(
                    resource.logical_id,
                    ("security_group_ids", index),
                    f"security group '{group.logical_id}' is in VPC {group_vpc}, but subnet "
                    f"'{subnet.logical_id}' is in VPC {subnet_vpc}",
                    hint="an instance's security groups must belong to its subnet's VPC",
                )


# What a reference in each property must point at: (property, type, hint).
_REFERENCE_KINDS = (
    ("subnet_id", "aws.ec2.subnet", "an instance is launched into a subnet (${subnet.id})"),
    ("security_group_ids", "aws.ec2.security_group", "list security groups (${group.id})"),
    (
        "iam_instance_profile",
        "aws.iam.instance_profile",
        "EC2 takes an instance profile (aws.iam.instance_profile) holding the role",
    ),
)


def _referenced_kinds(stack: Stack) -> Iterator[Issue]:
    """A reference must name the right kind: a profile, not a role; a subnet, not a VPC."""
    for resource in _instances(stack):
        for name, kind, hint in _REFERENCE_KINDS:
            value = resource.properties.get(name)
            places = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            for index, item in places:
                target = stack.target_of(item, "name") or stack.target_of(item, "id")
                if target is None or target.type == kind:
                    continue
                yield Issue(
                    resource.logical_id,
                    (name,) if index is None else (name, index),
                    f"{name} refers to '{target.logical_id}', a {target.type}",
                    hint=hint,
                )


def _tag_room(stack: Stack) -> Iterator[Issue]:
    for resource in _instances(stack):
        tags = resource.properties.get("tags") or {}
        room = AWS_MAX_TAGS - reserved_tags(resource.properties)
        if len(tags) > room:
            yield Issue(
                resource.logical_id,
                ("tags",),
                f"{len(tags)} tags (with the stack's); this instance has room for {room}: "
                f"AWS allows {AWS_MAX_TAGS} and stackdeploy uses {AWS_MAX_TAGS - room}",
            )


def root_volume_needs_new_instance(before: Any, after: Any) -> bool:
    """Growing the root volume or changing its type (or its delete-on-termination flag) is
    done in place; shrinking it or changing its encryption needs a new instance."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        return bool(before != after)  # unknown live volume, or a reference: be safe
    shrinks = isinstance(after.get("size_gb"), int) and after["size_gb"] < (
        before.get("size_gb") or 0
    )
    return shrinks or after.get("encrypted") != before.get("encrypted")


def _delete_note(applied: dict[str, Any] | None) -> str | None:
    if not applied:
        return None
    notes = []
    if applied.get("disable_api_termination"):
        notes.append("termination protection is turned off first")
    root = applied.get("root_volume") or {}
    if root.get("delete_on_termination") is False:
        notes.append("its root volume is kept (and billed) after termination")
    return "; ".join(notes) or None


INSTANCE = ResourceType(
    exercise_settings={"disable_api_termination": False},
    name=TYPE_NAME,
    spec=InstanceSpec,
    summary="An EC2 instance; type, groups, profile and metadata options change in place.",
    attributes={
        "id": "Instance id (i-...)",
        "arn": "Instance ARN",
        "public_ip": "Public IPv4 (changes on stop/start; none when stopped)",
        "private_ip": "Primary private IPv4 (kept for the instance's life)",
        "public_dns_name": "Public DNS name (empty without a public IP)",
        "private_dns_name": "Private DNS name",
        "availability_zone": "The subnet's availability zone",
        "vpc_id": "The subnet's VPC",
    },
    create_only=frozenset(
        {
            "image_id",
            "subnet_id",
            "key_name",
            "associate_public_ip_address",
            "private_ip_address",
            "user_data",
        }
    ),
    replace_when={"root_volume": root_volume_needs_new_instance},
    write_only=frozenset({"wait"}),
    unordered=frozenset({"security_group_ids"}),
    replace_notes={
        "image_id": "an instance's AMI is fixed at launch",
        "subnet_id": "an instance cannot move to another subnet or zone",
        "key_name": "the key pair is installed at first boot",
        "associate_public_ip_address": "the public IPv4 choice is made at launch",
        "private_ip_address": "the primary private IPv4 is fixed at launch",
        "user_data": "user data runs only at first boot, so the instance is replaced",
        "root_volume": "a root volume cannot shrink or change its encryption in place",
    },
    update_notes={
        "root_volume": "the volume grows or changes type while in use (ModifyVolume; AWS "
        "allows one modification per volume every 6 hours); grow the file system after",
        "instance_type": "the instance is stopped and started: a short outage, and a new public IP",
        "iam_instance_profile": "the new role's credentials reach the instance within minutes",
    },
    checks=(_same_vpc, _referenced_kinds, _tag_room, user_data_size(TYPE_NAME)),
    delete_notes=_delete_note,
    digest_properties=frozenset({"user_data"}),
    template_properties={"user_data_template": "user_data"},
    typical_create_seconds=30.0,
    references={
        "subnet_id": refers_to("aws.ec2.subnet"),
        "security_group_ids[]": refers_to("aws.ec2.security_group"),
        "key_name": refers_to("aws.ec2.key_pair", by="name"),
        "iam_instance_profile": refers_to("aws.iam.instance_profile", by="name"),
    },
)
