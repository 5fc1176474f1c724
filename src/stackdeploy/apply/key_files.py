"""Private key files checked before anything changes: a key pair AWS creates hands out its
private half once, so the file it goes to must be writable and must not hold another key.
Found at apply time, a bad path would cost a key pair made and deleted again (and a replaced
one's key); found here, it stops the plan at the property's line."""

from __future__ import annotations

import os
from pathlib import Path

from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.live import LiveState
from stackdeploy.model.stack import Stack
from stackdeploy.plan.types import Action, Plan, ResourceChange
from stackdeploy.providers.ec2.key_pair import file_digest
from stackdeploy.specs.ec2.key_pair import TYPE_NAME


def _creates_a_key(change: ResourceChange) -> bool:
    after = change.after or {}
    return (
        change.type == TYPE_NAME
        and change.action in (Action.CREATE, Action.REPLACE)
        and not after.get("public_key")
        and isinstance(after.get("private_key_path"), str)
    )


def _unwritable(target: Path) -> str | None:
    """Why a new file cannot be written at `target` (None when it can)."""
    existing = target.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    return None


def check_private_key_files(plan: Plan, stack: Stack, live: LiveState) -> None:
    """Raise ConfigErrors for key files in the way or that cannot be written."""
    errors: list[ConfigError] = []
    for change in plan.changes:
        if not _creates_a_key(change):
            continue
        target = Path(str((change.after or {})["private_key_path"])).expanduser().absolute()
        where = stack.property_location(change.address, ("private_key_path",))
        found = live.resources.get(change.address)
        replaced_own = (
            change.action is Action.REPLACE
            and found is not None
            and found.properties.get("private_key_sha256") == file_digest(target)
        )
        if (target.exists() or target.is_symlink()) and not replaced_own:
            errors.append(
                ConfigError(
                    f"the private key file {target} is in the way: a new key is never written "
                    "over an existing file",
                    location=where,
                    hint="move it away (it may be the only copy of another key), or set "
                    "private_key_path to a new file",
                    address=change.address,
                )
            )
        elif (reason := _unwritable(target)) is not None:
            errors.append(
                ConfigError(
                    f"the private key cannot be written to {target}: {reason}",
                    location=where,
                    hint="set private_key_path to a file in a folder you can write",
                    address=change.address,
                )
            )
    if errors:
        raise ConfigErrors(errors)
