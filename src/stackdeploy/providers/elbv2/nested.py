"""What listeners and listener rules share: resources listed per parent (a load balancer's
listeners, a listener's rules), never by tag, with tags read in batches afterwards."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from botocore.exceptions import ClientError

from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.elbv2.common import (
    describe_tags,
    elbv2,
    remove_ownership_tags,
    sync_tags,
    write_ownership_tags,
)
from stackdeploy.providers.ownership import owned_by


class NestedProvider(Provider):
    """A provider of an ELB v2 resource that AWS lists under a parent ARN only."""

    arn_key: ClassVar[str]  # "ListenerArn", "RuleArn"
    delete_method: ClassVar[str]  # "delete_listener", "delete_rule" (taking arn_key=...)
    # Codes meaning a parent or target created moments ago is not visible to the create yet.
    not_yet_visible: ClassVar[frozenset[str]]

    # -- what each type says -------------------------------------------------------------------

    def parent_of(self, arn: str) -> str:
        raise NotImplementedError

    def children_of(self, client: RetryingClient, parent_arn: str) -> list[dict[str, Any]]:
        """The parent's children as AWS describes them; none when the parent is gone."""
        raise NotImplementedError

    def owned_parents(self, client: RetryingClient, stack: str) -> list[str]:
        """The parents on which this stack's resources of the type can be."""
        raise NotImplementedError

    def to_live(self, region: str, item: dict[str, Any], aws_tag_list: list[Any]) -> LiveResource:
        raise NotImplementedError

    def modify(
        self, client: RetryingClient, arn: str, props: dict[str, Any], changed: set[str]
    ) -> None:
        """The in-place calls for the properties in `changed` (tags are synced afterwards)."""
        raise NotImplementedError

    def explained(
        self, ctx: ResourceContext, props: dict[str, Any], error: ClientError
    ) -> BaseException:
        """A clearer error for a refusal the user can act on; others as AWS gave them."""
        return error  # type: ignore[no-any-return]  # botocore is untyped

    # -- the shared reads and writes ---------------------------------------------------------

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        client = elbv2(self.clients, region)
        items = [
            item
            for parent in self.owned_parents(client, stack)
            for item in self.children_of(client, parent)
        ]
        return self._with_tags(client, region, items, stack)

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        if not physical_ids:
            return {}
        client = elbv2(self.clients, region)
        # Describing by ARN fails whole when one is gone; per parent it lists what exists
        # (usually one call: a stack's listeners share a few load balancers).
        wanted_by_parent: dict[str, set[str]] = defaultdict(set)
        for arn in physical_ids:
            wanted_by_parent[self.parent_of(arn)].add(arn)
        items = [
            item
            for parent, wanted in sorted(wanted_by_parent.items())
            for item in self.children_of(client, parent)
            if item[self.arn_key] in wanted
        ]
        return {live.physical_id: live for live in self._with_tags(client, region, items)}

    def _with_tags(
        self,
        client: RetryingClient,
        region: str,
        items: list[dict[str, Any]],
        stack: str | None = None,
    ) -> list[LiveResource]:
        tags = describe_tags(client, [item[self.arn_key] for item in items])
        return [
            self.to_live(region, item, tags[item[self.arn_key]])
            for item in items
            if item[self.arn_key] in tags
            and (stack is None or owned_by(tags[item[self.arn_key]], stack))
        ]

    def create_with(
        self,
        ctx: ResourceContext,
        props: dict[str, Any],
        operation: str,
        create: Callable[[], str],
    ) -> LiveResource:
        """Run `create` (which returns the new ARN), retrying while its parent or target is
        not yet visible, and read the result back."""
        created: list[str] = []
        try:
            retry_while(
                lambda: created.append(create()),
                codes=self.not_yet_visible,
                deadline=ctx.timing.visibility_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation=operation,
            )
        except ClientError as error:
            raise self.explained(ctx, props, error) from error
        return self.read_after_write(ctx, created[-1])

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        client = elbv2(self.clients, ctx.region)
        arn = live.physical_id
        try:
            self.modify(client, arn, props, {change.path for change in changes})
        except ClientError as error:
            raise self.explained(ctx, props, error) from error
        sync_tags(client, arn, props["tags"], live.properties["tags"])
        return self.read_after_write(ctx, arn)

    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        write_ownership_tags(self.clients, ctx, live.physical_id)

    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        remove_ownership_tags(self.clients, ctx, live.physical_id)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        client = elbv2(self.clients, ctx.region)
        # Gone already (with its parent, say) is success; a listener takes its rules along.
        self.ignore_not_found(
            lambda: getattr(client, self.delete_method)(**{self.arn_key: live.physical_id})
        )
