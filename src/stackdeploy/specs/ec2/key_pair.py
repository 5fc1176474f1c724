"""aws.ec2.key_pair: an EC2 key pair, imported from a public key or created by AWS.

With `public_key` (or `public_key_file`) the key is imported and nothing secret is involved.
Without it AWS creates the key and returns the private half exactly once: the provider writes
it to `private_key_path` (mode 0600) and never prints it. A key pair's material cannot change:
a new key is a new key pair, and instances launched with the old one keep the old key.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import MAX_USER_TAGS, Issue, ResourceType, TaggedSpec, is_ref_like

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

TYPE_NAME = "aws.ec2.key_pair"
KeyType = Literal["rsa", "ed25519"]
KEY_TYPES: dict[str, KeyType] = {"ssh-rsa": "rsa", "ssh-ed25519": "ed25519"}
DEFAULT_KEY_DIR = "~/.ssh/stackdeploy"
_UNSAFE_IN_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def canonical_public_key(text: str) -> str:
    """An OpenSSH public key as "<type> <base64>": the comment is not part of the key, and
    AWS does not keep it. Raises ValueError, without echoing the text (it may be a secret)."""
    if is_ref_like(text):
        return text
    if "PRIVATE KEY" in text:
        raise ValueError(
            "this is a private key; give the public key (the .pub file) instead, and keep "
            "the private key to yourself"
        )
    parts = text.split()
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        kind = parts[0] if parts and parts[0].startswith(("ssh-", "ecdsa-")) else None
        reason = f"AWS imports rsa and ed25519 keys, not {kind}" if kind else "not recognised"
        raise ValueError(
            f"public_key must be an OpenSSH public key such as 'ssh-ed25519 AAAA... "
            f"you@host' ({reason})"
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("public_key's key material is not valid base64") from None
    # The OpenSSH wire format repeats the key type first: a length, then the name.
    expected = len(parts[0]).to_bytes(4, "big") + parts[0].encode()
    if not blob.startswith(expected):
        raise ValueError(f"public_key's key material is not a {parts[0]} key")
    return f"{parts[0]} {parts[1]}"


def key_type_of(public_key: str) -> KeyType | None:
    """rsa or ed25519, from a canonical public key (None for a reference)."""
    return KEY_TYPES.get(public_key.split(" ", 1)[0])


class KeyPairSpec(TaggedSpec):
    name: str | None = Field(
        None, description="Key pair name, unique in the region; <stack>-<id> if omitted."
    )
    public_key: str | None = Field(
        None,
        description="OpenSSH public key to import ('ssh-ed25519 AAAA...'); AWS creates a new "
        "key when neither this nor public_key_file is given.",
    )
    public_key_file: str | None = Field(
        None, description="A .pub file to import, read when the stack is loaded."
    )
    key_type: KeyType | None = Field(
        None,
        description="rsa (the default for keys AWS creates: every AMI accepts it) or ed25519; "
        "an imported key's type comes from the key itself.",
    )
    private_key_path: str | None = Field(
        None,
        description="Where the private key of a key AWS creates is written (mode 0600); "
        f"default {DEFAULT_KEY_DIR}/<stack>-<name>.pem; a relative path is taken from the "
        "folder deploy runs in. An existing file is never overwritten.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None or is_ref_like(value):
            return value
        if not 1 <= len(value) <= 255 or not value.isascii():
            raise ValueError("a key pair name is 1 to 255 ASCII characters")
        return value

    @field_validator("public_key")
    @classmethod
    def _public_key(cls, value: str | None) -> str | None:
        return None if value is None else canonical_public_key(value)

    @model_validator(mode="after")
    def _one_source(self) -> KeyPairSpec:
        imported = self.public_key is not None or self.public_key_file is not None
        if self.public_key is not None and self.public_key_file is not None:
            raise ValueError("give public_key or public_key_file, not both")
        if imported and self.private_key_path is not None:
            raise ValueError(
                "private_key_path is for keys AWS creates; an imported key's private half "
                "is already yours"
            )
        if self.public_key is not None:
            derived = key_type_of(self.public_key)
            if derived and self.key_type and derived != self.key_type:
                raise ValueError(f"key_type is {self.key_type} but public_key is a {derived} key")
            self.key_type = derived
        elif not imported and self.key_type is None:
            self.key_type = "rsa"
        return self


def default_private_key_path(stack: str, name: str) -> str:
    """~/.ssh/stackdeploy/<stack>-<name>.pem, with characters unsafe in a file name as _."""
    return f"{DEFAULT_KEY_DIR}/{_UNSAFE_IN_FILE_NAME.sub('_', f'{stack}-{name}')}.pem"


def _default_private_key_path(properties: dict[str, Any], stack: str) -> dict[str, Any]:
    """Shown in the plan, so the user knows where the private key will be before it is."""
    name = properties.get("name")
    if properties.get("public_key") or properties.get("private_key_path") or not name:
        return properties
    if is_ref_like(str(name)):
        return properties  # known at apply time only; the provider fills it then
    return {**properties, "private_key_path": default_private_key_path(stack, str(name))}


# The SHA-256 of the private key file stackdeploy wrote, kept on the key pair: a destroy
# deletes the file only while it still holds that very key (never someone's other key).
PRIVATE_KEY_DIGEST_TAG = "stackdeploy:private-key-sha256"


def _delete_note(applied: dict[str, Any] | None) -> str | None:
    if applied is None or applied.get("public_key") or applied.get("public_key_file"):
        return None
    where = applied.get("private_key_path") or f"{DEFAULT_KEY_DIR}/<stack>-<name>.pem"
    return (
        f"its private key file ({where}) is deleted too while it still holds the key "
        "stackdeploy wrote; a file that changed since is left"
    )


def _tag_room(stack: Stack) -> Iterator[Issue]:
    """A created key pair carries one tag more than other resources: its key file's digest."""
    for logical_id, resource in stack.resources.items():
        if resource.type != TYPE_NAME or resource.properties.get("public_key"):
            continue
        tags = resource.properties.get("tags") or {}
        if len(tags) > MAX_USER_TAGS - 1:
            yield Issue(
                logical_id,
                ("tags",),
                f"{len(tags)} tags (with the stack's); a key pair AWS creates has room for "
                f"{MAX_USER_TAGS - 1}: stackdeploy keeps its private key file's digest in one",
            )


KEY_PAIR = ResourceType(
    name=TYPE_NAME,
    spec=KeyPairSpec,
    summary="An EC2 key pair (regional) for SSH logins; its key material is fixed.",
    attributes={
        "id": "Key pair name",
        "name": "Key pair name",
        "key_pair_id": "Key pair id (key-...)",
        "fingerprint": "Fingerprint AWS computed for the key",
        "private_key_sha256": "SHA-256 of the private key file stackdeploy wrote (created keys)",
    },
    create_only=frozenset({"name", "public_key", "key_type"}),
    write_only=frozenset({"private_key_path"}),
    replace_notes={
        "name": "a key pair cannot be renamed; instances name their key pair at launch",
        "public_key": "a key pair's key material cannot change; instances launched with the "
        "old key keep it",
        "key_type": "a key pair's key material cannot change",
    },
    file_properties={"public_key_file": "public_key"},
    name_property="name",
    name_max_length=255,
    delete_notes=_delete_note,
    stack_defaults=_default_private_key_path,
    unique_properties={"private_key_path": "on this machine"},
    checks=(_tag_room,),
    typical_create_seconds=1.0,
)
