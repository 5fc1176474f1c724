"""The state record: logical id -> physical id, per stack, account, region and endpoint.

It is a cache and an index, not the only truth: discovery by ownership tags rebuilds it, so
losing the file never loses track of resources. Writes are atomic (temp file + rename) with
mode 0600, and a lock file keeps two runs from writing the same stack at once. Teams and CI
keep it in S3 instead (state_s3.py), with the same layout and a conditional-write lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field, ValidationError

from stackdeploy.errors import StateError
from stackdeploy.model.stack import Guards

STATE_VERSION = 1


class ResourceRecord(BaseModel):
    type: str
    region: str
    physical_id: str
    dependencies: list[str] = Field(default_factory=list)
    applied: dict[str, Any] | None = None  # the properties last applied (references resolved)
    # Its lifecycle guards at its last apply: they still hold once it is gone from the file.
    guards: Guards | None = None


class Intent(BaseModel):
    """A create about to be sent, recorded first: if the run dies before the result is
    recorded (or before a separate tagging call), the next run finds the resource by this
    name and adopts it instead of making a second one."""

    type: str
    region: str
    name: str | None = None  # the name it is created under, for types named in AWS
    token: str  # the idempotency token sent with it


class StateRecord(BaseModel):
    version: int = STATE_VERSION
    stack: str
    account: str
    region: str
    endpoint: str | None = None
    # A random id made at the stack's first apply and tagged on every resource it creates:
    # what proves, beyond tags anyone may copy, that this stack made a resource.
    lineage: str | None = None
    serial: int = 0
    resources: dict[str, ResourceRecord] = Field(default_factory=dict)
    intents: dict[str, Intent] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    # Stacks whose outputs this one reads (`${stack:...}`): a destroy of one of them warns.
    reads: list[str] = Field(default_factory=list)
    updated_at: str = ""

    def describe_target(self) -> str:
        where = f"stack {self.stack} in account {self.account}, {self.region}"
        return f"{where} at {self.endpoint}" if self.endpoint else where


def new_lineage(now: datetime | None = None) -> str:
    """A stack's lineage: when its first apply ran (so `deploy ls` can say when it was made
    and `sweep --older-than` can age it, with no tag of its own) and a random part."""
    moment = now or datetime.now(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:16]}"


def check_target(record: StateRecord, expected: StateRecord, where: str) -> StateRecord:
    """A stored record, refused unless it was written for the target it is read for: a
    record copied from another stack, account, region or endpoint would make this run treat
    that target's resources as its own."""
    fields = ("stack", "account", "region", "endpoint")
    wrong = [f for f in fields if getattr(record, f) != getattr(expected, f)]
    if wrong:
        raise StateError(
            f"state {where} was written for {record.describe_target()}, "
            f"not for {expected.describe_target()} (it differs in {', '.join(wrong)})",
            hint="a state record belongs to one target: move this file back where it came "
            "from; without it the next plan finds this target's resources by their tags",
        )
    return record


def default_state_dir() -> Path:
    return Path(os.environ.get("STACKDEPLOY_STATE_DIR", ".stackdeploy"))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "_", text).strip("_")


def state_key(stack: str, account: str, region: str, endpoint: str | None) -> str:
    """`state/<stack>/<account>-<region>[@endpoint].json`: one record per target."""
    suffix = f"@{_slug(endpoint.split('://')[-1])}" if endpoint else ""
    return f"state/{stack}/{account}-{region}{suffix}.json"


def parse_record(text: str | bytes, where: str) -> StateRecord:
    """A stored state record, checked; `where` names it in errors."""
    try:
        record = StateRecord.model_validate_json(text)
    except ValidationError:
        raise StateError(
            f"state {where} is corrupt",
            hint="move it aside: the next plan rebuilds it from the resources' ownership tags",
        ) from None
    if record.version > STATE_VERSION:
        raise StateError(f"state {where} was written by a newer stackdeploy")
    return record


# `deploy unlock` with the arguments that name this stack's state, given a lock id.
UnlockCommand = Callable[[str], str]


def default_unlock_command(lock_id: str) -> str:
    return f"deploy unlock STACK_FILE {lock_id}"


