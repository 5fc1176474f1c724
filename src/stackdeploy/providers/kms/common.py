"""What the KMS key provider's parts share: the client, tags in KMS's shape, ownership,
retries while a new key is not yet visible, and aliases."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code, is_not_found
from stackdeploy.aws.session import RetryingClient
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ownership import made_for

AwsTags = list[dict[str, str]]


def kms_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags as KMS takes them (TagKey / TagValue, unlike most services)."""
    return [{"TagKey": k, "TagValue": v} for k, v in sorted(tags.items())]


def as_key_value(tags: list[dict[str, str]]) -> AwsTags:
    """KMS's TagKey / TagValue pairs as the usual Key / Value."""
    return [{"Key": t["TagKey"], "Value": t.get("TagValue", "")} for t in tags]


def key_tags(kms: RetryingClient, key_id: str) -> AwsTags | None:
    """A key's tags (Key / Value), or None when the key does not exist."""
    try:
        found = kms.paginate(
            "list_resource_tags",
            "Tags",
            input_token="Marker",
            output_token="NextMarker",
            KeyId=key_id,
        )
    except ClientError as error:
        if is_not_found(error):
            return None
        raise
    return as_key_value(found)


def once_visible(ctx: ResourceContext, operation: str, action: Callable[[], object]) -> None:
    """Run a call on a key created moments ago: KMS is eventually consistent, and a new key
    can answer NotFoundException for a few seconds."""
    retry_while(
        action,
        codes={"NotFoundException"},
        deadline=ctx.timing.visibility_deadline,
        timing=ctx.timing,
        events=ctx.events,
        operation=operation,
    )


def aliases_by_key(kms: RetryingClient) -> dict[str, list[dict[str, Any]]]:
    """Every alias in the region, by the key id it names (one paged ListAliases)."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    aliases = kms.paginate(
        "list_aliases", "Aliases", input_token="Marker", output_token="NextMarker", Limit=100
    )
    for alias in aliases:
        if alias.get("TargetKeyId"):
            found[alias["TargetKeyId"]].append(alias)
    return found


def aliases_of(kms: RetryingClient, key_id: str) -> list[str]:
    """The alias names that name one key (none when the key is gone)."""
    try:
        aliases = kms.paginate(
            "list_aliases",
            "Aliases",
            input_token="Marker",
            output_token="NextMarker",
            KeyId=key_id,
            Limit=100,
        )
    except ClientError as error:
        if is_not_found(error):
            return []
        raise
    return sorted(a["AliasName"] for a in aliases)


def claim_alias(ctx: ResourceContext, kms: RetryingClient, key_id: str, alias: str) -> None:
    """Give `alias` to the key: create it, or move it here from an earlier key of the same
    resource (a replaced key still holds it until it is deleted). Someone else's is refused."""
    try:
        once_visible(
            ctx, "kms.CreateAlias", lambda: kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        )
        return
    except ClientError as error:
        if not has_code(error, "AlreadyExistsException"):
            raise
    holder = kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"]
    if holder == key_id:
        return
    if not made_for(key_tags(kms, holder), ctx):
        raise ProviderError(
            f"the alias {alias} already names key {holder}, which this stack does not own",
            code="AlreadyExistsException",
            address=ctx.address,
            hint="an alias names one key per region: choose another alias, or delete the "
            "existing one if it is a leftover (aws kms delete-alias)",
        )
    kms.update_alias(AliasName=alias, TargetKeyId=key_id)


def delete_alias(kms: RetryingClient, alias: str) -> None:
    try:
        kms.delete_alias(AliasName=alias)
    except ClientError as error:
        if not is_not_found(error):
            raise
