"""The KMS rules of the strictness layer: each fires the way AWS would, then clears."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import REGION
from tests.strict import kms
from tests.strict.core import StrictAws
from tests.strict.probe import hooked_client, refusal


@pytest.fixture
def layer(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """Only this family, no throttling, keys visible at once (one test turns that on)."""
    strict = StrictAws(aws, throttle_rate=0.0, families=[kms.register])
    strict.kms_propagation_attempts = 0  # type: ignore[attr-defined]
    strict.install(monkeypatch)
    return strict


@pytest.fixture
def client(layer: StrictAws, aws: str) -> Any:
    return hooked_client(aws, "kms")


@pytest.fixture
def truth(layer: StrictAws) -> Any:
    return layer.plain("kms", REGION)


def _error(call: Callable[[], object]) -> tuple[str, str]:
    code, message, _ = refusal(call)
    return code, message


def _key(client: Any, **options: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = client.create_key(**options)["KeyMetadata"]
    return metadata


@pytest.mark.parametrize(("days", "bound"), [(6, "greater than or equal to 7"), (31, "less")])
def test_a_waiting_period_outside_7_to_30_days_is_refused(
    client: Any, truth: Any, days: int, bound: str
) -> None:
    key = _key(client)["KeyId"]
    code, message = _error(
        lambda: client.schedule_key_deletion(KeyId=key, PendingWindowInDays=days)
    )
    assert code == "ValidationException"
    assert f"Value '{days}' at 'pendingWindowInDays'" in message
    assert bound in message
    assert truth.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
    client.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)


def test_a_key_pending_deletion_cannot_be_changed(client: Any, truth: Any) -> None:
    key = _key(client)
    client.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    # moto itself reports the state AWS does.
    described = client.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion"
    assert described["DeletionDate"]
    pending = ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")
    # moto alone would flip the key back to Enabled.
    assert _error(lambda: client.enable_key(KeyId=key["KeyId"])) == pending
    assert _error(lambda: client.schedule_key_deletion(KeyId=key["KeyId"])) == pending
    assert (
        _error(lambda: client.create_alias(AliasName="alias/late", TargetKeyId=key["KeyId"]))
        == pending
    )
    assert truth.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    client.cancel_key_deletion(KeyId=key["KeyId"])
    client.enable_key(KeyId=key["KeyId"])


def test_rotation_needs_an_enabled_symmetric_key(client: Any) -> None:
    key = _key(client)
    client.disable_key(KeyId=key["KeyId"])
    assert _error(lambda: client.enable_key_rotation(KeyId=key["KeyId"])) == (
        "KMSInvalidStateException",
        f"{key['Arn']} is disabled.",
    )
    client.enable_key(KeyId=key["KeyId"])
    client.enable_key_rotation(KeyId=key["KeyId"])
    signing = _key(client, KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    code, _ = _error(lambda: client.get_key_rotation_status(KeyId=signing["KeyId"]))
    assert code == "UnsupportedOperationException"


def test_a_new_key_is_not_visible_at_once(layer: StrictAws, client: Any) -> None:
    layer.kms_propagation_attempts = 1  # type: ignore[attr-defined]
    key = _key(client)["KeyId"]
    assert _error(lambda: client.describe_key(KeyId=key))[0] == "NotFoundException"
    assert client.describe_key(KeyId=key)["KeyMetadata"]["KeyId"] == key
