"""KMS keys as AWS runs them, where moto is lenient.

moto already reports a key scheduled for deletion as PendingDeletion (with its DeletionDate)
in DescribeKey, refuses a duplicate alias (AlreadyExistsException) and an alias without the
`alias/` prefix. What it lets through and AWS refuses, with AWS's codes and messages:

- ScheduleKeyDeletion with a waiting period outside 7 to 30 days (ValidationException);
- anything that changes a key pending deletion: enabling it (moto even flips it back to
  Enabled), disabling it, its description, policy, rotation, tags, an alias pointing at it,
  and scheduling its deletion again (KMSInvalidStateException);
- rotation changes on a disabled key (KMSInvalidStateException), and rotation of a key that
  is not symmetric (UnsupportedOperationException);
- a key is not visible at once after CreateKey (KMS is eventually consistent): the first
  `kms_propagation_attempts` calls naming it (default 1; set the attribute on the StrictAws
  to change it) answer NotFoundException.
"""

from __future__ import annotations

import threading
from typing import Any

from tests.strict.core import AwsError, Call, StrictAws

# Operations refused on a key pending deletion, and the parameter naming the key.
_CHANGES = {
    "EnableKey": "KeyId",
    "DisableKey": "KeyId",
    "UpdateKeyDescription": "KeyId",
    "PutKeyPolicy": "KeyId",
    "EnableKeyRotation": "KeyId",
    "DisableKeyRotation": "KeyId",
    "TagResource": "KeyId",
    "UntagResource": "KeyId",
    "ScheduleKeyDeletion": "KeyId",
    "CreateAlias": "TargetKeyId",
    "UpdateAlias": "TargetKeyId",
}
_ROTATION = ("EnableKeyRotation", "DisableKeyRotation", "GetKeyRotationStatus")
# Operations a just-created key is not yet visible to (all that name one key).
_NAMING_A_KEY = {
    **_CHANGES,
    "DescribeKey": "KeyId",
    "GetKeyPolicy": "KeyId",
    "GetKeyRotationStatus": "KeyId",
    "ListResourceTags": "KeyId",
}


def register(strict: StrictAws) -> None:
    Keys(strict)


class Keys:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict
        self._lock = threading.Lock()
        self._unpropagated: dict[str, int] = {}  # key id -> refusals still to give
        strict.after("kms", "CreateKey", self.created)
        for operation in _NAMING_A_KEY:
            strict.before("kms", operation, self.propagated)
        strict.before("kms", "ScheduleKeyDeletion", self.waiting_period)
        for operation in _CHANGES:
            strict.before("kms", operation, self.not_pending_deletion)
        for operation in _ROTATION:
            strict.before("kms", operation, self.rotatable)

    def _key(self, call: Call, parameter: str = "KeyId") -> dict[str, Any] | None:
        """moto's metadata of the key a call names (by id, ARN or alias), or None."""
        named = call.params.get(parameter)
        if not named:
            return None
        kms = self._strict.plain("kms", call.region)
        try:
            metadata: dict[str, Any] = kms.describe_key(KeyId=named)["KeyMetadata"]
        except kms.exceptions.NotFoundException:
            return None  # moto answers NotFoundException itself
        return metadata

    def created(self, call: Call, parsed: dict[str, Any]) -> None:
        key_id = (parsed.get("KeyMetadata") or {}).get("KeyId")
        attempts = int(getattr(self._strict, "kms_propagation_attempts", 1))
        if key_id and attempts > 0:
            with self._lock:
                self._unpropagated[str(key_id)] = attempts

    def propagated(self, call: Call) -> None:
        named = str(call.params.get(_NAMING_A_KEY[call.operation], ""))
        key_id = named.rsplit("/", 1)[-1]  # a key id, or the id at the end of its ARN
        with self._lock:
            remaining = self._unpropagated.get(key_id, 0)
            if remaining <= 0:
                return
            self._unpropagated[key_id] = remaining - 1
        raise AwsError("NotFoundException", f"Key '{named}' does not exist")

    def waiting_period(self, call: Call) -> None:
        days = call.params.get("PendingWindowInDays")
        if days is None:
            return  # AWS's default, 30 days
        if int(days) < 7:
            bound = "greater than or equal to 7"
        elif int(days) > 30:
            bound = "less than or equal to 30"
        else:
            return
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to "
            f"satisfy constraint: Member must have value {bound}",
        )

    def not_pending_deletion(self, call: Call) -> None:
        key = self._key(call, _CHANGES[call.operation])
        if key is not None and key.get("KeyState") == "PendingDeletion":
            raise AwsError("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")

    def rotatable(self, call: Call) -> None:
        key = self._key(call)
        if key is None:
            return
        spec = key.get("KeySpec") or key.get("CustomerMasterKeySpec")
        if spec != "SYMMETRIC_DEFAULT":
            raise AwsError(
                "UnsupportedOperationException",
                f"{key['Arn']} key spec {spec} does not support automatic key rotation.",
            )
        if call.operation != "GetKeyRotationStatus" and key.get("KeyState") == "Disabled":
            raise AwsError("KMSInvalidStateException", f"{key['Arn']} is disabled.")
