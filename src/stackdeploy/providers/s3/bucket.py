"""aws.s3.bucket on S3: CreateBucket with its tags, then each configuration; destroyed only
when empty, or emptied first with force_destroy.

What a refresh costs in one region:
- one ListBuckets. Its Prefix keeps to the names this stack generates (`<stack>-...`), and
  its BucketRegion, sent to that region's endpoint as AWS requires, to the buckets that live
  there: ListBuckets is global, so without it a two-region stack would see each bucket twice.
  Buckets named explicitly are read by name (the stack file and the state record list them);
- per listed bucket, GetBucketTagging (S3 has no batched or tag-filtered read): the owner is
  known only from the tags;
- per bucket of this stack, one GET per managed configuration (7), all run concurrently.
Reads by name add a GetBucketLocation each, to report a bucket only in its own region.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.diff import diff_properties
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.concurrency import map_concurrently
from stackdeploy.providers.s3.common import (
    NO_SUCH_BUCKET,
    US_EAST_1,
    code_of,
    desired_tags,
    made_for,
    region_of_location,
)
from stackdeploy.providers.s3.emptying import empty_bucket
from stackdeploy.providers.s3.reads import GONE, TAGS, read_buckets, read_one
from stackdeploy.providers.s3.writes import converge
from stackdeploy.providers.tagging_api import aws_tags
from stackdeploy.specs.base import CLAIM_TAGS
from stackdeploy.specs.s3.bucket import BUCKET
from stackdeploy.specs.s3.names import generated_prefix

LIST_PAGE = 1000
# A name owned by another account answers AccessDenied to our reads.
_NOT_OURS = frozenset({NO_SUCH_BUCKET, "AccessDenied"})


class BucketProvider(Provider):
    rtype = BUCKET

    def s3(self, region: str) -> RetryingClient:
        return self.clients.client("s3", region)

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        s3 = self.s3(region)
        listed = s3.paginate(
            "list_buckets",
            "Buckets",
            input_token="ContinuationToken",
            output_token="ContinuationToken",
            Prefix=generated_prefix(stack),
            BucketRegion=region,
            MaxBuckets=LIST_PAGE,
        )
        names = [b["Name"] for b in listed if b.get("BucketRegion", region) == region]
        return list(read_buckets(s3, region, names, stack=stack).values())

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        s3 = self.s3(region)
        names = sorted(set(physical_ids))
        if not names:
            return {}
        regions = map_concurrently(names, lambda name: self._region(s3, name))
        # A bucket in another region is that region's to report.
        here = [name for name, found in zip(names, regions, strict=True) if found == region]
        return read_buckets(s3, region, here)

    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        # S3 replaces a bucket's whole tag set: merge ours into what it has.
        s3 = self.s3(ctx.region)
        tags = read_one(s3, live.physical_id, TAGS)
        current = {} if tags is GONE else dict(tags)
        wanted = {**current, **ctx.ownership_tags()}
        s3.put_bucket_tagging(Bucket=live.physical_id, Tagging={"TagSet": aws_tags(wanted)})

    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        # S3 replaces a bucket's whole tag set: write back what it has, but ours.
        s3 = self.s3(ctx.region)
        tags = read_one(s3, live.physical_id, TAGS)
        if tags is GONE:
            return
        kept = {key: value for key, value in dict(tags).items() if key not in CLAIM_TAGS}
        if kept:
            s3.put_bucket_tagging(Bucket=live.physical_id, Tagging={"TagSet": aws_tags(kept)})
        else:
            s3.delete_bucket_tagging(Bucket=live.physical_id)

    def holds_data(self, live: LiveResource) -> bool:
        """An empty bucket loses nothing when deleted; one object version or delete marker
        is enough to count as data."""
        page = self.s3(live.region).list_object_versions(Bucket=live.physical_id, MaxKeys=1)
        return bool(page.get("Versions") or page.get("DeleteMarkers"))

    @staticmethod
    def _region(s3: RetryingClient, name: str) -> str | None:
        try:
            return region_of_location(s3.get_bucket_location(Bucket=name).get("LocationConstraint"))
        except ClientError as error:
            if code_of(error) in _NOT_OURS:
                return None
            raise

    # -- create -------------------------------------------------------------------------

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        s3 = self.s3(ctx.region)
        name = props["name"]
        configuration: dict[str, Any] = {"Tags": aws_tags(desired_tags(ctx, props))}
        # us-east-1 takes no LocationConstraint, and there a CreateBucket of a bucket this
        # account already owns succeeds silently: look first, or another's bucket is taken over.
        if ctx.region == US_EAST_1:
            self._refuse_unless_adoptable(ctx, s3, name)
        else:
            configuration["LocationConstraint"] = ctx.region
        try:
            s3.create_bucket(
                Bucket=name,
                CreateBucketConfiguration=configuration,
                ObjectOwnership=props["object_ownership"],
            )
        except ClientError as error:
            if code_of(error) == "BucketAlreadyExists":
                raise _taken_elsewhere(ctx, name) from error
            if code_of(error) != "BucketAlreadyOwnedByYou":
                raise
            self._refuse_unless_adoptable(ctx, s3, name)
        # Read what AWS made (its defaults, and the tags, which some endpoints drop from
        # CreateBucket) and write only what differs.
        current = self.read_after_write(ctx, name)
        converge(ctx, s3, current, props, just_created=True)
        return self._settled(ctx, name, props)

    def _refuse_unless_adoptable(self, ctx: ResourceContext, s3: RetryingClient, name: str) -> None:
        """Go on only if the bucket does not exist or an earlier, interrupted run of this very
        resource created it."""
        tags = read_one(s3, name, TAGS)
        if tags is GONE:
            return
        if not made_for(tags, ctx):
            raise ProviderError(
                f"a bucket named '{name}' already exists in this account and this stack does "
                "not own it",
                code="BucketAlreadyOwnedByYou",
                address=ctx.address,
                hint="choose another name, or delete that bucket if it is a leftover",
            )

    def _settled(self, ctx: ResourceContext, name: str, props: dict[str, Any]) -> LiveResource:
        """The bucket as read once its configuration reads back as written: S3's bucket
        settings are eventually consistent, so a read right after a write may be stale."""
        reads: list[LiveResource] = []

        def attempt() -> None:
            live = self.read(ctx.region, name)
            if live is None:
                raise _NotSettled(name)
            reads.append(live)
            if diff_properties(self.rtype, props, live.properties):
                raise _NotSettled(name)

        try:
            retry_while(
                attempt,
                codes=set(),
                matches=lambda error: isinstance(error, _NotSettled),
                deadline=ctx.timing.visibility_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation="read s3 bucket settings",
            )
        except _NotSettled:
            if not reads:
                raise
        # Still different after the wait: the executor reports what AWS holds.
        return reads[-1]

    # -- update -------------------------------------------------------------------------

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        s3 = self.s3(ctx.region)
        # Read afresh: what AWS holds now, not what the plan saw, decides the writes.
        current = self.read(ctx.region, live.physical_id)
        if current is None:
            raise ProviderError(
                f"bucket {live.physical_id} no longer exists",
                code=NO_SUCH_BUCKET,
                address=ctx.address,
                hint="run plan again: it will create the bucket anew",
            )
        converge(ctx, s3, current, props)
        return self._settled(ctx, live.physical_id, props)

    # -- delete -------------------------------------------------------------------------

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        s3 = self.s3(live.region)
        name = live.physical_id
        if live.properties.get("force_destroy"):
            # The policy goes first: a Deny in it could forbid the deletes that follow.
            self.ignore_not_found(lambda: s3.delete_bucket_policy(Bucket=name))

            def empty_and_delete() -> None:
                empty_bucket(s3, name, ctx.address)
                s3.delete_bucket(Bucket=name)

            # Something may write to the bucket while it is emptied: empty it again.
            retry_while(
                lambda: self.ignore_not_found(empty_and_delete),
                codes={"BucketNotEmpty"},
                deadline=ctx.timing.visibility_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation="s3.DeleteBucket",
            )
            return
        try:
            self.ignore_not_found(lambda: s3.delete_bucket(Bucket=name))
        except ClientError as error:
            if code_of(error) != "BucketNotEmpty":
                raise
            raise ProviderError(
                f"bucket {name} still holds objects (or object versions), so S3 will not "
                "delete it; it was kept as it is",
                code="BucketNotEmpty",
                address=ctx.address,
                hint="to delete its objects with it, set force_destroy: true on the bucket, "
                "run deploy apply, then destroy again (or empty it yourself)",
            ) from error


class _NotSettled(ProviderError):
    def __init__(self, name: str) -> None:
        super().__init__(f"bucket {name}'s settings do not read back as written yet")


def _taken_elsewhere(ctx: ResourceContext, name: str) -> ProviderError:
    return ProviderError(
        f"the bucket name '{name}' is taken by another AWS account (bucket names are global)",
        code="BucketAlreadyExists",
        address=ctx.address,
        hint="choose another name, or leave name out: the generated one ends with your account id",
    )
