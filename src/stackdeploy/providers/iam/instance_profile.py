"""aws.iam.instance_profile on IAM: CreateInstanceProfile with tags, then its one role.

What a refresh costs: one GetInstanceProfile per profile (it returns the role and the tags),
plus one ListInstanceProfiles per stack (1000 profiles a page) to find profiles named
`<stack>-...`. ListInstanceProfiles does not return tags, so a candidate's ownership is
confirmed by its GetInstanceProfile.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.iam.common import (
    IamProvider,
    iam_tags,
    ignoring_not_found,
    name_taken,
    no_longer_exists,
    or_none,
    sync_iam_tags,
    tag_value,
)
from stackdeploy.providers.ownership import made_for, split_tags
from stackdeploy.specs.base import OWNERSHIP_TAG_STACK
from stackdeploy.specs.iam.instance_profile import INSTANCE_PROFILE


class InstanceProfileProvider(IamProvider):
    rtype = INSTANCE_PROFILE
    list_method = "list_instance_profiles"
    list_key = "InstanceProfiles"
    name_key = "InstanceProfileName"
    tag_method = "tag_instance_profile"
    name_parameter = "InstanceProfileName"

    def read_one(
        self, iam: RetryingClient, region: str, name: str, stack: str | None = None
    ) -> LiveResource | None:
        profile = self._get(iam, name)
        if profile is None:
            return None
        if stack is not None and tag_value(profile.get("Tags"), OWNERSHIP_TAG_STACK) != stack:
            return None
        return self._to_live(region, profile)

    @staticmethod
    def _get(iam: RetryingClient, name: str) -> dict[str, Any] | None:
        response = or_none(partial(iam.get_instance_profile, InstanceProfileName=name))
        return None if response is None else dict(response["InstanceProfile"])

    def _to_live(self, region: str, profile: dict[str, Any]) -> LiveResource:
        name = profile["InstanceProfileName"]
        tags, owner = split_tags(profile.get("Tags"))
        roles = profile.get("Roles") or []
        properties = {
            "name": name,
            "path": profile.get("Path", "/"),
            # A profile holds at most one role; an empty one reads as None, which never
            # equals the role a spec names.
            "role": roles[0]["RoleName"] if roles else None,
            "tags": tags,
            "id": name,
            "arn": profile["Arn"],
        }
        return LiveResource.tagged(self.rtype.name, name, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        iam = self.iam(ctx.region)
        name = props["name"]
        try:
            created = iam.create_instance_profile(
                InstanceProfileName=name,
                Path=props["path"],
                Tags=iam_tags({**props["tags"], **ctx.ownership_tags()}),
            )["InstanceProfile"]
        except ClientError as error:
            if not has_code(error, "EntityAlreadyExists"):
                raise
            created = self._get(iam, name)
            # Only an earlier, interrupted run of this very resource may be adopted.
            if created is None or not made_for(created.get("Tags"), ctx):
                raise name_taken(ctx, "instance profile", name) from error
            current, _ = split_tags(created.get("Tags"))
            self._sync_tags(iam, name, props["tags"], current)
        self._set_role(ctx, iam, name, [r["RoleName"] for r in created.get("Roles") or []], props)
        return self.read_after_write(ctx, name)

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        iam = self.iam(ctx.region)
        name = live.physical_id
        # Read afresh: removing a role the profile no longer holds is an error in IAM.
        profile = self._get(iam, name)
        if profile is None:
            raise no_longer_exists(ctx, "instance profile", name, "profile")
        roles = [r["RoleName"] for r in profile.get("Roles") or []]
        self._set_role(ctx, iam, name, roles, props)
        current, _ = split_tags(profile.get("Tags"))
        self._sync_tags(iam, name, props["tags"], current)
        return self.read_after_write(ctx, name)

    @staticmethod
    def _sync_tags(
        iam: RetryingClient, name: str, desired: dict[str, str], current: dict[str, str]
    ) -> None:
        sync_iam_tags(
            partial(iam.tag_instance_profile, InstanceProfileName=name),
            partial(iam.untag_instance_profile, InstanceProfileName=name),
            desired,
            current,
        )

    def _set_role(
        self,
        ctx: ResourceContext,
        iam: RetryingClient,
        name: str,
        current: list[str],
        props: dict[str, Any],
    ) -> None:
        """Make the profile hold exactly the spec's role (it can hold only one)."""
        role = props["role"]
        for other in (r for r in current if r != role):
            ignoring_not_found(
                iam.remove_role_from_instance_profile, InstanceProfileName=name, RoleName=other
            )
        if role in current:
            return
        # A role created moments ago (or this profile) can be unknown to IAM for a while.
        retry_while(
            lambda: iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role),
            codes=frozenset({"NoSuchEntity"}),
            deadline=ctx.timing.consistency_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation="iam.AddRoleToInstanceProfile",
        )

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        iam = self.iam(ctx.region)
        name = live.physical_id

        def empty_and_delete() -> None:
            profile = self._get(iam, name)
            if profile is None:
                return
            for role in profile.get("Roles") or []:
                ignoring_not_found(
                    iam.remove_role_from_instance_profile,
                    InstanceProfileName=name,
                    RoleName=role["RoleName"],
                )
            iam.delete_instance_profile(InstanceProfileName=name)

        # A role just removed can still block the delete for a moment.
        self.delete_emptied(ctx, "iam.DeleteInstanceProfile", empty_and_delete)
