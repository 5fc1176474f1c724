"""DynamoDB table behaviour beyond the contract, with the strictness layer's time model
(tables CREATING / UPDATING / DELETING, indexes built and dropped over several polls, one
index change at a time): global indexes change in place one by one, local index changes
replace the table and say why, deletion protection blocks a destroy with a clear message,
and a refresh costs what the provider says."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ProviderError
from stackdeploy.events import Waiting
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.planner import PriorState, make_plan
from stackdeploy.plan.types import Action
from stackdeploy.providers.base import ResourceContext
from stackdeploy.specs.dynamodb.table import DYNAMODB_TABLE
from tests.providers.cases_dynamodb import TABLE, kms_key_arn
from tests.providers.harness import REGION, ContractRun, fail_times
from tests.strict import dynamodb, kms
from tests.strict.core import Call, StrictAws


@pytest.fixture
def strict(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    layer = StrictAws(
        aws, throttle_rate=0.0, pending_polls=2, families=[dynamodb.register, kms.register]
    )
    layer.install(monkeypatch)
    return layer


@pytest.fixture
def run(strict: StrictAws, clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(TABLE, clients, aws)


@pytest.fixture
def table_updates(strict: StrictAws) -> list[dict[str, Any]]:
    """The parameters of every UpdateTable AWS accepted, in order."""
    accepted: list[dict[str, Any]] = []

    def record(call: Call, parsed: dict[str, Any]) -> None:
        accepted.append(copy.deepcopy(call.params))

    strict.after("dynamodb", "UpdateTable", record)
    return accepted


def _raw(run: ContractRun, **changes: Any) -> dict[str, Any]:
    return {**TABLE.properties(run.prerequisites), **changes}


def _create(run: ContractRun, **changes: Any) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    return ctx, run.provider.create(ctx, run.canonical(_raw(run, **changes)))


def _index_operations(updates: list[dict[str, Any]]) -> list[str]:
    """Each accepted UpdateTable as "<Create|Delete|Update> <index>", or its other keys."""
    described = []
    for params in updates:
        index_updates = params.get("GlobalSecondaryIndexUpdates") or []
        for update in index_updates:
            (kind, body), *_ = update.items()
            described.append(f"{kind} {body['IndexName']}")
        if not index_updates:
            described.append(",".join(sorted(k for k in params if k != "TableName")))
    return described


def _reported(run: ContractRun, name: str) -> list[str]:
    """What DescribeTable reports through the layer: the table's and indexes' statuses."""
    table = run.clients.client("dynamodb", REGION).describe_table(TableName=name)["Table"]
    indexes = table.get("GlobalSecondaryIndexes") or []
    return [table["TableStatus"], *(i["IndexStatus"] for i in indexes)]


def _index(name: str, hash_key: str) -> dict[str, Any]:
    return {"name": name, "hash_key": hash_key, "range_key": "ordered_at"}


def test_a_new_table_is_waited_on_until_it_and_its_index_are_active(run: ContractRun) -> None:
    _, created = _create(run)
    assert [i["name"] for i in created.properties["global_secondary_indexes"]] == ["by-status"]
    waits = [e.status for e in run.events.of(Waiting) if isinstance(e, Waiting)]
    assert "table CREATING, index by-status CREATING (backfilling)" in waits
    # The table was ACTIVE before its index: the provider waited for the index too.
    assert "index by-status CREATING (backfilling)" in waits
    assert _reported(run, "contract-subject") == ["ACTIVE", "ACTIVE"]


def test_two_global_indexes_added_in_one_apply_go_one_at_a_time(
    run: ContractRun, strict: StrictAws, table_updates: list[dict[str, Any]]
) -> None:
    ctx, created = _create(run)
    attributes = {"customer": "S", "ordered_at": "N", "status": "S", "region": "S", "rep": "S"}
    indexes = [
        _index("by-status", "status"),
        _index("by-region", "region"),
        _index("by-rep", "rep"),
    ]
    raw = _raw(run, attributes=attributes, global_secondary_indexes=indexes)
    change = make_plan(run.stack_with(raw), run.live_state(created)).change("subject")

    assert change.action is Action.UPDATE  # in place: no replacement
    assert {c.path for c in change.changes} == {"attributes", "global_secondary_indexes"}
    updated = run.provider.update(ctx, created, change.after or {}, change.changes)

    assert updated.physical_id == created.physical_id
    assert _index_operations(table_updates) == ["Create by-region", "Create by-rep"]
    # Each waited for the previous index to be built: DynamoDB never had to refuse one.
    assert strict.count("LimitExceededException") == 0
    assert strict.count("ResourceInUseException") == 0
    waits = [e.status for e in run.events.of(Waiting) if isinstance(e, Waiting)]
    assert "index by-region CREATING (backfilling)" in waits
    assert _reported(run, "contract-subject") == ["ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE"]
    assert sorted(i["name"] for i in updated.properties["global_secondary_indexes"]) == [
        "by-region",
        "by-rep",
        "by-status",
    ]


def test_a_changed_index_key_is_dropped_and_added_again_in_place(
    run: ContractRun, strict: StrictAws, table_updates: list[dict[str, Any]]
) -> None:
    ctx, created = _create(run)
    attributes = {"customer": "S", "ordered_at": "N", "state": "S"}
    raw = _raw(run, attributes=attributes, global_secondary_indexes=[_index("by-status", "state")])
    change = make_plan(run.stack_with(raw), run.live_state(created)).change("subject")
    assert change.action is Action.UPDATE
    updated = run.provider.update(ctx, created, change.after or {}, change.changes)
    assert _index_operations(table_updates) == ["Delete by-status", "Create by-status"]
    assert strict.count() == 0
    assert updated.properties["global_secondary_indexes"][0]["hash_key"] == "state"
    assert updated.properties["attributes"] == attributes


def test_removing_an_index_and_switching_to_provisioned(
    run: ContractRun, strict: StrictAws, table_updates: list[dict[str, Any]]
) -> None:
    """Billing switches after the index is gone; every remaining index gets its capacity."""
    ctx, created = _create(
        run,
        attributes={"customer": "S", "ordered_at": "N", "status": "S", "rep": "S"},
        global_secondary_indexes=[_index("by-status", "status"), _index("by-rep", "rep")],
    )
    raw = _raw(run, read_capacity=10, write_capacity=5)
    change = make_plan(run.stack_with(raw), run.live_state(created)).change("subject")
    updated = run.provider.update(ctx, created, change.after or {}, change.changes)
    assert _index_operations(table_updates) == ["Delete by-rep", "Update by-status"]
    assert table_updates[1]["BillingMode"] == "PROVISIONED"
    assert table_updates[1]["ProvisionedThroughput"] == {
        "ReadCapacityUnits": 10,
        "WriteCapacityUnits": 5,
    }
    assert strict.count() == 0
    index = updated.properties["global_secondary_indexes"][0]
    assert (index["read_capacity"], index["write_capacity"]) == (10, 5)


def test_a_local_index_change_plans_a_replacement_with_the_reason(run: ContractRun) -> None:
    _, created = _create(run)
    raw = _raw(
        run,
        attributes={"customer": "S", "ordered_at": "N", "status": "S", "total": "N"},
        local_secondary_indexes=[{"name": "by-total", "range_key": "total"}],
    )
    change = make_plan(run.stack_with(raw), run.live_state(created)).change("subject")
    assert change.action is Action.REPLACE
    assert change.replace_paths() == ["local_secondary_indexes"]
    forcing = next(c for c in change.changes if c.forces_replacement)
    assert forcing.note == DYNAMODB_TABLE.replace_notes["local_secondary_indexes"]
    assert "can only be defined when a table is created" in (forcing.note or "")
    assert any("every item in it" in note for note in change.notes)


def test_deletion_protection_refuses_the_destroy_and_the_plan_warns(run: ContractRun) -> None:
    _, created = _create(run, deletion_protection=True)
    stack = run.stack_with(_raw(run, deletion_protection=True))
    prior = PriorState(applied={"subject": stack.resources["subject"].properties})
    plan = make_plan(stack, run.live_state(created), destroy=True, prior=prior)
    assert plan.change("subject").action is Action.DELETE
    assert any("deletion protection is on" in warning for warning in plan.warnings)

    with pytest.raises(ProviderError) as raised:
        run.provider.delete(run.context(), created)
    assert "deletion protection" in raised.value.message
    assert "deletion_protection: false" in (raised.value.hint or "")
    assert run.provider.read(REGION, created.physical_id) is not None


def test_a_replaced_table_is_deleted_and_waited_for_before_its_name_is_reused(
    run: ContractRun, strict: StrictAws
) -> None:
    ctx, created = _create(run)
    run.provider.delete(ctx, created)
    waits = [e.what for e in run.events.of(Waiting) if isinstance(e, Waiting)]
    assert "table contract-subject to be deleted" in waits
    _, again = _create(run)
    assert again.physical_id == created.physical_id
    assert strict.count("ResourceInUseException") == 0


def test_encryption_key_and_table_class_change_in_place(
    run: ContractRun, strict: StrictAws
) -> None:
    """moto ignores both in UpdateTable; the layer reports them as AWS does."""
    ctx, created = _create(run)
    key = kms_key_arn(run.prerequisites)
    raw = _raw(run, kms_key_arn=key, table_class="STANDARD_INFREQUENT_ACCESS")
    change = make_plan(run.stack_with(raw), run.live_state(created)).change("subject")
    assert change.action is Action.UPDATE
    updated = run.provider.update(ctx, created, change.after or {}, change.changes)
    assert updated.properties["kms_key_arn"] == key
    assert updated.properties["table_class"] == "STANDARD_INFREQUENT_ACCESS"
    # And back to the AWS owned key.
    back = make_plan(run.stack_with(_raw(run)), run.live_state(updated)).change("subject")
    assert {c.path for c in back.changes} == {"kms_key_arn", "table_class"}
    again = run.provider.update(ctx, updated, back.after or {}, back.changes)
    assert again.properties["kms_key_arn"] == ""
    assert strict.count() == 0


def test_a_refused_ttl_change_says_to_try_again_later(run: ContractRun) -> None:
    ctx, created = _create(run)
    change = make_plan(
        run.stack_with(_raw(run, ttl_attribute="purge_at")), run.live_state(created)
    ).change("subject")
    fail_times(run.clients, "UpdateTimeToLive", "ValidationException", 1, service="dynamodb")
    with pytest.raises(ProviderError) as raised:
        run.provider.update(ctx, created, change.after or {}, change.changes)
    assert "up to an hour" in (raised.value.hint or "")


def test_an_interrupted_create_is_adopted_and_a_foreign_table_refused(run: ContractRun) -> None:
    _, created = _create(run)
    # The same resource created again (its state write was lost): adopted, not duplicated.
    _, adopted = _create(run, tags={"team": "orders"})
    assert adopted.physical_id == created.physical_id
    assert adopted.properties["tags"] == {"suite": "contract", "team": "orders"}
    run.logical_id = "other"
    with pytest.raises(ProviderError) as raised:
        _create(run, name="contract-subject")
    assert "this stack does not own it" in raised.value.message


def test_refresh_reads_the_stack_tables_with_one_tagging_call(
    run: ContractRun, strict: StrictAws
) -> None:
    for logical_id in ("first", "second"):
        run.logical_id = logical_id
        _create(run, name=f"contract-{logical_id}")
    strict.calls.clear()
    found = run.provider.read_owned(REGION, "contract")
    assert sorted(live.logical_id or "" for live in found) == ["first", "second"]
    assert strict.calls == {
        "resourcegroupstaggingapi.GetResources": 1,
        "dynamodb.DescribeTable": 2,
        "dynamodb.DescribeTimeToLive": 2,
        "dynamodb.DescribeContinuousBackups": 2,
    }
