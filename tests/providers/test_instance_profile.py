"""Instance profile behaviour beyond the contract: waiting out IAM propagation of a new role,
swapping and restoring the role, adoption, and deletes that empty the profile first."""

from __future__ import annotations

from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.errors import ProviderError
from stackdeploy.events import Retrying
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.providers.base import ResourceContext
from tests.providers.cases_iam import INSTANCE_PROFILE
from tests.providers.harness import REGION, STACK, ContractRun, fail_times

NAME = "contract-subject"


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(INSTANCE_PROFILE, clients, aws)


def _iam(run: ContractRun) -> RetryingClient:
    return run.clients.client("iam", REGION)


def _create(run: ContractRun, **changes: Any) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    props = run.canonical({**INSTANCE_PROFILE.properties(run.prerequisites), **changes})
    return ctx, run.provider.create(ctx, props)


def _roles(run: ContractRun) -> list[str]:
    profile = _iam(run).get_instance_profile(InstanceProfileName=NAME)["InstanceProfile"]
    return [role["RoleName"] for role in profile["Roles"]]


def test_a_role_iam_does_not_know_yet_is_waited_for(run: ContractRun) -> None:
    """Right after CreateRole, AddRoleToInstanceProfile can answer NoSuchEntity."""
    fail_times(run.clients, "AddRoleToInstanceProfile", "NoSuchEntity", 2, service="iam")
    _, created = _create(run)
    assert created.properties["role"] == "prereq-web"
    codes = [e.code for e in run.events.of(Retrying) if isinstance(e, Retrying)]
    assert codes == ["NoSuchEntity", "NoSuchEntity"]


def test_a_role_that_never_appears_fails(run: ContractRun) -> None:
    with pytest.raises(Exception, match="NoSuchEntity"):
        _create(run, role="no-such-role")


def test_a_role_removed_outside_is_planned_back(run: ContractRun) -> None:
    ctx, _ = _create(run)
    _iam(run).remove_role_from_instance_profile(InstanceProfileName=NAME, RoleName="prereq-web")
    live = run.provider.read(REGION, NAME)
    assert live is not None
    assert live.properties["role"] is None
    change = make_plan(
        run.stack_with(INSTANCE_PROFILE.properties(run.prerequisites)), run.live_state(live)
    ).change("subject")
    assert change.action is Action.UPDATE
    assert [c.path for c in change.changes] == ["role"]
    run.provider.update(ctx, live, change.after or {}, change.changes)
    assert _roles(run) == ["prereq-web"]


def test_swapping_the_role_replaces_it_in_place(run: ContractRun) -> None:
    ctx, created = _create(run)
    props = run.canonical(
        {
            **INSTANCE_PROFILE.properties(run.prerequisites),
            "role": run.prerequisites.iam_role_name("prereq-batch"),
        }
    )
    updated = run.provider.update(ctx, created, props, [])
    assert updated.physical_id == created.physical_id
    assert _roles(run) == ["prereq-batch"]


def test_an_interrupted_create_is_adopted(run: ContractRun) -> None:
    _iam(run).create_instance_profile(
        InstanceProfileName=NAME,
        Tags=[
            {"Key": "stackdeploy:stack", "Value": STACK},
            {"Key": "stackdeploy:id", "Value": "subject"},
        ],
    )
    _, created = _create(run)
    assert created.properties["role"] == "prereq-web"
    assert created.properties["tags"] == {"suite": "contract", "tier": "web"}


def test_a_profile_someone_else_made_is_refused(run: ContractRun) -> None:
    _iam(run).create_instance_profile(InstanceProfileName=NAME)
    with pytest.raises(ProviderError) as raised:
        _create(run)
    assert raised.value.code == "EntityAlreadyExists"
    assert _roles(run) == []


def test_delete_removes_the_role_first_and_leaves_the_role(run: ContractRun) -> None:
    """moto, like AWS, refuses DeleteInstanceProfile while it holds a role."""
    _, created = _create(run)
    run.provider.delete(run.context(), created)
    assert run.provider.read(REGION, NAME) is None
    assert _iam(run).get_role(RoleName="prereq-web")["Role"]["RoleName"] == "prereq-web"


def test_delete_retries_while_iam_still_sees_the_role(run: ContractRun) -> None:
    _, created = _create(run)
    fail_times(run.clients, "DeleteInstanceProfile", "DeleteConflict", 1, service="iam")
    run.provider.delete(run.context(), created)
    assert run.provider.read(REGION, NAME) is None


def test_read_owned_confirms_ownership_by_tags(run: ContractRun) -> None:
    _create(run)
    _iam(run).create_instance_profile(InstanceProfileName="contract-by-hand")
    owned = run.provider.read_owned(REGION, STACK)
    assert [(o.physical_id, o.logical_id) for o in owned] == [(NAME, "subject")]
