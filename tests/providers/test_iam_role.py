"""IAM role behaviour beyond the contract: policies compared by meaning, drift undone,
adoption after an interrupted create, refusal of a name someone else holds, the emptying a
delete needs, and what a refresh costs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.discovery.refresh import discover
from stackdeploy.discovery.state import StateRecord
from stackdeploy.errors import ProviderError
from stackdeploy.events import Retrying
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.registry import make_providers
from tests.providers.cases_iam import EC2_TRUST, ROLE
from tests.providers.harness import REGION, STACK, ContractRun, fail_times


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(ROLE, clients, aws)


def _iam(run: ContractRun) -> RetryingClient:
    return run.clients.client("iam", REGION)


def _create(run: ContractRun, **changes: Any) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    props = run.canonical({**ROLE.properties(run.prerequisites), **changes})
    return ctx, run.provider.create(ctx, props)


def _plan_action(run: ContractRun, raw: dict[str, Any]) -> Action:
    live = run.provider.read(REGION, "contract-subject")
    assert live is not None
    return make_plan(run.stack_with(raw), run.live_state(live)).change("subject").action


def test_policies_written_differently_plan_no_change(run: ContractRun) -> None:
    _create(run)
    rewritten = {
        **ROLE.properties(run.prerequisites),
        # Same trust: a list where there was a string, no Version (2012-10-17 is the default).
        "assume_role_policy": {
            "Statement": {
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
            }
        },
        # Same inline policy: actions in another order, JSON text instead of a mapping.
        "inline_policies": {
            "read-logs": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Resource": ["arn:aws:logs:us-west-2:123456789012:log-group:/app/*"],
                            "Action": ["logs:DescribeLogStreams", "logs:GetLogEvents"],
                            "Effect": "Allow",
                        }
                    ],
                },
                indent=4,
            )
        },
    }
    assert _plan_action(run, rewritten) is Action.NOOP


def test_changes_made_outside_are_planned_and_undone(run: ContractRun) -> None:
    ctx, created = _create(run)
    iam = _iam(run)
    extra = run.prerequisites.iam_policy_arn("added-by-hand")
    iam.attach_role_policy(RoleName="contract-subject", PolicyArn=extra)
    iam.put_role_policy(
        RoleName="contract-subject",
        PolicyName="by-hand",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        ),
    )
    # Description too: moto clears it when UpdateRole leaves it out (AWS keeps it).
    iam.update_role(
        RoleName="contract-subject", Description="web servers", MaxSessionDuration=43200
    )
    live = run.provider.read(REGION, "contract-subject")
    assert live is not None
    plan = make_plan(run.stack_with(ROLE.properties(run.prerequisites)), run.live_state(live))
    change = plan.change("subject")
    assert change.action is Action.UPDATE
    assert {c.path for c in change.changes} == {
        "managed_policy_arns",
        "inline_policies",
        "max_session_duration",
    }
    updated = run.provider.update(ctx, live, change.after or {}, change.changes)
    assert updated.properties["managed_policy_arns"] == created.properties["managed_policy_arns"]
    assert list(updated.properties["inline_policies"]) == ["read-logs"]
    assert updated.properties["max_session_duration"] == 3600


def test_an_interrupted_create_is_adopted_and_completed(run: ContractRun) -> None:
    """CreateRole succeeded (with ownership tags) but the run died before the policies."""
    _iam(run).create_role(
        RoleName="contract-subject",
        AssumeRolePolicyDocument=json.dumps(EC2_TRUST),
        Tags=[
            {"Key": "stackdeploy:stack", "Value": STACK},
            {"Key": "stackdeploy:id", "Value": "subject"},
        ],
    )
    _, created = _create(run)
    assert created.properties["inline_policies"].keys() == {"read-logs"}
    assert len(created.properties["managed_policy_arns"]) == 1
    assert created.properties["description"] == "web servers"
    assert created.properties["tags"] == {"suite": "contract", "team": "web"}


@pytest.mark.parametrize(
    "tags",
    [
        [],  # made by hand
        [{"Key": "stackdeploy:stack", "Value": STACK}, {"Key": "stackdeploy:id", "Value": "x"}],
        [
            {"Key": "stackdeploy:stack", "Value": "other"},
            {"Key": "stackdeploy:id", "Value": "subject"},
        ],
    ],
    ids=["untagged", "other-resource", "other-stack"],
)
def test_a_name_someone_else_holds_is_refused_and_left_alone(
    run: ContractRun, tags: list[dict[str, str]]
) -> None:
    _iam(run).create_role(
        RoleName="contract-subject", AssumeRolePolicyDocument=json.dumps(EC2_TRUST), Tags=tags
    )
    with pytest.raises(ProviderError) as raised:
        _create(run)
    assert raised.value.code == "EntityAlreadyExists"
    assert "contract-subject" in raised.value.message
    assert raised.value.hint
    assert (
        _iam(run).list_attached_role_policies(RoleName="contract-subject")["AttachedPolicies"] == []
    )


def test_delete_empties_the_role_first(run: ContractRun) -> None:
    """moto, like AWS, refuses DeleteRole while the role has policies or a profile."""
    _, created = _create(run)
    iam = _iam(run)
    iam.create_instance_profile(InstanceProfileName="holder")
    iam.add_role_to_instance_profile(InstanceProfileName="holder", RoleName="contract-subject")
    run.provider.delete(run.context(), created)
    assert run.provider.read(REGION, "contract-subject") is None
    assert iam.get_instance_profile(InstanceProfileName="holder")["InstanceProfile"]["Roles"] == []


def test_delete_retries_while_iam_still_sees_what_was_detached(run: ContractRun) -> None:
    _, created = _create(run)
    fail_times(run.clients, "DeleteRole", "DeleteConflict", 2, service="iam")
    run.provider.delete(run.context(), created)
    assert run.provider.read(REGION, "contract-subject") is None
    retries = [e for e in run.events.of(Retrying) if isinstance(e, Retrying)]
    assert [e.code for e in retries] == ["DeleteConflict", "DeleteConflict"]


def test_a_missing_managed_policy_fails_with_a_hint(run: ContractRun) -> None:
    with pytest.raises(ProviderError) as raised:
        _create(run, managed_policy_arns=["arn:aws:iam::aws:policy/NoSuchPolicy"])
    assert raised.value.code == "NoSuchEntity"
    assert "arn:aws:iam::aws:policy/<Name>" in (raised.value.hint or "")


@pytest.mark.usefixtures("iam_managed_policies")
def test_exercise_2_3_role_with_aws_managed_policies(run: ContractRun) -> None:
    arns = [
        "arn:aws:iam::aws:policy/AmazonPollyReadOnlyAccess",
        "arn:aws:iam::aws:policy/TranslateReadOnly",
    ]
    _, created = _create(run, managed_policy_arns=arns, inline_policies={})
    assert created.properties["managed_policy_arns"] == sorted(arns)
    raw = {**ROLE.properties(run.prerequisites), "managed_policy_arns": arns[::-1]}
    raw["inline_policies"] = {}
    assert _plan_action(run, raw) is Action.NOOP


def test_read_owned_reads_only_this_stacks_roles(run: ContractRun) -> None:
    _create(run)
    iam = _iam(run)
    trust = json.dumps(EC2_TRUST)
    iam.create_role(RoleName="contract-by-hand", AssumeRolePolicyDocument=trust)
    iam.create_role(
        RoleName="contract-x-other",
        AssumeRolePolicyDocument=trust,
        Tags=[{"Key": "stackdeploy:stack", "Value": "contract-x"}],
    )
    iam.create_role(RoleName="unrelated", AssumeRolePolicyDocument=trust)
    stats = run.clients.stats
    before = stats.calls.copy()
    owned = run.provider.read_owned(REGION, STACK)
    calls = stats.calls - before
    assert [o.physical_id for o in owned] == ["contract-subject"]
    # One listing, a GetRole per candidate name, policies only for the stack's own role.
    assert calls["iam.ListRoles"] == 1
    assert calls["iam.GetRole"] == 3
    assert calls["iam.ListAttachedRolePolicies"] == 1
    assert calls["iam.GetRolePolicy"] == 1


def test_declared_names_are_discovered_only_for_their_logical_id(run: ContractRun) -> None:
    """A role with an explicit name is found by that name; a same-named role that belongs
    to another resource of the stack is not taken for it."""
    ctx, _ = _create(run, name="devassoc-webserver")
    other = ResourceContext(
        stack=STACK,
        logical_id="other",
        region=REGION,
        token="t",
        events=ctx.events,
        timing=ctx.timing,
    )
    run.provider.create(
        other, run.canonical({**ROLE.properties(run.prerequisites), "name": "shared"})
    )
    providers = {"aws.iam.role": make_providers(run.clients)["aws.iam.role"]}
    named = {("aws.iam.role", REGION): {"devassoc-webserver": "subject", "shared": "mine"}}
    live = discover(
        STACK,
        [REGION],
        providers,
        StateRecord(stack=STACK, account="123456789012", region=REGION),
        home_region=REGION,
        named=named,
    )
    assert live.resources["subject"].physical_id == "devassoc-webserver"
    assert "mine" not in live.resources
    # Discovered once, in the home region, whatever regions the stack uses.
    assert run.clients.stats.calls["iam.ListRoles"] == 1


def test_read_many_leaves_out_missing_names(run: ContractRun) -> None:
    _create(run)
    found = run.provider.read_many(REGION, ["contract-subject", "nope", "also-missing"])
    assert list(found) == ["contract-subject"]
