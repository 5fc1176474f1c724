"""State in an S3 bucket, for teams and CI pipelines that share a stack's state.

The record is one object per stack, account, region and endpoint (the same key layout as the
local files), written with SSE-S3 encryption. The lock is a second object created with a
conditional write (`If-None-Match: *`): S3 accepts it only if no lock exists, so two runners
can never both hold it. A lock names its holder and carries a random id; one left by a crashed
run is removed with `deploy unlock STACK_FILE ID` (the refusal prints both), as there is no
way to tell a crashed runner from a slow one on another machine.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code, is_not_found
from stackdeploy.aws.session import RetryingClient
from stackdeploy.discovery.state import (
    StateRecord,
    UnlockCommand,
    check_target,
    check_unlock,
    default_unlock_command,
    lock_owner,
    locked_error,
    not_locked_error,
    parse_lock,
    parse_record,
    state_key,
)
from stackdeploy.errors import StateError

_TAKEN = ("PreconditionFailed", "ConditionalRequestConflict")


class S3StateStore:
    """Where one stack's state lives, in `bucket` under `prefix`."""

    def __init__(
        self,
        s3: RetryingClient,
        bucket: str,
        prefix: str,
        *,
        stack: str,
        account: str,
        region: str,
        endpoint: str | None,
        unlock: UnlockCommand = default_unlock_command,
    ) -> None:
        self.s3, self.bucket = s3, bucket
        self.unlock_command = unlock
        self.stack, self.account, self.region, self.endpoint = stack, account, region, endpoint
        key = state_key(stack, account, region, endpoint)
        self.key = f"{prefix.strip('/')}/{key}" if prefix.strip("/") else key
        self.lock_key = self.key.removesuffix(".json") + ".lock"

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def empty(self) -> StateRecord:
        return StateRecord(
            stack=self.stack, account=self.account, region=self.region, endpoint=self.endpoint
        )

    def load(self) -> StateRecord:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except ClientError as error:
            if error_code(error) == "NoSuchBucket":
                raise self._no_bucket() from None
            if is_not_found(error) or error_code(error) == "NoSuchKey":
                return self.empty()
            raise StateError(f"cannot read state {self.location}: {error_code(error)}") from None
        return check_target(parse_record(body, self.location), self.empty(), self.location)

    def save(self, record: StateRecord) -> None:
        record.serial += 1
        record.updated_at = datetime.now(UTC).isoformat(timespec="seconds")
        # One PUT replaces the object whole: readers see the old record or the new one.
        self.s3.put_object(
            Bucket=self.bucket,
            Key=self.key,
            Body=record.model_dump_json(indent=2).encode(),
            ContentType="application/json",
            ServerSideEncryption="AES256",
        )

    @contextlib.contextmanager
    def lock(self, command: str) -> Iterator[None]:
        """Hold the stack's lock for the duration of a command that may write state."""
        owner = lock_owner(command)
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=self.lock_key,
                Body=json.dumps(owner).encode(),
                IfNoneMatch="*",
                ServerSideEncryption="AES256",
            )
        except ClientError as error:
            if error_code(error) in _TAKEN:
                raise self._locked_error() from None
            if error_code(error) == "NoSuchBucket":
                raise self._no_bucket() from None
            raise StateError(
                f"cannot lock state in s3://{self.bucket}: {error_code(error)}",
                hint="the bucket must exist and allow s3:PutObject and s3:DeleteObject",
            ) from None
        try:
            yield
        finally:
            self.s3.delete_object(Bucket=self.bucket, Key=self.lock_key)

    @property
    def lock_location(self) -> str:
        return f"s3://{self.bucket}/{self.lock_key}"

    def unlock(self, lock_id: str) -> dict[str, Any]:
        """Remove a lock its run left behind, only if `lock_id` is its id; returns what the
        lock said about its holder. (While the lock exists no run can take it, so the lock
        deleted is the one read.)"""
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.lock_key)["Body"].read()
        except ClientError as error:
            if error_code(error) == "NoSuchBucket":
                raise self._no_bucket() from None
            if is_not_found(error) or error_code(error) == "NoSuchKey":
                raise not_locked_error(self.stack, self.lock_location) from None
            raise StateError(
                f"cannot read lock {self.lock_location}: {error_code(error)}"
            ) from None
        current, holder = parse_lock(body)
        check_unlock(self.stack, lock_id, current, holder, self.lock_location)
        self.s3.delete_object(Bucket=self.bucket, Key=self.lock_key)
        return holder

    def _holder(self) -> tuple[str, dict[str, Any]]:
        try:
            body = self.s3.get_object(Bucket=self.bucket, Key=self.lock_key)["Body"].read()
        except ClientError:
            body = b""
        return parse_lock(body)

    def _locked_error(self) -> StateError:
        lock_id, holder = self._holder()
        return locked_error(self.stack, holder, self.lock_location, lock_id, self.unlock_command)

    def _no_bucket(self) -> StateError:
        return StateError(
            f"state bucket {self.bucket} does not exist (--state-bucket)",
            hint="state is kept in an existing bucket: create it first, or check its name "
            "and that these credentials are for the account that owns it",
        )
