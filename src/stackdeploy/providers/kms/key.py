"""aws.kms.key on KMS: CreateKey with its tags (and key policy), then rotation, alias and the
enabled flag; in-place updates; destroy deletes the key's aliases and schedules its deletion.

What a refresh costs, per region: one GetResources (tagging API: the stack's keys and their
tags; ListKeys has no tags and lists every key in the account) and one ListAliases. Then, per
key, what KMS only answers per key: DescribeKey, GetKeyPolicy and, for symmetric keys,
GetKeyRotationStatus, 8 keys at a time. A key pending deletion counts as gone.

`deletion_window_days` is kept in a tag on the key (AWS does not store it before a deletion
is scheduled), so a change to it is planned and applied like any other, and a destroy uses
it even when the state record is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code, has_code, is_not_found
from stackdeploy.aws.session import RetryingClient
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.diff import values_equal
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.kms.common import (
    AwsTags,
    aliases_by_key,
    aliases_of,
    claim_alias,
    delete_alias,
    key_tags,
    kms_tags,
    once_visible,
)
from stackdeploy.providers.ownership import split_tags
from stackdeploy.providers.tagging_api import or_none, read_concurrently, tagged_resources
from stackdeploy.specs.base import CLAIM_TAGS
from stackdeploy.specs.iam.policy import policy_from_aws, policy_json
from stackdeploy.specs.kms.key import DEFAULT_DELETION_WINDOW, KMS_KEY

WINDOW_TAG = "stackdeploy:deletion-window-days"
# States in which a key is on its way out: it can no longer be used and counts as gone.
_GONE = frozenset({"PendingDeletion", "PendingReplicaDeletion"})


def _window(tags: AwsTags) -> int:
    value = next((t.get("Value", "") for t in tags if t["Key"] == WINDOW_TAG), "")
    return int(value) if value.isdigit() and 7 <= int(value) <= 30 else DEFAULT_DELETION_WINDOW


class KmsKeyProvider(Provider):
    rtype = KMS_KEY

    def kms(self, region: str) -> RetryingClient:
        return self.clients.client("kms", region)

    def read_owned(self, region: str, stack: str) -> list[LiveResource]:
        tagged = tagged_resources(self.clients, region, "kms:key", stack)
        if not tagged:
            return []
        kms = self.kms(region)
        aliases = aliases_by_key(kms)
        keys = [(arn.rsplit("/", 1)[-1], tags) for arn, tags in sorted(tagged.items())]
        return read_concurrently(keys, lambda key: self._read(kms, region, key[0], key[1], aliases))

    def read_many(self, region: str, physical_ids: Sequence[str]) -> dict[str, LiveResource]:
        if not physical_ids:
            return {}
        kms = self.kms(region)
        aliases = aliases_by_key(kms)
        found = read_concurrently(
            sorted(set(physical_ids)), lambda key_id: self._read(kms, region, key_id, None, aliases)
        )
        return {live.physical_id: live for live in found}

    def _read(
        self,
        kms: RetryingClient,
        region: str,
        key_id: str,
        tags: AwsTags | None,
        aliases: dict[str, list[dict[str, Any]]],
    ) -> LiveResource | None:
        """The key in canonical form; None when it does not exist, is pending deletion, or is
        AWS managed (never ours). `tags` are read here when the caller has none."""
        described = or_none(kms.describe_key, KeyId=key_id)
        if described is None:
            return None
        metadata = described["KeyMetadata"]
        if metadata.get("KeyState") in _GONE or metadata.get("KeyManager") == "AWS":
            return None
        key_id = metadata["KeyId"]
        if tags is None:
            tags = key_tags(kms, key_id)
        policy = or_none(kms.get_key_policy, KeyId=key_id, PolicyName="default")
        if tags is None or policy is None:
            return None  # deleted since it was described
        key_spec = metadata.get("KeySpec") or metadata.get("CustomerMasterKeySpec")
        rotation = False
        # Only symmetric keys with KMS-made material rotate; asking about others is an error.
        if key_spec == "SYMMETRIC_DEFAULT" and metadata.get("Origin", "AWS_KMS") == "AWS_KMS":
            status = or_none(kms.get_key_rotation_status, KeyId=key_id)
            if status is None:
                return None
            rotation = bool(status.get("KeyRotationEnabled"))
        named = sorted(aliases.get(key_id, []), key=lambda a: str(a["AliasName"]))
        user_tags, owner = split_tags(tags)
        properties: dict[str, Any] = {
            "description": metadata.get("Description") or "",
            "key_usage": metadata.get("KeyUsage"),
            "key_spec": key_spec,
            "enable_key_rotation": rotation,
            "policy": policy_from_aws(policy["Policy"]),
            # One alias reads as its name; several (some added by hand) read as a list, which
            # no spec equals: the plan shows them, and an update keeps only the declared one.
            "alias": _alias_value([a["AliasName"] for a in named]),
            "enabled": bool(metadata.get("Enabled")),
            "deletion_window_days": _window(tags),
            "tags": user_tags,
            "id": key_id,
            "arn": metadata["Arn"],
            "alias_arn": named[0].get("AliasArn") if len(named) == 1 else None,
        }
        return LiveResource.tagged(self.rtype.name, key_id, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        kms = self.kms(ctx.region)
        tags = {
            **props["tags"],
            **ctx.ownership_tags(),
            WINDOW_TAG: str(props["deletion_window_days"]),
        }
        request: dict[str, Any] = {
            "Description": props["description"],
            "KeyUsage": props["key_usage"],
            "KeySpec": props["key_spec"],
            # Ownership in the create call: an interrupted create is found by its tags.
            "Tags": kms_tags(tags),
        }
        if props.get("policy") is not None:
            request["Policy"] = policy_json(props["policy"])
        try:
            key_id = kms.create_key(**request)["KeyMetadata"]["KeyId"]
        except ClientError as error:
            _raise_refused_policy(ctx, error)
            raise
        # What a key just created holds: enabled, no rotation, no alias, the tags asked for.
        current = {
            **props,
            "enable_key_rotation": False,
            "alias": "",
            "enabled": True,
        }
        self._converge(ctx, kms, key_id, current, props)
        return self.read_after_write(ctx, key_id)

    def write_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        self.kms(ctx.region).tag_resource(
            KeyId=live.physical_id, Tags=kms_tags(ctx.ownership_tags())
        )

    def remove_ownership(self, ctx: ResourceContext, live: LiveResource) -> None:
        kms = self.kms(ctx.region)
        self.ignore_not_found(
            lambda: kms.untag_resource(KeyId=live.physical_id, TagKeys=[*CLAIM_TAGS])
        )

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        kms = self.kms(ctx.region)
        # What AWS holds now, not what the plan saw, decides the calls.
        current = self.read(ctx.region, live.physical_id)
        if current is None:
            raise ProviderError(
                f"KMS key {live.physical_id} no longer exists or is pending deletion",
                code="NotFoundException",
                address=ctx.address,
                hint="run plan again: it will create a new key (a key pending deletion can "
                "be recovered with aws kms cancel-key-deletion first)",
            )
        self._converge(ctx, kms, live.physical_id, current.properties, props)
        return self.read_after_write(ctx, live.physical_id)

    def _converge(
        self,
        ctx: ResourceContext,
        kms: RetryingClient,
        key_id: str,
        current: dict[str, Any],
        desired: dict[str, Any],
    ) -> None:
        """Make the key's mutable settings equal `desired`. A disabled key refuses rotation
        changes, so it is enabled first and disabled last."""

        def call(operation: str, method: str, **kwargs: Any) -> None:
            once_visible(ctx, f"kms.{operation}", lambda: getattr(kms, method)(**kwargs))

        if desired["enabled"] and not current["enabled"]:
            call("EnableKey", "enable_key", KeyId=key_id)
        if desired["description"] != current["description"]:
            call(
                "UpdateKeyDescription",
                "update_key_description",
                KeyId=key_id,
                Description=desired["description"],
            )
        policy = desired.get("policy")
        if policy is not None and not values_equal(policy, current.get("policy")):
            try:
                call(
                    "PutKeyPolicy",
                    "put_key_policy",
                    KeyId=key_id,
                    PolicyName="default",
                    Policy=policy_json(policy),
                )
            except ClientError as error:
                _raise_refused_policy(ctx, error)
                raise
        if desired["enable_key_rotation"] != current["enable_key_rotation"]:
            self._rotation(ctx, kms, key_id, desired["enable_key_rotation"])
        if desired["alias"] != current["alias"]:
            self._aliases(ctx, kms, key_id, desired["alias"])
        self._tags(kms, key_id, current, desired)
        if not desired["enabled"] and current["enabled"]:
            call("DisableKey", "disable_key", KeyId=key_id)

    @staticmethod
    def _rotation(ctx: ResourceContext, kms: RetryingClient, key_id: str, enabled: bool) -> None:
        method = kms.enable_key_rotation if enabled else kms.disable_key_rotation
        operation = "kms.EnableKeyRotation" if enabled else "kms.DisableKeyRotation"
        try:
            once_visible(ctx, operation, lambda: method(KeyId=key_id))
        except ClientError as error:
            if has_code(error, "KMSInvalidStateException"):
                raise ProviderError(
                    f"KMS refused to change the rotation of key {key_id}: "
                    f"{error.response['Error'].get('Message', '')}",
                    code="KMSInvalidStateException",
                    address=ctx.address,
                    hint="rotation changes only on an enabled key: set enabled: true, apply, "
                    "then change enable_key_rotation",
                ) from error
            raise

    @staticmethod
    def _aliases(ctx: ResourceContext, kms: RetryingClient, key_id: str, desired: str) -> None:
        """The declared alias names the key, and no other alias does."""
        current = aliases_of(kms, key_id)
        if desired and desired not in current:
            claim_alias(ctx, kms, key_id, desired)
        for alias in current:
            if alias != desired:
                delete_alias(kms, alias)

    @staticmethod
    def _tags(
        kms: RetryingClient, key_id: str, current: dict[str, Any], desired: dict[str, Any]
    ) -> None:
        """User tags and the deletion window tag; the ownership tags stay as they are."""
        want = {**desired["tags"], WINDOW_TAG: str(desired["deletion_window_days"])}
        have = {**current["tags"], WINDOW_TAG: str(current["deletion_window_days"])}
        stale = sorted(k for k in have if k not in want)
        changed = {k: v for k, v in want.items() if have.get(k) != v}
        if stale:
            kms.untag_resource(KeyId=key_id, TagKeys=stale)
        if changed:
            kms.tag_resource(KeyId=key_id, Tags=kms_tags(changed))

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        kms = self.kms(ctx.region)
        key_id = live.physical_id
        window = (
            live.properties.get("deletion_window_days")
            or (ctx.applied or {}).get("deletion_window_days")
            or DEFAULT_DELETION_WINDOW
        )
        # Aliases would otherwise keep naming a key nobody can use, and hold their names.
        for alias in aliases_of(kms, key_id):
            delete_alias(kms, alias)
        try:
            kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=int(window))
        except ClientError as error:
            if is_not_found(error):
                return
            # Already scheduled (a destroy run twice): the key is as good as gone.
            if has_code(error, "KMSInvalidStateException") and _pending_deletion(kms, key_id):
                return
            raise


def _pending_deletion(kms: RetryingClient, key_id: str) -> bool:
    described = or_none(kms.describe_key, KeyId=key_id)
    return described is None or described["KeyMetadata"].get("KeyState") in _GONE


def _alias_value(names: list[str]) -> str | list[str]:
    if not names:
        return ""
    return names[0] if len(names) == 1 else names


def _raise_refused_policy(ctx: ResourceContext, error: ClientError) -> None:
    """A key policy KMS refuses, told so (other errors are left to the caller)."""
    if error_code(error) != "MalformedPolicyDocumentException":
        return
    raise ProviderError(
        f"KMS refused the key policy: {error.response['Error'].get('Message', '')}",
        code="MalformedPolicyDocumentException",
        address=ctx.address,
        hint="a key policy must let the account (arn:aws:iam::<account>:root) or the caller "
        "administer the key, or KMS refuses it to prevent a lockout; its principals must exist",
    ) from error
