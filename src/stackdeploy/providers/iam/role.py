"""aws.iam.role on IAM: CreateRole with tags, then policies; emptied before DeleteRole.

What a refresh costs (IAM has no batched read and no tag filter):
- per role: GetRole (settings, trust policy, tags), ListAttachedRolePolicies, ListRolePolicies
  and one GetRolePolicy per inline policy, so 3 + k calls, a few roles at a time;
- per stack: one ListRoles (1000 roles a page) to find roles named `<stack>-...`; only those
  whose GetRole shows this stack's ownership tag are read further.

IAM is eventually consistent: a new role can be unknown to other services for seconds. The
services that use it retry (see the instance profile and the compute family); nothing here
waits.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.iam.common import (
    IamProvider,
    iam_tags,
    name_taken,
    no_longer_exists,
    or_none,
    tag_value,
)
from stackdeploy.providers.iam.role_policies import (
    attached_arns,
    converge,
    detach_everything,
    inline_documents,
)
from stackdeploy.providers.ownership import is_made_for, split_tags
from stackdeploy.specs.base import OWNERSHIP_TAG_STACK
from stackdeploy.specs.iam.policy import policy_from_aws, policy_json
from stackdeploy.specs.iam.role import ROLE


class RoleProvider(IamProvider):
    rtype = ROLE
    list_method = "list_roles"
    list_key = "Roles"
    name_key = "RoleName"
    tag_method = "tag_role"
    name_parameter = "RoleName"

    def read_one(
        self, iam: RetryingClient, region: str, name: str, stack: str | None = None
    ) -> LiveResource | None:
        response = or_none(partial(iam.get_role, RoleName=name))
        if response is None:
            return None
        role = response["Role"]
        if stack is not None and tag_value(role.get("Tags"), OWNERSHIP_TAG_STACK) != stack:
            return None
        # The role may be deleted between these calls: then it is simply gone.
        managed = or_none(partial(attached_arns, iam, name))
        inline = or_none(partial(inline_documents, iam, name))
        if managed is None or inline is None:
            return None
        tags, owner = split_tags(role.get("Tags"))
        properties = {
            "name": role["RoleName"],
            "path": role.get("Path", "/"),
            # AWS omits an empty description.
            "description": role.get("Description") or "",
            "assume_role_policy": policy_from_aws(role.get("AssumeRolePolicyDocument")),
            "managed_policy_arns": managed,
            "inline_policies": inline,
            "max_session_duration": role.get("MaxSessionDuration", 3600),
            "tags": tags,
            "id": role["RoleName"],
            "arn": role["Arn"],
            "unique_id": role["RoleId"],
        }
        return LiveResource.tagged(self.rtype.name, role["RoleName"], region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        iam = self.iam(ctx.region)
        name = props["name"]
        request: dict[str, Any] = {
            "RoleName": name,
            "Path": props["path"],
            "AssumeRolePolicyDocument": policy_json(props["assume_role_policy"]),
            "MaxSessionDuration": props["max_session_duration"],
            # Ownership in the create call itself: an interrupted apply finds the role again.
            "Tags": iam_tags({**props["tags"], **ctx.ownership_tags()}),
        }
        if props["description"]:
            request["Description"] = props["description"]
        try:
            iam.create_role(**request)
            # What a role just created holds: its settings, no policies, its tags.
            current: dict[str, Any] = {
                **props,
                "managed_policy_arns": [],
                "inline_policies": {},
            }
        except ClientError as error:
            if not has_code(error, "EntityAlreadyExists"):
                raise
            current = self._adoptable(ctx, iam, name)
        converge(ctx, iam, name, current, props)
        return self.read_after_write(ctx, name)

    def _adoptable(self, ctx: ResourceContext, iam: RetryingClient, name: str) -> dict[str, Any]:
        """The existing role's properties if an earlier, interrupted run of this very resource
        created it; otherwise the name belongs to someone else."""
        # Given the stack, someone else's role is not read beyond its GetRole.
        live = self.read_one(iam, ctx.region, name, stack=ctx.stack)
        if live is None or not is_made_for(live.owner, ctx):
            raise name_taken(ctx, "role", name)
        return live.properties

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        iam = self.iam(ctx.region)
        # Read afresh: what AWS holds now, not what the plan saw, decides the calls.
        current = self.read_one(iam, ctx.region, live.physical_id)
        if current is None:
            raise no_longer_exists(ctx, "IAM role", live.physical_id, "role")
        converge(ctx, iam, live.physical_id, current.properties, props)
        return self.read_after_write(ctx, live.physical_id)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        iam = self.iam(ctx.region)
        name = live.physical_id

        def empty_and_delete() -> None:
            # Everything that holds the role or hangs on it must go first, or DeleteRole
            # answers DeleteConflict. A role already gone (NoSuchEntity anywhere) is done.
            detach_everything(iam, name)
            iam.delete_role(RoleName=name)

        # Right after the detaches IAM may still see them for a moment: the whole sequence
        # is retried (re-listing, in case something was attached meanwhile).
        self.delete_emptied(ctx, "iam.DeleteRole", empty_and_delete)
