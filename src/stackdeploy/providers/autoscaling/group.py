"""aws.autoscaling.group on EC2 Auto Scaling: the group's name is its physical id.

Create sends the ownership tags in CreateAutoScalingGroup itself. AWS has no client token
here: a second create of the same name answers AlreadyExists, and a group carrying this
stack's and this logical id's tags is then adopted (an interrupted earlier create) and
updated to the spec, while anyone else's group is left alone with a clear error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.autoscaling import teardown
from stackdeploy.providers.autoscaling.capacity import utc_now, wait_for_capacity
from stackdeploy.providers.autoscaling.common import (
    chunks,
    creation_tags,
    describe_group,
    describe_groups,
    group_properties,
    is_deleting,
    owner_of,
    tag_changes,
)
from stackdeploy.providers.autoscaling.requests import (
    create_request,
    not_yet_visible,
    profile_not_propagated,
    update_request,
)
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.ec2.common import owned_filter
from stackdeploy.providers.ec2.settle import read_settled
from stackdeploy.providers.ownership import describe_owner, is_made_for, split_tags
from stackdeploy.specs.autoscaling.group import AUTOSCALING_GROUP
from stackdeploy.specs.base import CLAIM_TAGS

_ATTACH_BATCH = 10  # Attach/Detach LoadBalancers and TargetGroups take at most 10 per call


class AutoScalingGroupProvider(Provider):
    rtype = AUTOSCALING_GROUP

    def asg(self, region: str) -> RetryingClient:
        return self.clients.client("autoscaling", region)

    def to_live(self, region: str, group: dict[str, Any]) -> LiveResource | None:
        # A group being deleted cannot be used or updated; it does not count as existing.
        if is_deleting(group):
            return None
        _, owner = split_tags(group.get("Tags"))
        name = str(group["AutoScalingGroupName"])
        return LiveResource.tagged(self.rtype.name, name, region, group_properties(group), owner)

    def _lives(self, region: str, groups: list[dict[str, Any]]) -> list[LiveResource]:
        found = (self.to_live(region, group) for group in groups)
        return [live for live in found if live is not None]

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        groups = describe_groups(self.asg(region), filters=owned_filter(stack))
        # The tag filter is checked again: another stack's group is never read as ours.
        return self._lives(region, [g for g in groups if owner_of(g).stack == stack])

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        if not physical_ids:
            return {}
        groups = describe_groups(self.asg(region), names=physical_ids)
        return {live.physical_id: live for live in self._lives(region, groups)}

    # -- create and update -----------------------------------------------------------------

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        started = utc_now()
        try:
            self._create_group(ctx, props)
        except ClientError as error:
            if not has_code(error, "AlreadyExists"):
                raise
            return self._take_over(ctx, props, started)
        return self._finish(ctx, props, started)

    def _create_group(self, ctx: ResourceContext, props: dict[str, Any]) -> None:
        asg = self.asg(ctx.region)
        tags = {**props["tags"], **ctx.ownership_tags()}
        request = create_request(props["name"], props, tags)
        self._settling(
            ctx,
            "autoscaling.CreateAutoScalingGroup",
            lambda: asg.create_auto_scaling_group(**request),
        )

    def _take_over(
        self, ctx: ResourceContext, props: dict[str, Any], started: datetime
    ) -> LiveResource:
        """The name is taken: adopt our own interrupted create, wait out a deletion, or stop."""
        name = props["name"]
        asg = self.asg(ctx.region)
        existing = describe_group(asg, name)
        if existing is None or is_deleting(existing):
            # An earlier destroy or replacement is still deleting it; the name frees up when
            # it is gone. A second clash after that is someone else's and an error.
            teardown.wait_gone(ctx, asg, name)
            self._create_group(ctx, props)
            return self._finish(ctx, props, started)
        owner = owner_of(existing)
        if not is_made_for(owner, ctx):
            raise ProviderError(
                f"an Auto Scaling group named '{name}' already exists ({describe_owner(owner)})",
                code="AlreadyExists",
                address=ctx.address,
                hint="give this group another name, or delete the existing one first",
            )
        return self._update(ctx, existing, props, started)

    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        self.asg(ctx.region).create_or_update_tags(
            Tags=creation_tags(live.physical_id, ctx.ownership_tags())
        )

    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        tags = [
            {"ResourceId": live.physical_id, "ResourceType": "auto-scaling-group", "Key": key}
            for key in CLAIM_TAGS
        ]
        asg = self.asg(ctx.region)
        if describe_group(asg, live.physical_id) is None:
            return  # gone already (DeleteTags on a missing group is no clean NotFound)
        self.ignore_not_found(lambda: asg.delete_tags(Tags=tags))

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        started = utc_now()
        # Read afresh: what is attached and tagged now, not as planned, decides the calls.
        group = describe_group(self.asg(ctx.region), live.physical_id)
        if group is None or is_deleting(group):
            raise ProviderError(
                f"Auto Scaling group {live.physical_id} no longer exists",
                code="ValidationError",
                address=ctx.address,
                hint="run plan again: it will create the group anew",
            )
        return self._update(ctx, group, props, started)

    def _update(
        self,
        ctx: ResourceContext,
        group: dict[str, Any],
        props: dict[str, Any],
        started: datetime,
    ) -> LiveResource:
        asg = self.asg(ctx.region)
        name = str(group["AutoScalingGroupName"])
        request = update_request(group, props)
        if request:
            self._settling(
                ctx,
                "autoscaling.UpdateAutoScalingGroup",
                lambda: asg.update_auto_scaling_group(AutoScalingGroupName=name, **request),
            )
        self._sync_attachments(ctx, name, group, props)
        # Ownership tags are restored too, should someone have removed them.
        wanted = {**props["tags"], **ctx.ownership_tags()}
        upserts, deletions = tag_changes(name, group.get("Tags") or [], wanted)
        if deletions:
            asg.delete_tags(Tags=deletions)
        if upserts:
            asg.create_or_update_tags(Tags=upserts)
        return self._finish(ctx, props, started)

    def _sync_attachments(
        self, ctx: ResourceContext, name: str, group: dict[str, Any], props: dict[str, Any]
    ) -> None:
        asg = self.asg(ctx.region)
        kinds: list[tuple[str, str, Callable[..., Any], Callable[..., Any]]] = [
            (
                "TargetGroupARNs",
                "target_group_arns",
                asg.attach_load_balancer_target_groups,
                asg.detach_load_balancer_target_groups,
            ),
            (
                "LoadBalancerNames",
                "load_balancer_names",
                asg.attach_load_balancers,
                asg.detach_load_balancers,
            ),
        ]
        for key, prop, attach, detach in kinds:
            have, want = list(group.get(key) or []), list(props[prop])
            added = [item for item in want if item not in have]
            removed = [item for item in have if item not in want]
            # Attach before detaching, so a swap keeps the instances in service somewhere.
            for batch in chunks(added, _ATTACH_BATCH):
                call = partial(attach, AutoScalingGroupName=name, **{key: batch})
                self._settling(ctx, f"autoscaling.Attach{key}", call)
            for batch in chunks(removed, _ATTACH_BATCH):
                detach(AutoScalingGroupName=name, **{key: batch})

    def _finish(
        self, ctx: ResourceContext, props: dict[str, Any], started: datetime
    ) -> LiveResource:
        if props.get("wait_for_capacity"):
            wait_for_capacity(self.clients, ctx, props["name"], started)
        return read_settled(self, ctx, props["name"], props)

    def _settling(self, ctx: ResourceContext, operation: str, call: Callable[[], object]) -> None:
        """Run a create/update/attach call, retrying while AWS catches up with what was just
        created: briefly for an unseen template, target group or load balancer (so a typo'd
        id fails fast), longer for an instance profile still propagating through IAM."""

        def until_visible() -> None:
            retry_while(
                call,
                codes=set(),
                matches=not_yet_visible,
                deadline=ctx.timing.visibility_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation=operation,
            )

        retry_while(
            until_visible,
            codes=set(),
            matches=profile_not_propagated,
            deadline=ctx.timing.consistency_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation=operation,
        )

    # -- delete ------------------------------------------------------------------------------

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        asg = self.asg(ctx.region)
        name = live.physical_id
        # What AWS does not store (the force_delete choice) comes from the last apply.
        force = bool(ctx.applied and ctx.applied.get("force_delete"))
        group = describe_group(asg, name)
        if group is not None:
            if not is_deleting(group):
                if not force:
                    teardown.drain(ctx, asg, group)
                teardown.delete_group(ctx, asg, name, force=force)
            teardown.wait_gone(ctx, asg, name)
        teardown.wait_instances_terminated(self.clients, ctx, name)
