"""aws.ec2.launch_template on EC2: the template, and a new default version per change.

A read is DescribeLaunchTemplates (by ownership tag, or by id) plus one
DescribeLaunchTemplateVersions per template for its default version's data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code, is_not_found
from stackdeploy.aws.session import RetryingClient
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.base import Ec2Provider
from stackdeploy.providers.ec2.common import ec2_arn, id_filter, tag_specifications
from stackdeploy.providers.ec2.launch_data import (
    decode_user_data,
    encode_user_data,
    filter_chunks,
    metadata_from,
    metadata_request,
    profile_name,
    root_device_name,
    root_volume_mapping,
)
from stackdeploy.providers.ec2.settle import read_settled
from stackdeploy.providers.ownership import split_tags
from stackdeploy.specs.ec2.launch_template import LAUNCH_DATA, LAUNCH_TEMPLATE


class LaunchTemplateProvider(Ec2Provider):
    rtype = LAUNCH_TEMPLATE
    describe_method = "describe_launch_templates"
    result_key = "LaunchTemplates"
    id_filter_name = "launch-template-id"  # not an AWS filter: read_many passes ids instead
    tag_resource_type = "launch-template"

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        if not physical_ids:
            return {}
        ec2 = self.ec2(region)
        try:
            templates = ec2.paginate(
                "describe_launch_templates", "LaunchTemplates", LaunchTemplateIds=list(physical_ids)
            )
        except ClientError as error:
            if not is_not_found(error):
                raise
            # AWS fails the whole call when any id is gone: read the rest one by one.
            templates = [t for i in physical_ids for t in _describe_by_id(ec2, i)]
        return {live.physical_id: live for live in self._to_lives(region, templates)}

    def _describe(self, region: str, filters: list[dict[str, Any]]) -> list[LiveResource]:
        return self._to_lives(region, self.describe_items(region, filters))

    def _to_lives(self, region: str, templates: list[dict[str, Any]]) -> list[LiveResource]:
        # Tags come from DescribeTags, one call for the batch: it is authoritative, while
        # moto's DescribeLaunchTemplates repeats the tags the template was created with.
        ids = [t["LaunchTemplateId"] for t in templates]
        tags = _tags_by_id(self.ec2(region), ids)
        versions = _default_versions(self.ec2(region), ids)
        return [
            self._live(region, {**t, "Tags": tags.get(t["LaunchTemplateId"], [])}, version)
            for t in templates
            # None: deleted between the two reads
            if (version := versions.get(t["LaunchTemplateId"])) is not None
        ]

    def to_live(self, region: str, template: dict[str, Any]) -> LiveResource | None:
        template_id = template["LaunchTemplateId"]
        version = _default_versions(self.ec2(region), [template_id]).get(template_id)
        return None if version is None else self._live(region, template, version)

    def _live(self, region: str, template: dict[str, Any], version: dict[str, Any]) -> LiveResource:
        template_id = template["LaunchTemplateId"]
        tags, owner = split_tags(template.get("Tags"))
        properties = {
            "name": template["LaunchTemplateName"],
            **_launch_properties(version.get("LaunchTemplateData") or {}),
            "tags": tags,
            "id": template_id,
            "arn": ec2_arn(region, self._owner(template), "launch-template", template_id),
            "latest_version": int(template["LatestVersionNumber"]),
            "default_version": int(template["DefaultVersionNumber"]),
        }
        return LiveResource.tagged(self.rtype.name, template_id, region, properties, owner)

    def _owner(self, template: Mapping[str, Any]) -> str:
        # CreatedBy is the creator's ARN (arn:aws:iam::<account>:...); the account owns it.
        parts = str(template.get("CreatedBy") or "").split(":")
        return parts[4] if len(parts) > 4 and parts[4] else self.clients.account_id()

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        ec2 = self.ec2(ctx.region)
        try:
            response = ec2.create_launch_template(
                LaunchTemplateName=props["name"],
                LaunchTemplateData=launch_template_data(ec2, props),
                ClientToken=ctx.token,
                TagSpecifications=self.creation_tags(ctx, props),
            )
        except ClientError as error:
            if not has_code(error, "InvalidLaunchTemplateName.AlreadyExistsException"):
                raise
            raise ProviderError(
                f"a launch template named '{props['name']}' already exists in {ctx.region} "
                "and this stack does not own it",
                code="InvalidLaunchTemplateName.AlreadyExistsException",
                hint="choose another name, or delete the other template",
                address=ctx.address,
            ) from error
        template_id = response["LaunchTemplate"]["LaunchTemplateId"]
        return self.read_after_write(ctx, template_id)

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        ec2 = self.ec2(ctx.region)
        template_id = live.physical_id
        changed = {change.path for change in changes}
        if changed & set(LAUNCH_DATA):
            # The full data, never a delta on SourceVersion: a version is then exactly the
            # spec (moto ignores SourceVersion entirely, so deltas would lose fields there).
            version = ec2.create_launch_template_version(
                LaunchTemplateId=template_id,
                LaunchTemplateData=launch_template_data(ec2, props),
                ClientToken=ctx.token,
            )["LaunchTemplateVersion"]["VersionNumber"]
            ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion=str(version))
        if "tags" in changed:
            self.sync_user_tags(ctx, template_id, props["tags"], live.properties["tags"])
        return read_settled(self, ctx, template_id, props)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        ec2 = self.ec2(ctx.region)
        self.ignore_not_found(lambda: ec2.delete_launch_template(LaunchTemplateId=live.physical_id))


def launch_template_data(ec2: RetryingClient, props: Mapping[str, Any]) -> dict[str, Any]:
    """The spec as LaunchTemplateData; properties left out (None) are left out of the data."""
    data: dict[str, Any] = {
        "ImageId": props["image_id"],
        "MetadataOptions": metadata_request(props["metadata_options"]),
    }
    if props.get("instance_type") is not None:
        data["InstanceType"] = props["instance_type"]
    if props.get("security_group_ids"):
        data["SecurityGroupIds"] = list(props["security_group_ids"])
    if props.get("iam_instance_profile") is not None:
        data["IamInstanceProfile"] = {"Name": props["iam_instance_profile"]}
    if props.get("key_name") is not None:
        data["KeyName"] = props["key_name"]
    if props.get("user_data") is not None:
        # Unlike RunInstances, launch template data takes user data already base64-encoded.
        data["UserData"] = encode_user_data(props["user_data"])
    if props.get("root_volume") is not None:
        device = root_device_name(ec2, props["image_id"])
        data["BlockDeviceMappings"] = root_volume_mapping(device, props["root_volume"])
    if props.get("instance_tags"):
        data["TagSpecifications"] = [
            *tag_specifications("instance", props["instance_tags"]),
            *tag_specifications("volume", props["instance_tags"]),
        ]
    return data


def _launch_properties(data: Mapping[str, Any]) -> dict[str, Any]:
    profile = data.get("IamInstanceProfile") or {}
    return {
        "image_id": data.get("ImageId"),
        "instance_type": data.get("InstanceType"),
        "security_group_ids": sorted(data.get("SecurityGroupIds") or []),
        "iam_instance_profile": profile.get("Name") or profile_name(profile.get("Arn")),
        "key_name": data.get("KeyName"),
        "user_data": decode_user_data(data.get("UserData")),
        "metadata_options": metadata_from(data.get("MetadataOptions")),
        "root_volume": _root_volume(data.get("BlockDeviceMappings") or []),
        "instance_tags": _instance_tags(data.get("TagSpecifications") or []),
    }


def _root_volume(mappings: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    # The data holds only the root volume mapping this provider wrote, if any.
    ebs = next((m["Ebs"] for m in mappings if m.get("Ebs")), None)
    if ebs is None:
        return None
    return {
        "size_gb": ebs.get("VolumeSize"),
        "volume_type": ebs.get("VolumeType"),
        "encrypted": bool(ebs.get("Encrypted")),
        "delete_on_termination": bool(ebs.get("DeleteOnTermination")),
    }


def _instance_tags(specifications: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    # Instance and volume tags are written alike; the instance's are the ones reported.
    for specification in specifications:
        if specification.get("ResourceType") == "instance":
            return {t["Key"]: t.get("Value", "") for t in specification.get("Tags", [])}
    return {}


def _tags_by_id(ec2: RetryingClient, template_ids: Sequence[str]) -> dict[str, list[Any]]:
    tags: dict[str, list[Any]] = {}
    for chunk in filter_chunks(template_ids):
        for tag in ec2.paginate("describe_tags", "Tags", Filters=id_filter("resource-id", chunk)):
            tags.setdefault(tag["ResourceId"], []).append(tag)
    return tags


def _describe_by_id(ec2: RetryingClient, template_id: str) -> list[dict[str, Any]]:
    try:
        return list(
            ec2.describe_launch_templates(LaunchTemplateIds=[template_id])["LaunchTemplates"]
        )
    except ClientError as error:
        if is_not_found(error):
            return []
        raise


def _default_versions(ec2: RetryingClient, template_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The default version of each template, by id. For several, one account-wide
    DescribeLaunchTemplateVersions of `$Default` (AWS takes no list of template ids with it)
    instead of one call per template."""
    if len(template_ids) > 1:
        wanted = set(template_ids)
        versions = ec2.paginate(
            "describe_launch_template_versions", "LaunchTemplateVersions", Versions=["$Default"]
        )
        return {v["LaunchTemplateId"]: dict(v) for v in versions if v["LaunchTemplateId"] in wanted}
    found: dict[str, dict[str, Any]] = {}
    for template_id in template_ids:
        try:
            versions = ec2.describe_launch_template_versions(
                LaunchTemplateId=template_id, Versions=["$Default"]
            )["LaunchTemplateVersions"]
        except ClientError as error:
            if is_not_found(error):
                continue
            raise
        if versions:
            found[template_id] = dict(versions[0])
    return found
