"""aws.elb.load_balancer on ELB (API 2012-06-01): the Classic Load Balancer.

Reads: the ELB API has no tag filter, so `read_owned` lists the region's load balancers
(DescribeLoadBalancers, 400 per page), reads their tags 20 names per DescribeTags call to
keep the stack's, and then makes the one per-resource read: DescribeLoadBalancerAttributes
for each owned load balancer (cross-zone, draining and idle timeout exist nowhere else).

Create: CreateLoadBalancer with the ownership tags, then the health check, the attributes
and the instances. Names are unique per region, so the name is the idempotency key: AWS
answers a same-name create with the existing load balancer (identical configuration) or
DuplicateLoadBalancerName (different), and either way it is adopted only if its ownership
tags say it is this stack's resource.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.aws.session import RetryingClient
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import Provider, ResourceContext, until_visible
from stackdeploy.providers.ec2.settle import read_settled
from stackdeploy.providers.elb.changes import Converger, aws_listener
from stackdeploy.providers.elb.reads import (
    Description,
    attributes_of,
    describe_all,
    describe_named,
    properties_of,
    tags_by_name,
)
from stackdeploy.providers.ownership import describe_owner, is_made_for, owner_of, split_tags
from stackdeploy.providers.tagging_api import aws_tags
from stackdeploy.specs.base import CLAIM_TAGS, OWNERSHIP_TAG_STACK
from stackdeploy.specs.elb.load_balancer import CLASSIC_LOAD_BALANCER


class ClassicLoadBalancerProvider(Provider):
    rtype = CLASSIC_LOAD_BALANCER

    def elb(self, region: str) -> RetryingClient:
        return self.clients.client("elb", region)

    # -- reads --------------------------------------------------------------------------------

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        elb = self.elb(region)
        descriptions = describe_all(elb)
        tags = tags_by_name(elb, [d["LoadBalancerName"] for d in descriptions])
        owned = [
            d
            for d in descriptions
            if _tag(tags.get(d["LoadBalancerName"]), OWNERSHIP_TAG_STACK) == stack
        ]
        return self._live(region, elb, owned, tags)

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        if not physical_ids:
            return {}
        elb = self.elb(region)
        descriptions = describe_named(elb, physical_ids)
        tags = tags_by_name(elb, [d["LoadBalancerName"] for d in descriptions])
        return {live.physical_id: live for live in self._live(region, elb, descriptions, tags)}

    def _live(
        self,
        region: str,
        elb: RetryingClient,
        descriptions: list[Description],
        tags: dict[str, list[dict[str, str]]],
    ) -> list[LiveResource]:
        found = []
        for description in descriptions:
            name = description["LoadBalancerName"]
            attributes = attributes_of(elb, name)
            if attributes is None:
                continue  # deleted between the listing and now
            user_tags, owner = split_tags(tags.get(name))
            properties = properties_of(description, attributes, user_tags)
            found.append(LiveResource.tagged(self.rtype.name, name, region, properties, owner))
        return found

    # -- writes -------------------------------------------------------------------------------

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        elb = self.elb(ctx.region)
        name = str(props["name"])
        tags = {**props["tags"], **ctx.ownership_tags()}
        request: dict[str, Any] = {
            "LoadBalancerName": name,
            "Listeners": [aws_listener(listener) for listener in props["listeners"]],
            "Subnets": list(props["subnet_ids"]),
            "Scheme": props["scheme"],
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
        }
        if props.get("security_group_ids") is not None:
            request["SecurityGroups"] = list(props["security_group_ids"])
        converger = self._converger(ctx, name)
        try:
            converger.call("CreateLoadBalancer", lambda: elb.create_load_balancer(**request))
        except ClientError as error:
            if not has_code(error, "DuplicateLoadBalancerName"):
                raise
            # Ours, from a run interrupted after the create: bring it to the spec.
            self._check_owner(ctx, name)
            current = self.read_after_write(ctx, name)
            converger.converge(current.properties, props)
            return read_settled(self, ctx, name, props)
        # A success can also be AWS handing back someone else's identical load balancer.
        self._check_owner(ctx, name)
        # What CreateLoadBalancer set; the health check and attributes are AWS's defaults
        # (unknown here, so they count as different), and no instance is registered yet.
        created = {
            "subnet_ids": props["subnet_ids"],
            "security_group_ids": props.get("security_group_ids"),
            "listeners": props["listeners"],
            "tags": props["tags"],
            "instance_ids": [],
        }
        converger.converge(created, props)
        return read_settled(self, ctx, name, props)

    def _check_owner(self, ctx: ResourceContext, name: str) -> None:
        """Refuse to touch the load balancer called `name` unless its ownership tags make it
        this very resource (a name is unique in the region, whoever made it)."""
        elb = self.elb(ctx.region)
        # Just created, a load balancer may not be visible to DescribeTags yet.
        tags = until_visible(
            ctx,
            lambda: tags_by_name(elb, [name]).get(name),
            what=f"load balancer {name}",
            operation="elb.DescribeTags",
        )
        owner = owner_of(tags)
        if not is_made_for(owner, ctx):
            raise ProviderError(
                f"a load balancer named '{name}' already exists in {ctx.region} "
                f"({describe_owner(owner)})",
                code="DuplicateLoadBalancerName",
                address=ctx.address,
                hint="names are unique per region: set another name, or delete the existing one",
            )

    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        self.elb(ctx.region).add_tags(
            LoadBalancerNames=[live.physical_id], Tags=aws_tags(ctx.ownership_tags())
        )

    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        elb = self.elb(ctx.region)
        keys = [{"Key": key} for key in CLAIM_TAGS]
        self.ignore_not_found(
            lambda: elb.remove_tags(LoadBalancerNames=[live.physical_id], Tags=keys)
        )

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        # Read afresh: what AWS holds now, not as planned, decides what to change.
        current = self.read(ctx.region, live.physical_id)
        if current is None:
            raise ProviderError(
                f"load balancer {live.physical_id} no longer exists",
                code="LoadBalancerNotFound",
                address=ctx.address,
                hint="run plan again: it will create the load balancer anew",
            )
        self._converger(ctx, live.physical_id).converge(current.properties, props)
        return read_settled(self, ctx, live.physical_id, props)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        elb = self.elb(ctx.region)
        # Idempotent on AWS (a missing name succeeds). There is no state to wait for; AWS
        # releases the network interfaces afterwards, and until then deleting the load
        # balancer's security groups and subnets fails with DependencyViolation, which their
        # providers retry.
        self.ignore_not_found(lambda: elb.delete_load_balancer(LoadBalancerName=live.physical_id))

    def _converger(self, ctx: ResourceContext, name: str) -> Converger:
        return Converger(
            ctx, self.elb(ctx.region), lambda: self.clients.client("ec2", ctx.region), name
        )


def _tag(tags: list[dict[str, str]] | None, key: str) -> str | None:
    return next((t.get("Value") for t in tags or [] if t.get("Key") == key), None)
