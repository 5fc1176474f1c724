"""aws.ec2.launch_template: what an Auto Scaling group (or RunInstances) launches.

A launch template is versioned: any change to its launch data is a new version that becomes
the default, never a replacement. Instances already running keep the version they were
launched from.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import ResourceType, TaggedSpec, check_user_tags, is_ref_like
from stackdeploy.specs.ec2.instance_options import (
    LAUNCH_TEMPLATE_NAME,
    TEMPLATE_VARS_DESCRIPTION,
    MetadataOptions,
    RootVolume,
    check_group_ids,
    check_image_id,
    check_instance_type,
    check_profile_name,
    check_template_vars,
    check_user_data,
    one_user_data_source,
    user_data_size,
)
from stackdeploy.specs.references import refers_to

TYPE_NAME = "aws.ec2.launch_template"
# Properties that make up the launch data: a change to any of them is a new version.
LAUNCH_DATA = (
    "image_id",
    "instance_type",
    "security_group_ids",
    "iam_instance_profile",
    "key_name",
    "user_data",
    "metadata_options",
    "root_volume",
    "instance_tags",
)
_NEW_VERSION = (
    "a new template version becomes the default; running instances keep theirs until "
    "replaced (an Auto Scaling group's next launches use it)"
)


class LaunchTemplateSpec(TaggedSpec):
    name: str | None = Field(
        None, description="Template name, unique in the region; <stack>-<id> when omitted."
    )
    image_id: str = Field(
        description="AMI id, or a lookup such as "
        "${ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}."
    )
    instance_type: str | None = Field(
        None, description="e.g. t3.micro; omitted, the launch (or ASG override) gives it."
    )
    security_group_ids: list[str] = Field(
        default_factory=list, description="Security groups of launched instances."
    )
    iam_instance_profile: str | None = Field(
        None, description="Instance profile name for launched instances, e.g. ${profile.name}."
    )
    key_name: str | None = Field(None, description="Key pair for SSH.")
    user_data: str | None = Field(None, description="Run once at each instance's first boot.")
    user_data_template: str | None = Field(
        None,
        description="A Jinja2 file under templates/ rendered into user_data with the stack's "
        "variables, this template as `resource` and template_vars.",
    )
    template_vars: dict[str, Any] | None = Field(None, description=TEMPLATE_VARS_DESCRIPTION)
    metadata_options: MetadataOptions = Field(
        default_factory=MetadataOptions, description="Instance metadata service; IMDSv2 by default."
    )
    root_volume: RootVolume | None = Field(None, description="Root EBS volume settings.")
    instance_tags: dict[str, str] = Field(
        default_factory=dict, description="Tags put on launched instances and their volumes."
    )

    _image = field_validator("image_id")(check_image_id)
    _instance_type = field_validator("instance_type")(check_instance_type)
    _groups = field_validator("security_group_ids")(check_group_ids)
    _profile = field_validator("iam_instance_profile")(check_profile_name)
    _user_data = field_validator("user_data")(check_user_data)
    _template_vars = field_validator("template_vars")(check_template_vars)
    _instance_tags = field_validator("instance_tags")(check_user_tags)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None or is_ref_like(value) or LAUNCH_TEMPLATE_NAME.match(value):
            return value
        raise ValueError(
            f"'{value}' is not a launch template name: 3 to 128 letters, digits and ( ) . - / _"
        )

    @model_validator(mode="after")
    def _one_source(self) -> LaunchTemplateSpec:
        one_user_data_source(self.user_data, self.user_data_template, self.template_vars)
        return self


LAUNCH_TEMPLATE = ResourceType(
    name=TYPE_NAME,
    spec=LaunchTemplateSpec,
    summary="A launch template; launch data changes are new default versions, in place.",
    attributes={
        "id": "Launch template id (lt-...)",
        "arn": "Launch template ARN",
        "latest_version": "Number of the newest version",
        "default_version": "Number of the default version",
    },
    create_only=frozenset({"name"}),
    unordered=frozenset({"security_group_ids"}),
    replace_notes={"name": "a launch template cannot be renamed"},
    update_notes=dict.fromkeys(LAUNCH_DATA, _NEW_VERSION),
    checks=(user_data_size(TYPE_NAME),),
    name_property="name",
    name_max_length=128,
    template_properties={"user_data_template": "user_data"},
    references={
        "security_group_ids[]": refers_to("aws.ec2.security_group"),
        "key_name": refers_to("aws.ec2.key_pair", by="name"),
        "iam_instance_profile": refers_to("aws.iam.instance_profile", by="name"),
    },
)
