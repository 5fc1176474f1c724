"""KMS key behaviour beyond the contract, with the strictness layer (keys pending deletion
refuse changes, disabled keys refuse rotation changes, new keys are invisible for a moment):
the deletion window in the plan and on the key, an alias moved in place and across a
replacement, key policies compared by meaning, and what a refresh costs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.planner import PriorState, make_plan
from stackdeploy.plan.types import Action
from stackdeploy.providers.base import ResourceContext
from tests.providers.cases_kms import ACCOUNT_ROOT, KEY
from tests.providers.harness import REGION, STACK, ContractRun
from tests.strict import kms
from tests.strict.core import StrictAws


@pytest.fixture
def strict(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    layer = StrictAws(aws, throttle_rate=0.0, families=[kms.register])
    layer.install(monkeypatch)
    return layer


@pytest.fixture
def run(strict: StrictAws, clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(KEY, clients, aws)


def _raw(run: ContractRun, **changes: Any) -> dict[str, Any]:
    return {**KEY.properties(run.prerequisites), **changes}


def _create(run: ContractRun, **changes: Any) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    return ctx, run.provider.create(ctx, run.canonical(_raw(run, **changes)))


def _truth(strict: StrictAws) -> Any:
    return strict.plain("kms", REGION)


def _alias_target(strict: StrictAws, alias: str) -> str | None:
    aliases = _truth(strict).list_aliases()["Aliases"]
    return next((a.get("TargetKeyId") for a in aliases if a["AliasName"] == alias), None)


def test_destroy_schedules_deletion_after_the_window_the_plan_states(
    run: ContractRun, strict: StrictAws
) -> None:
    _, created = _create(run, deletion_window_days=30)
    stack = run.stack_with(_raw(run, deletion_window_days=30))
    prior = PriorState(applied={"subject": stack.resources["subject"].properties})
    plan = make_plan(stack, run.live_state(created), destroy=True, prior=prior)
    note = plan.change("subject").notes[0]
    assert note.startswith("the key is scheduled for deletion in 30 days; until then it can be ")
    assert "CancelKeyDeletion" in note
    assert "alias/contract-data is deleted now" in note

    run.provider.delete(run.context(), created)
    metadata = _truth(strict).describe_key(KeyId=created.physical_id)["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    days = (metadata["DeletionDate"] - datetime.now(UTC)).days
    assert 29 <= days <= 30
    assert _alias_target(strict, "alias/contract-data") is None
    # Pending deletion counts as gone, and a second destroy is fine (AWS refuses to schedule
    # it again; the provider sees it is already on its way).
    assert run.provider.read(REGION, created.physical_id) is None
    assert run.provider.read_owned(REGION, STACK) == []
    run.provider.delete(run.context(), created)
    assert strict.count("KMSInvalidStateException") == 1


def test_the_window_is_a_planned_change_kept_on_the_key(run: ContractRun) -> None:
    ctx, created = _create(run)
    change = make_plan(
        run.stack_with(_raw(run, deletion_window_days=14)), run.live_state(created)
    ).change("subject")
    assert change.action is Action.UPDATE
    assert [(c.path, c.before, c.after) for c in change.changes] == [
        ("deletion_window_days", 7, 14)
    ]
    updated = run.provider.update(ctx, created, change.after or {}, change.changes)
    assert updated.properties["deletion_window_days"] == 14
    assert "stackdeploy:deletion-window-days" not in updated.properties["tags"]


def test_an_alias_change_moves_it_in_place(run: ContractRun, strict: StrictAws) -> None:
    ctx, created = _create(run)
    change = make_plan(
        run.stack_with(_raw(run, alias="alias/contract-archive")), run.live_state(created)
    ).change("subject")
    assert change.action is Action.UPDATE
    updated = run.provider.update(ctx, created, change.after or {}, change.changes)
    assert updated.physical_id == created.physical_id
    assert updated.properties["alias"] == "alias/contract-archive"
    assert updated.properties["alias_arn"].endswith(":alias/contract-archive")
    assert _alias_target(strict, "alias/contract-archive") == created.physical_id
    assert _alias_target(strict, "alias/contract-data") is None


def test_a_replacement_key_takes_the_alias_over(run: ContractRun, strict: StrictAws) -> None:
    """Created before the old key is scheduled for deletion, the new key moves the alias."""
    _, old = _create(run)
    _, new = _create(run, key_spec="RSA_2048", enable_key_rotation=False)
    assert _alias_target(strict, "alias/contract-data") == new.physical_id
    run.provider.delete(run.context(), old)
    assert _alias_target(strict, "alias/contract-data") == new.physical_id


def test_an_alias_someone_else_holds_is_refused(run: ContractRun, strict: StrictAws) -> None:
    foreign = _truth(strict).create_key()["KeyMetadata"]["KeyId"]
    _truth(strict).create_alias(AliasName="alias/contract-data", TargetKeyId=foreign)
    with pytest.raises(ProviderError) as raised:
        _create(run)
    assert "alias/contract-data already names key" in raised.value.message
    assert _alias_target(strict, "alias/contract-data") == foreign


def test_a_key_policy_written_differently_plans_no_change(run: ContractRun) -> None:
    _, created = _create(run)
    rewritten = json.dumps(
        {
            "Statement": {
                "Resource": ["*"],
                "Action": ["kms:*"],
                # The account id for its root ARN, a list for a single principal.
                "Principal": {"AWS": ["123456789012"]},
                "Effect": "Allow",
                "Sid": "Admin",
            },
            "Version": "2012-10-17",
        },
        indent=4,
    )
    assert ACCOUNT_ROOT.endswith(":123456789012:root")
    plan = make_plan(run.stack_with(_raw(run, policy=rewritten)), run.live_state(created))
    assert plan.change("subject").action is Action.NOOP


def test_rotation_is_set_before_the_key_is_disabled(run: ContractRun, strict: StrictAws) -> None:
    """AWS refuses rotation changes on a disabled key."""
    ctx, created = _create(run, enabled=False)
    assert (created.properties["enabled"], created.properties["enable_key_rotation"]) == (
        False,
        True,
    )
    assert strict.count("KMSInvalidStateException") == 0
    # The key stays disabled: rotation cannot change, and the error says what to do.
    change = make_plan(
        run.stack_with(_raw(run, enabled=False, enable_key_rotation=False)),
        run.live_state(created),
    ).change("subject")
    with pytest.raises(ProviderError) as raised:
        run.provider.update(ctx, created, change.after or {}, change.changes)
    assert "set enabled: true" in (raised.value.hint or "")


def test_extra_aliases_show_as_a_change_and_go(run: ContractRun, strict: StrictAws) -> None:
    ctx, created = _create(run)
    _truth(strict).create_alias(AliasName="alias/by-hand", TargetKeyId=created.physical_id)
    live = run.provider.read(REGION, created.physical_id)
    assert live is not None
    assert live.properties["alias"] == ["alias/by-hand", "alias/contract-data"]
    change = make_plan(run.stack_with(_raw(run)), run.live_state(live)).change("subject")
    assert [c.path for c in change.changes] == ["alias"]
    updated = run.provider.update(ctx, live, change.after or {}, change.changes)
    assert updated.properties["alias"] == "alias/contract-data"
    assert _alias_target(strict, "alias/by-hand") is None


def test_refresh_costs_one_tagging_call_and_three_reads_per_key(
    run: ContractRun, strict: StrictAws
) -> None:
    for logical_id in ("first", "second"):
        run.logical_id = logical_id
        _create(run, alias=f"alias/contract-{logical_id}")
    strict.calls.clear()
    found = run.provider.read_owned(REGION, STACK)
    assert sorted(live.logical_id or "" for live in found) == ["first", "second"]
    assert strict.calls == {
        "resourcegroupstaggingapi.GetResources": 1,
        "kms.ListAliases": 1,
        "kms.DescribeKey": 2,
        "kms.GetKeyPolicy": 2,
        "kms.GetKeyRotationStatus": 2,
    }
