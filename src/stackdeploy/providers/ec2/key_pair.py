"""aws.ec2.key_pair on EC2: ImportKeyPair, or CreateKeyPair with the private key saved locally.

AWS returns a created key's private half once, in the CreateKeyPair response. It is written
straight to a new file (mode 0600, in directories created 0700) and never printed or logged.
The file must not exist beforehand: an existing key file is someone's only copy of a key, so
it is never overwritten, and the check comes before the key pair is created, not after.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.base import Ec2Provider
from stackdeploy.providers.ec2.common import id_filter
from stackdeploy.providers.ownership import made_for, split_tags
from stackdeploy.specs.ec2.key_pair import (
    KEY_PAIR,
    PRIVATE_KEY_DIGEST_TAG,
    canonical_public_key,
    default_private_key_path,
)


def private_key_file(ctx: ResourceContext, props: dict[str, Any]) -> Path:
    """Where a created key's private half goes: the spec's path, or the default one."""
    configured = props.get("private_key_path")
    if configured:
        return Path(str(configured)).expanduser().absolute()
    return Path(default_private_key_path(ctx.stack, str(props["name"]))).expanduser()


class KeyPairProvider(Ec2Provider):
    rtype = KEY_PAIR
    describe_method = "describe_key_pairs"
    result_key = "KeyPairs"
    id_filter_name = "key-name"
    tag_resource_type = "key-pair"
    paginated = False

    def fetch_items(self, region: str, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # The public key is read back so an imported key can be compared with the spec's.
        response = self.ec2(region).describe_key_pairs(Filters=filters, IncludePublicKey=True)
        return list(response.get("KeyPairs", []))

    def to_live(self, region: str, key: dict[str, Any]) -> LiveResource:
        name = key["KeyName"]
        tags, owner = split_tags(key.get("Tags"))
        public_key = key.get("PublicKey")
        properties = {
            "name": name,
            "public_key": _canonical_or_raw(public_key) if public_key else None,
            # AWS reports the type of every key; moto leaves it out for keys it creates as
            # RSA, which is also AWS's default.
            "key_type": key.get("KeyType") or "rsa",
            "tags": tags,
            "id": name,
            "key_pair_id": key.get("KeyPairId"),
            "fingerprint": key.get("KeyFingerprint"),
            "private_key_sha256": _tag(key.get("Tags"), PRIVATE_KEY_DIGEST_TAG),
        }
        return LiveResource.tagged(self.rtype.name, name, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        ec2 = self.ec2(ctx.region)
        name = props["name"]
        try:
            if props.get("public_key"):
                ec2.import_key_pair(
                    KeyName=name,
                    PublicKeyMaterial=str(props["public_key"]).encode(),
                    TagSpecifications=self.creation_tags(ctx, props),
                )
            else:
                self._create_with_private_key(ctx, props)
        except ClientError as error:
            if not has_code(error, "InvalidKeyPair.Duplicate"):
                raise
            self._adopt(ctx, name, error)
        # A key pair is usable at once; there is no state to wait for.
        return self.read_after_write(ctx, name)

    def _create_with_private_key(self, ctx: ResourceContext, props: dict[str, Any]) -> None:
        target = private_key_file(ctx, props)
        if target.exists() or target.is_symlink():
            raise ProviderError(
                f"the private key file {target} already exists; it is never overwritten",
                code="PrivateKeyFileExists",
                address=ctx.address,
                hint="move it away (it may be the only copy of an older key), or set "
                "private_key_path to a new file",
            )
        ec2 = self.ec2(ctx.region)
        response = ec2.create_key_pair(
            KeyName=props["name"],
            KeyType=props.get("key_type") or "rsa",
            KeyFormat="pem",
            TagSpecifications=self.creation_tags(ctx, props),
        )
        try:
            digest = write_private_key(target, str(response["KeyMaterial"]))
        except OSError as error:
            # Without its private half the key pair is useless and could never be recovered:
            # remove it, so the next apply creates a new one once the path is fixed.
            self.ignore_not_found(lambda: ec2.delete_key_pair(KeyName=props["name"]))
            raise ProviderError(
                f"cannot write the private key to {target}: {error.strerror or error}",
                code="PrivateKeyFileUnwritable",
                address=ctx.address,
                hint="the key pair was deleted again; fix the path or its permissions and "
                "apply again",
            ) from None
        # Which file is this key's, for the destroy: without the tag the file is never removed.
        ec2.create_tags(
            Resources=[str(response["KeyPairId"])],
            Tags=[{"Key": PRIVATE_KEY_DIGEST_TAG, "Value": digest}],
        )

    def _adopt(self, ctx: ResourceContext, name: str, error: ClientError) -> None:
        """A key pair of this name exists: adopt it only if an earlier, interrupted run of
        this very resource made it."""
        existing = self.describe_items(ctx.region, id_filter(self.id_filter_name, [name]))
        if not existing or not made_for(existing[0].get("Tags"), ctx):
            raise ProviderError(
                f"a key pair named '{name}' already exists in {ctx.region} and this stack "
                "does not own it",
                code="InvalidKeyPair.Duplicate",
                address=ctx.address,
                hint="choose another name, or delete the existing key pair if it is a leftover",
            ) from error

    def taggable_id(self, live: LiveResource) -> str:
        return str(live.properties["key_pair_id"])

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        # CreateTags/DeleteTags name a key pair by its id (key-...), not by its name.
        key_pair_id = str(live.properties["key_pair_id"])
        self.sync_user_tags(ctx, key_pair_id, props["tags"], live.properties["tags"])
        return self.read_after_write(ctx, live.physical_id)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        ec2 = self.ec2(ctx.region)
        self.ignore_not_found(lambda: ec2.delete_key_pair(KeyName=live.physical_id))
        # The private key file goes with the key pair while it still holds the very key that
        # was written (its digest is on the key pair): a destroy then apply can write it anew.
        # A file changed since, or one stackdeploy did not write, is left alone.
        written = live.properties.get("private_key_sha256")
        if written:
            target = private_key_file(ctx, {**(ctx.applied or {}), "name": live.physical_id})
            if file_digest(target) == written:
                target.unlink()


def _canonical_or_raw(public_key: str) -> str:
    try:
        return canonical_public_key(public_key)
    except ValueError:
        return public_key.strip()


def _tag(aws_tags: Sequence[dict[str, str]] | None, key: str) -> str | None:
    return next((t.get("Value") for t in aws_tags or [] if t.get("Key") == key), None)


def file_digest(path: Path) -> str | None:
    """The SHA-256 of a regular file's bytes; None when there is no such file."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def write_private_key(target: Path, material: str) -> str:
    """Write a private key to a new file only its owner can read, in private directories;
    returns the SHA-256 of what was written."""
    missing = [p for p in reversed(target.parents) if not p.exists()]
    for directory in missing:
        os.mkdir(directory, 0o700)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(target, flags, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            os.fchmod(handle.fileno(), 0o600)  # exactly 0600, whatever the umask
            text = material if material.endswith("\n") else material + "\n"
            handle.write(text)
    except OSError:
        target.unlink(missing_ok=True)  # a partial key is worse than none: it looks usable
        raise
    return hashlib.sha256(text.encode()).hexdigest()
