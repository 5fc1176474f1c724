"""Emptying a bucket for force_destroy: every object version and delete marker.

In a versioned bucket a plain delete only adds a delete marker, so emptying means deleting
each version by id. ListObjectVersions returns up to 1,000 entries, and DeleteObjects takes
up to 1,000 keys: the first page is listed and deleted until none is left (listing from the
start each time needs no markers and also catches objects written meanwhile).
"""

from __future__ import annotations

from typing import Any

from stackdeploy.aws.session import RetryingClient
from stackdeploy.errors import ProviderError

BATCH = 1000  # the most DeleteObjects accepts, and ListObjectVersions returns, per call


def empty_bucket(s3: RetryingClient, bucket: str, address: str) -> int:
    """Delete every version and delete marker in `bucket`; returns how many went."""
    deleted = 0
    previous: list[dict[str, str]] = []
    while True:
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=BATCH)
        entries: list[dict[str, Any]] = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        batch = [{"Key": e["Key"], "VersionId": e["VersionId"]} for e in entries][:BATCH]
        if not batch:
            return deleted
        if batch == previous:
            raise ProviderError(
                f"bucket {bucket} still lists the same {len(batch)} object versions after "
                "deleting them",
                address=address,
                hint="objects under S3 Object Lock or legal hold cannot be deleted before "
                "their retention ends",
            )
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        errors = response.get("Errors") or []
        if errors:
            first = errors[0]
            raise ProviderError(
                f"could not delete {len(errors)} of {len(batch)} object versions from bucket "
                f"{bucket}, e.g. {first.get('Key')}: {first.get('Code')}: {first.get('Message')}",
                code=str(first.get("Code", "")),
                address=address,
                hint="a bucket policy or Object Lock may forbid it; run destroy again once "
                "that is lifted",
            )
        deleted += len(batch)
        previous = batch