def lock_owner(command: str) -> dict[str, Any]:
    """What a lock says about its holder, with a random id that `deploy unlock` must name."""
    return {
        "id": secrets.token_hex(6),
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "command": command,
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def parse_lock(body: bytes) -> tuple[str, dict[str, Any]]:
    """(id, holder) of a lock's content. A lock without an id (written by an earlier
    stackdeploy, or by hand) is known by the digest of its content instead."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    holder: dict[str, Any] = data if isinstance(data, dict) else {}
    lock_id = holder.get("id")
    if not isinstance(lock_id, str) or not lock_id:
        lock_id = hashlib.sha256(body).hexdigest()[:12]
    return lock_id, holder


def describe_holder(holder: dict[str, Any]) -> str:
    """`pid 42 on runner-7 (apply) since ...`, with what the lock says."""
    if not holder:
        return "another run"
    parts = [f"pid {holder.get('pid', '?')} on {holder.get('host', 'an unknown host')}"]
    if holder.get("command"):
        parts.append(f"({holder['command']})")
    if holder.get("since"):
        parts.append(f"since {holder['since']}")
    return " ".join(parts)


def locked_error(
    stack: str, holder: dict[str, Any], lock: str, lock_id: str, unlock: UnlockCommand
) -> StateError:
    """The refusal when another run holds the lock at `lock`."""
    return StateError(
        f"stack {stack} is locked by {describe_holder(holder)}, lock id {lock_id}",
        hint=f"wait for that run to finish; if it is gone (killed, its runner lost), run "
        f"`{unlock(lock_id)}` (the lock is {lock})",
    )


def check_unlock(stack: str, given: str, lock_id: str, holder: dict[str, Any], lock: str) -> None:
    """Refuse `deploy unlock` unless it names the lock there now."""
    if given != lock_id:
        raise StateError(
            f"lock id {given} does not match the lock on stack {stack}: it is held by "
            f"{describe_holder(holder)}, lock id {lock_id} ({lock})",
            hint="nothing was removed; a newer run may hold it now. Unlock only a lock whose "
            "run is gone, with the id its refusal printed",
        )


def not_locked_error(stack: str, lock: str) -> StateError:
    return StateError(
        f"stack {stack} is not locked (there is no lock at {lock})",
        hint="nothing to remove; check that --copy, --region and --state-bucket are those of "
        "the refused run",
    )


class StateBackend(Protocol):
    """What keeps a stack's state record: a local file (StateStore) or an S3 object."""

    @property
    def location(self) -> str:
        """Where the record is, for messages: a path, or s3://bucket/key."""
        ...

    def load(self) -> StateRecord: ...

    def save(self, record: StateRecord) -> None: ...

    def lock(self, command: str) -> contextlib.AbstractContextManager[None]: ...

    def unlock(self, lock_id: str) -> dict[str, Any]: ...


class StateStore:
    """Where one stack's state lives for one account, region and endpoint: a local file."""

    def __init__(
        self,
        directory: Path,
        stack: str,
        account: str,
        region: str,
        endpoint: str | None,
        *,
        unlock: UnlockCommand = default_unlock_command,
    ) -> None:
        self.stack, self.account, self.region, self.endpoint = stack, account, region, endpoint
        self.path = directory / state_key(stack, account, region, endpoint)
        self.lock_path = self.path.with_suffix(".lock")
        self.unlock_command = unlock

    @property
    def location(self) -> str:
        return str(self.path)

    def empty(self) -> StateRecord:
        return StateRecord(
            stack=self.stack, account=self.account, region=self.region, endpoint=self.endpoint
        )

    def load(self) -> StateRecord:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return self.empty()
        except OSError as error:
            raise StateError(f"cannot read state {self.path}: {error.strerror}") from None
        return check_target(parse_record(text, str(self.path)), self.empty(), str(self.path))

    def save(self, record: StateRecord) -> None:
        record.serial += 1
        record.updated_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(record.model_dump_json(indent=2))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    @contextlib.contextmanager
    def lock(self, command: str) -> Iterator[None]:
        """Hold the stack's lock for the duration of a command that may write state."""
        self.lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        owner = lock_owner(command)
        for _ in range(2):
            try:
                descriptor = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                if self._break_stale_lock():
                    continue
                raise self._locked_error() from None
            with os.fdopen(descriptor, "w") as handle:
                json.dump(owner, handle)
            break
        else:  # pragma: no cover - only if another process races us twice
            raise self._locked_error()
        try:
            yield
        finally:
            with contextlib.suppress(FileNotFoundError):
                self.lock_path.unlink()

    def unlock(self, lock_id: str) -> dict[str, Any]:
        """Remove a lock its run left behind, only if `lock_id` is its id; returns what the
        lock said about its holder."""
        try:
            body = self.lock_path.read_bytes()
        except FileNotFoundError:
            raise not_locked_error(self.stack, str(self.lock_path)) from None
        except OSError as error:
            raise StateError(f"cannot read lock {self.lock_path}: {error.strerror}") from None
        current, holder = parse_lock(body)
        check_unlock(self.stack, lock_id, current, holder, str(self.lock_path))
        if self._alive_here(holder):
            raise StateError(
                f"the run holding stack {self.stack}'s lock is still running: "
                f"{describe_holder(holder)}",
                hint="nothing was removed; let it finish, or stop it (Ctrl-C lets it record "
                "what it is doing) and its lock goes with it",
            )
        with contextlib.suppress(FileNotFoundError):
            self.lock_path.unlink()
        return holder

    def _holder(self) -> tuple[str, dict[str, Any]]:
        try:
            return parse_lock(self.lock_path.read_bytes())
        except OSError:
            return parse_lock(b"")

    @staticmethod
    def _alive_here(holder: dict[str, Any]) -> bool:
        """Whether the holder is a process that still exists on this host."""
        if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
            return False
        try:
            os.kill(holder["pid"], 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # another user's process
        return True

    def _break_stale_lock(self) -> bool:
        """A lock left by a process on this host that no longer exists is safe to break."""
        _, holder = self._holder()
        if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
            return False
        if self._alive_here(holder):
            return False
        with contextlib.suppress(FileNotFoundError):
            self.lock_path.unlink()
        return True

    def _locked_error(self) -> StateError:
        lock_id, holder = self._holder()
        return locked_error(self.stack, holder, str(self.lock_path), lock_id, self.unlock_command)


class StateWriter:
    """Thread-safe updates of one state record during an apply, saved after every change."""

    def __init__(self, store: StateBackend, record: StateRecord) -> None:
        self.store = store
        self.record = record
        self._lock = threading.Lock()

    def record_resource(
        self,
        address: str,
        *,
        type_name: str,
        region: str,
        physical_id: str,
        dependencies: list[str],
        applied: dict[str, Any] | None,
        guards: Guards | None = None,
    ) -> None:
        with self._lock:
            self.record.resources[address] = ResourceRecord(
                type=type_name,
                region=region,
                physical_id=physical_id,
                dependencies=dependencies,
                applied=applied,
                guards=guards if guards != Guards() else None,
            )
            self.record.intents.pop(address, None)
            self.store.save(self.record)

    def record_intent(self, address: str, intent: Intent) -> None:
        """Remember a create before it is sent (see Intent)."""
        with self._lock:
            self.record.intents[address] = intent
            self.store.save(self.record)

    def drop_intent(self, address: str) -> None:
        """Forget an intent whose create certainly made nothing (AWS refused it)."""
        with self._lock:
            if self.record.intents.pop(address, None) is not None:
                self.store.save(self.record)

    def forget(self, address: str, physical_id: str) -> None:
        """Drop a deleted resource, unless the record already points at its replacement."""
        with self._lock:
            current = self.record.resources.get(address)
            intent = self.record.intents.get(address)
            if current is not None and current.physical_id == physical_id:
                del self.record.resources[address]
            elif intent is not None and intent.name == physical_id:
                del self.record.intents[address]
            else:
                return
            self.store.save(self.record)

    def set_reads(self, stacks: list[str]) -> None:
        """The stacks whose outputs this one read, saved with its next record."""
        with self._lock:
            self.record.reads = stacks

    def set_outputs(self, outputs: dict[str, Any]) -> None:
        with self._lock:
            self.record.outputs = outputs
            self.store.save(self.record)


def now() -> float:
    return time.time()
