"""aws.ec2.instance on EC2: RunInstances with a client token, in-place attribute changes,
TerminateInstances waited on until terminated.

Refresh reads every instance of the stack with one DescribeInstances, their root volumes with
one DescribeVolumes and their instance profiles with one
DescribeIamInstanceProfileAssociations; termination protection is the only per-instance read
(DescribeInstanceAttribute), as AWS returns it nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.base import Ec2Provider
from stackdeploy.providers.ec2.common import owned_filter
from stackdeploy.providers.ec2.instance_launch import launch, run_request
from stackdeploy.providers.ec2.instance_reads import (
    describe_instances,
    launched_by_group,
    live_filters,
    read_instances,
)
from stackdeploy.providers.ec2.instance_updates import update_instance
from stackdeploy.providers.ec2.instance_waits import wait_for_state, wait_status_ok, wait_terminated
from stackdeploy.providers.ec2.settle import read_settled
from stackdeploy.specs.ec2.instance import INSTANCE

_NOT_YET_VISIBLE = frozenset({"InvalidInstanceID.NotFound"})


class InstanceProvider(Ec2Provider):
    rtype = INSTANCE
    describe_method = "describe_instances"
    result_key = "Reservations"
    id_filter_name = "instance-id"
    tag_resource_type = "instance"

    def fetch_items(self, region: str, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return describe_instances(self.ec2(region), live_filters(filters))

    def _describe(self, region: str, filters: list[dict[str, Any]]) -> list[LiveResource]:
        return read_instances(self.ec2(region), region, self.describe_items(region, filters))

    def to_live(self, region: str, item: dict[str, Any]) -> LiveResource | None:
        found = read_instances(self.ec2(region), region, [item])
        return found[0] if found else None

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        # An Auto Scaling group's instances may carry its propagated ownership tags; they are
        # the group's, and adopting one would plan it as a duplicate to terminate.
        items = [
            i for i in self.describe_items(region, owned_filter(stack)) if not launched_by_group(i)
        ]
        return read_instances(self.ec2(region), region, items)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        ec2 = self.ec2(ctx.region)
        instance_id = launch(ctx, ec2, run_request(ec2, ctx, props))
        if not props["source_dest_check"]:
            # Not a RunInstances parameter; NAT instances need it off.
            self.while_not_visible(
                ctx,
                "ec2.ModifyInstanceAttribute",
                lambda: ec2.modify_instance_attribute(
                    InstanceId=instance_id, SourceDestCheck={"Value": False}
                ),
                _NOT_YET_VISIBLE,
            )
        wait_for_state(ctx, ec2, instance_id, "running")
        if props.get("wait") == "status_ok":
            wait_status_ok(ctx, ec2, instance_id)
        return read_settled(self, ctx, instance_id, props)

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        changed = {change.path for change in changes}
        update_instance(ctx, self.ec2(ctx.region), live.physical_id, props, changed)
        return read_settled(self, ctx, live.physical_id, props)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        ec2 = self.ec2(ctx.region)
        instance_id = live.physical_id

        def unprotect() -> None:
            self.ignore_not_found(
                lambda: ec2.modify_instance_attribute(
                    InstanceId=instance_id, DisableApiTermination={"Value": False}
                )
            )

        # The user asked to destroy it: termination protection is lifted first.
        if live.properties.get("disable_api_termination"):
            unprotect()
        try:
            self.ignore_not_found(lambda: ec2.terminate_instances(InstanceIds=[instance_id]))
        except ClientError as error:
            if not has_code(error, "OperationNotPermitted"):
                raise
            unprotect()  # protection turned on since the last refresh
            self.ignore_not_found(lambda: ec2.terminate_instances(InstanceIds=[instance_id]))
        # Its network interface holds the subnet and security groups until it is terminated.
        wait_terminated(ctx, ec2, instance_id)
