"""What every EC2 provider shares: reads by filter, ownership tags, tag sync, retried deletes.

EC2 describe calls take filters, and filtering (rather than passing ids) makes a missing id
simply absent instead of an error, so `read_owned` (by ownership tag) and `read_many` (by id)
are the same describe with different filters: one call per type, however many resources.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.model.live import LiveResource
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.ec2.common import (
    id_filter,
    owned_filter,
    sync_tags,
    tag_specifications,
)
from stackdeploy.providers.tagging_api import aws_tags
from stackdeploy.specs.base import CLAIM_TAGS, OWNERSHIP_TAG_ID


class Ec2Provider(Provider):
    describe_method: ClassVar[str]  # e.g. "describe_subnets"
    result_key: ClassVar[str]  # e.g. "Subnets"
    id_filter_name: ClassVar[str]  # e.g. "subnet-id"
    tag_resource_type: ClassVar[str]  # TagSpecifications' ResourceType, e.g. "subnet"
    filter_param: ClassVar[str] = "Filters"
    paginated: ClassVar[bool] = True

    def ec2(self, region: str) -> RetryingClient:
        return self.clients.client("ec2", region)

    def describe_items(self, region: str, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The raw AWS objects matching `filters`, every page. Tag filters are checked again
        here: a server that ignores one (moto does for DescribeNatGateways) must never make
        another stack's resource look like this one's, least of all to a destroy."""
        return [
            item for item in self.fetch_items(region, filters) if matches_tag_filters(item, filters)
        ]

    def fetch_items(self, region: str, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The describe call itself; types whose call differs override this."""
        ec2 = self.ec2(region)
        by_filter: dict[str, Any] = {self.filter_param: filters}
        if self.paginated:
            items: list[dict[str, Any]] = ec2.paginate(
                self.describe_method, self.result_key, **by_filter
            )
            return items
        response = getattr(ec2, self.describe_method)(**by_filter)
        return list(response.get(self.result_key, []))

    @abstractmethod
    def to_live(self, region: str, item: dict[str, Any]) -> LiveResource | None:
        """The AWS object in canonical (spec) shape; None when it does not count as existing."""

    def _describe(self, region: str, filters: list[dict[str, Any]]) -> list[LiveResource]:
        found = (self.to_live(region, item) for item in self.describe_items(region, filters))
        return [live for live in found if live is not None]

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        return self._describe(region, owned_filter(stack))

    def find_claimants(self, region: str, stack: str, logical_id: str) -> list[LiveResource]:
        # Both ownership tags in the filter: one small answer, not the stack's every resource.
        claimed = [{"Name": f"tag:{OWNERSHIP_TAG_ID}", "Values": [logical_id]}]
        return self._describe(region, owned_filter(stack) + claimed)

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        if not physical_ids:
            return {}
        found = self._describe(region, id_filter(self.id_filter_name, physical_ids))
        return {live.physical_id: live for live in found}

    def creation_tags(self, ctx: ResourceContext, props: Mapping[str, Any]) -> list[dict[str, Any]]:
        """TagSpecifications for a create call: user tags plus ownership, applied atomically."""
        return tag_specifications(self.tag_resource_type, {**props["tags"], **ctx.ownership_tags()})

    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        self.ec2(ctx.region).create_tags(
            Resources=[self.taggable_id(live)], Tags=aws_tags(ctx.ownership_tags())
        )

    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        ec2 = self.ec2(ctx.region)
        keys = [{"Key": key} for key in CLAIM_TAGS]
        taggable = self.taggable_id(live)
        self.ignore_not_found(lambda: ec2.delete_tags(Resources=[taggable], Tags=keys))

    def taggable_id(self, live: LiveResource) -> str:
        """The id CreateTags takes for it (a key pair's is not its name)."""
        return live.physical_id

    def sync_user_tags(
        self,
        ctx: ResourceContext,
        physical_id: str,
        desired: Mapping[str, str],
        live: Mapping[str, str],
    ) -> None:
        sync_tags(self.ec2(ctx.region), physical_id, desired, live)

    def update_tags(
        self, ctx: ResourceContext, live: LiveResource, props: Mapping[str, Any]
    ) -> LiveResource:
        """An update of a type whose only mutable property is its tags."""
        self.sync_user_tags(ctx, live.physical_id, props["tags"], live.properties["tags"])
        return self.read_after_write(ctx, live.physical_id)

    def while_not_visible(
        self,
        ctx: ResourceContext,
        operation: str,
        action: Callable[[], object],
        codes: frozenset[str],
    ) -> None:
        """Repeat `action` while AWS does not yet see something created moments ago."""
        retry_while(
            action,
            codes=codes,
            deadline=ctx.timing.visibility_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation=operation,
        )

    def delete_retrying(
        self,
        ctx: ResourceContext,
        call: Callable[[], object],
        *,
        operation: str,
        codes: frozenset[str] = frozenset({"DependencyViolation"}),
    ) -> None:
        """Delete, treating "already gone" as done and retrying while AWS still holds it."""
        retry_while(
            lambda: self.ignore_not_found(call),
            codes=codes,
            deadline=ctx.timing.dependency_deadline,
            timing=ctx.timing,
            events=ctx.events,
            operation=operation,
        )


def matches_tag_filters(item: Mapping[str, Any], filters: list[dict[str, Any]]) -> bool:
    """Whether the item's Tags satisfy every `tag:<key>` filter among `filters`."""
    tags = {t.get("Key"): t.get("Value") for t in item.get("Tags") or []}
    return all(
        tags.get(f["Name"].removeprefix("tag:")) in f["Values"]
        for f in filters
        if str(f.get("Name", "")).startswith("tag:")
    )
