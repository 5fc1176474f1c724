"""Key pair behaviour beyond the contract: the private key file (where, which modes, never
overwritten, never shown), keys compared without their comment, and adoption."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.providers.base import ResourceContext
from stackdeploy.specs.ec2.key_pair import KEY_PAIR
from tests.providers.cases_iam import CREATED_KEY_PAIR, ED25519_KEY, IMPORTED_KEY_PAIR, RSA_KEY
from tests.providers.harness import REGION, STACK, ContractRun

NAME = "contract-subject"


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(CREATED_KEY_PAIR, clients, aws)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of our own, so the default key path never touches the real ~/.ssh."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _ec2(run: ContractRun) -> RetryingClient:
    return run.clients.client("ec2", REGION)


def _create(run: ContractRun, raw: dict[str, Any]) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    return ctx, run.provider.create(ctx, run.canonical(raw))


def _key_names(run: ContractRun) -> list[str]:
    return [k["KeyName"] for k in _ec2(run).describe_key_pairs()["KeyPairs"]]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_created_key_goes_to_the_default_path_privately(run: ContractRun, home: Path) -> None:
    _, created = _create(run, {})
    key_file = home / ".ssh" / "stackdeploy" / f"{STACK}-{NAME}.pem"
    assert key_file.read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert _mode(key_file) == 0o600
    assert _mode(key_file.parent) == 0o700
    assert _mode(home / ".ssh") == 0o700
    assert created.properties["key_type"] == "rsa"
    # The private key appears in no event and in nothing the provider returns.
    assert "PRIVATE KEY" not in repr(run.events.events)
    assert "PRIVATE KEY" not in repr(created)


def test_an_existing_key_file_is_never_overwritten(run: ContractRun, tmp_path: Path) -> None:
    key_file = tmp_path / "mine.pem"
    key_file.write_text("my only copy\n")
    with pytest.raises(ProviderError) as raised:
        _create(run, {"private_key_path": str(key_file)})
    assert raised.value.code == "PrivateKeyFileExists"
    assert key_file.read_text() == "my only copy\n"
    # Checked before anything was created in AWS.
    assert _key_names(run) == []


def test_an_unwritable_key_file_undoes_the_key_pair(run: ContractRun, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(ProviderError) as raised:
        _create(run, {"private_key_path": str(blocker / "key.pem")})
    assert raised.value.code == "PrivateKeyFileUnwritable"
    assert _key_names(run) == []


def test_delete_leaves_the_private_key_file(run: ContractRun, tmp_path: Path) -> None:
    key_file = tmp_path / "key.pem"
    _, created = _create(run, {"private_key_path": str(key_file)})
    run.provider.delete(run.context(), created)
    assert _key_names(run) == []
    assert key_file.exists()
    note = KEY_PAIR.delete_note({"name": NAME, "private_key_path": str(key_file)})
    assert note is not None
    assert str(key_file) in note


def test_an_imported_key_compares_without_its_comment(run: ContractRun) -> None:
    _, created = _create(run, {"public_key": RSA_KEY})
    assert created.properties["key_type"] == "rsa"
    assert created.properties["public_key"] == " ".join(RSA_KEY.split()[:2])
    same_key_new_comment = RSA_KEY.rsplit(" ", 1)[0] + " someone@laptop"
    plan = make_plan(run.stack_with({"public_key": same_key_new_comment}), run.live_state(created))
    assert plan.change("subject").action is Action.NOOP
    other_key = make_plan(run.stack_with({"public_key": ED25519_KEY}), run.live_state(created))
    change = other_key.change("subject")
    assert change.action is Action.REPLACE
    assert set(change.replace_paths()) == {"public_key", "key_type"}


def test_an_interrupted_import_is_adopted(run: ContractRun) -> None:
    _ec2(run).import_key_pair(
        KeyName=NAME,
        PublicKeyMaterial=ED25519_KEY.encode(),
        TagSpecifications=[
            {
                "ResourceType": "key-pair",
                "Tags": [
                    {"Key": "stackdeploy:stack", "Value": STACK},
                    {"Key": "stackdeploy:id", "Value": "subject"},
                ],
            }
        ],
    )
    _, created = _create(run, IMPORTED_KEY_PAIR.properties(run.prerequisites))
    assert created.physical_id == NAME


def test_a_key_pair_someone_else_made_is_refused(run: ContractRun) -> None:
    _ec2(run).import_key_pair(KeyName=NAME, PublicKeyMaterial=ED25519_KEY.encode())
    with pytest.raises(ProviderError) as raised:
        _create(run, IMPORTED_KEY_PAIR.properties(run.prerequisites))
    assert raised.value.code == "InvalidKeyPair.Duplicate"
