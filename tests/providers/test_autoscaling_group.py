"""Auto Scaling group behaviour the contract suite cannot show on moto: adoption after an
interrupted create (moto overwrites a same-named group), retries while a template or profile
is not visible yet, waiting for capacity, and a teardown that leaves nothing running.

Time-dependent behaviour (Pending and Terminating instances, deleting groups) runs against the
strictness layer's Auto Scaling family; single AWS answers are injected per call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ProviderError
from stackdeploy.events import Retrying, Waiting
from stackdeploy.model.live import LiveResource
from stackdeploy.providers.base import ResourceContext
from tests.conftest import FAST
from tests.providers.cases_autoscaling import AUTOSCALING_GROUP
from tests.providers.harness import REGION, STACK, ContractRun
from tests.strict import autoscaling
from tests.strict.core import StrictAws

Answer = tuple[str, str] | None  # (code, message) to answer with, or None to let through


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(AUTOSCALING_GROUP, clients, aws)


@pytest.fixture
def patient_run(aws: str) -> ContractRun:
    """Fast polls, but retry windows long enough that a loaded machine cannot close them."""
    timing = dataclasses.replace(FAST, visibility_deadline=10.0, consistency_deadline=10.0)
    clients = ClientFactory(endpoint_url=aws, default_region=REGION, timing=timing)
    return ContractRun(AUTOSCALING_GROUP, clients, aws)


@pytest.fixture
def strict(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """AWS's Auto Scaling clock and refusals (no throttling), for the engine's clients."""
    layer = StrictAws(
        aws, throttle_rate=0.0, refusals_advance_time=False, families=[autoscaling.register]
    )
    layer.install(monkeypatch)
    return layer


def _plain(run: ContractRun, service: str = "autoscaling") -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=run.prerequisites.endpoint)


def _props(run: ContractRun, **changes: Any) -> dict[str, Any]:
    return run.canonical({**AUTOSCALING_GROUP.properties(run.prerequisites), **changes})


def _create(run: ContractRun, **changes: Any) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    return ctx, run.provider.create(ctx, _props(run, **changes))


def _answer(run: ContractRun, service: str, operation: str, respond: Callable[[], Answer]) -> None:
    """Answer the engine's `operation` calls with an AWS error while `respond` says so."""

    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        answer = respond()
        if answer is None:
            return None
        code, message = answer
        return AWSResponse("", 400, {}, None), {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    events = run.clients.client(service, REGION).meta.events
    events.register_first(f"before-call.{service}.{operation}", handler)


def _times(count: int, code: str, message: str) -> Callable[[], Answer]:
    remaining = [count]

    def respond() -> Answer:
        if remaining[0] == 0:
            return None
        remaining[0] -= 1
        return code, message

    return respond


def _sent(run: ContractRun, service: str, operation: str) -> list[dict[str, Any]]:
    """The parameters of every `operation` call the engine makes from now on."""
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(dict(params))

    events = run.clients.client(service, REGION).meta.events
    events.register(f"before-parameter-build.{service}.{operation}", record)
    return calls


def _rewrite(run: ContractRun, service: str, operation: str, change: Callable[[Any], None]) -> None:
    def handler(parsed: dict[str, Any], **_: Any) -> None:
        change(parsed)

    run.clients.client(service, REGION).meta.events.register(
        f"after-call.{service}.{operation}", handler
    )


def _events(run: ContractRun, kind: type[Any]) -> list[Any]:
    return [e for e in run.events.events if isinstance(e, kind)]


def _groups(run: ContractRun) -> list[dict[str, Any]]:
    return list(_plain(run).describe_auto_scaling_groups()["AutoScalingGroups"])


# -- create: adoption, refusal, retries ------------------------------------------------------

ALREADY_EXISTS = (
    "AlreadyExists",
    "AutoScalingGroup by this name already exists - A group with the name "
    "contract-subject already exists",
)


def test_create_adopts_its_own_group_after_an_interrupted_create(run: ContractRun) -> None:
    _create(run)
    # The state write was lost; the next run creates again and AWS refuses the name.
    _answer(run, "autoscaling", "CreateAutoScalingGroup", _times(1, *ALREADY_EXISTS))
    updates = _sent(run, "autoscaling", "UpdateAutoScalingGroup")
    _, adopted = _create(run, max_size=4)
    assert adopted.physical_id == "contract-subject"
    assert adopted.properties["max_size"] == 4
    assert [u["MaxSize"] for u in updates] == [4]
    assert [g["AutoScalingGroupName"] for g in _groups(run)] == ["contract-subject"]


@pytest.mark.parametrize(
    ("tags", "owner"),
    [
        ([], "not tagged by stackdeploy"),
        (
            [("stackdeploy:stack", "other"), ("stackdeploy:id", "web")],
            "owned by 'web' of stack 'other', no lineage tag",
        ),
        (  # this very resource, but made by another copy of the stack (another lineage)
            [
                ("stackdeploy:stack", STACK),
                ("stackdeploy:id", "subject"),
                ("stackdeploy:lineage", "another"),
            ],
            f"owned by 'subject' of stack '{STACK}', lineage another",
        ),
    ],
)
def test_create_refuses_a_group_it_does_not_own(
    run: ContractRun, tags: list[tuple[str, str]], owner: str
) -> None:
    _plain(run).create_auto_scaling_group(
        AutoScalingGroupName="contract-subject",
        LaunchTemplate={"LaunchTemplateId": run.prerequisites.launch_template_id()},
        MinSize=0,
        MaxSize=1,
        VPCZoneIdentifier=run.prerequisites.subnet_id(),
        Tags=[{"Key": k, "Value": v, "ResourceId": "contract-subject"} for k, v in tags],
    )
    _answer(run, "autoscaling", "CreateAutoScalingGroup", _times(1, *ALREADY_EXISTS))
    with pytest.raises(ProviderError) as raised:
        _create(run)
    assert raised.value.code == "AlreadyExists"
    assert raised.value.message == (
        f"an Auto Scaling group named 'contract-subject' already exists ({owner})"
    )
    assert _groups(run)[0]["MaxSize"] == 1  # left alone


def test_create_waits_for_a_deleting_group_of_the_same_name(
    run: ContractRun, strict: StrictAws
) -> None:
    _, created = _create(run, desired_capacity=1, min_size=0)
    # A replacement or destroy that deleted it moments ago: AWS still lists it as deleting.
    asg = run.clients.client("autoscaling", REGION)
    asg.delete_auto_scaling_group(AutoScalingGroupName=created.physical_id, ForceDelete=True)
    _, again = _create(run)
    assert strict.count("AlreadyExists") == 1
    assert again.physical_id == created.physical_id
    assert any("Delete in progress" in e.status for e in _events(run, Waiting))


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "ValidationError",
            "You must use a valid fully-formed launch template. The specified launch "
            "template, with template ID lt-0abc, does not exist.",
        ),
        (
            "ValidationError",
            "Provided Target Groups may not be valid. Please ensure they exist and try again.",
        ),
        (
            "ValidationError",
            "You must use a valid fully-formed launch template. Value (web) for parameter "
            "iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
        ),
    ],
    ids=["template", "target-group", "instance-profile"],
)
def test_create_retries_while_aws_catches_up(
    patient_run: ContractRun, code: str, message: str
) -> None:
    run = patient_run
    _answer(run, "autoscaling", "CreateAutoScalingGroup", _times(3, code, message))
    _, created = _create(run)
    assert len(_events(run, Retrying)) == 3
    assert created.properties["desired_capacity"] == 2


def test_a_template_that_never_appears_fails_after_the_visibility_window(
    run: ContractRun,
) -> None:
    with pytest.raises(ClientError) as raised:
        _create(run, launch_template_id="lt-0123456789abcdef0")
    # moto's code; AWS says ValidationError "... with template ID lt-..., does not exist."
    assert raised.value.response["Error"]["Code"] == "InvalidLaunchTemplateId.NotFound"
    assert _groups(run) == []


# -- waiting for capacity --------------------------------------------------------------------


def test_create_waits_until_the_desired_instances_are_in_service(
    run: ContractRun, strict: StrictAws
) -> None:
    _, created = _create(run)
    statuses = [e.status for e in _events(run, Waiting)]
    assert statuses == ["0 of 2 instances in service", "0 of 2 instances in service"]
    assert created.properties["desired_capacity"] == 2


def _activity(status: str, message: str, started: datetime) -> dict[str, Any]:
    return {
        "ActivityId": f"activity-{status}-{started.timestamp()}",
        "AutoScalingGroupName": "contract-subject",
        "Cause": "capacity",
        "StartTime": started,
        "StatusCode": status,
        "StatusMessage": message,
        "Progress": 100,
    }


def test_a_failed_launch_fails_the_wait_at_once(run: ContractRun) -> None:
    def stuck(parsed: dict[str, Any]) -> None:
        for group in parsed["AutoScalingGroups"]:
            group["Instances"] = []

    now = datetime.now(UTC)
    activities = [
        _activity("Failed", "an old failure, not this apply's", now - timedelta(hours=1)),
        _activity(
            "Failed", "The image id '[ami-12345678]' does not exist.", now + timedelta(minutes=1)
        ),
    ]
    _rewrite(run, "autoscaling", "DescribeAutoScalingGroups", stuck)
    _rewrite(
        run, "autoscaling", "DescribeScalingActivities", lambda p: p.update(Activities=activities)
    )
    with pytest.raises(ProviderError) as raised:
        _create(run)
    assert raised.value.code == "ScalingActivityFailed"
    assert "does not exist" in raised.value.message
    assert _events(run, Waiting) == []  # failed on the first poll


def test_elb_health_checks_wait_for_healthy_targets(run: ContractRun) -> None:
    remaining = [2]

    def initial(parsed: dict[str, Any]) -> None:
        if remaining[0]:
            remaining[0] -= 1
            for target in parsed["TargetHealthDescriptions"]:
                target["TargetHealth"] = {
                    "State": "initial",
                    "Reason": "Elb.RegistrationInProgress",
                }

    _rewrite(run, "elbv2", "DescribeTargetHealth", initial)
    _create(run, health_check_type="ELB")
    statuses = [e.status for e in _events(run, Waiting)]
    assert len(statuses) == 2
    assert all(s.startswith("0 of 2 healthy in targetgroup/contract-tg/") for s in statuses)


# -- update ------------------------------------------------------------------------------------


def test_update_sends_only_what_differs_and_syncs_attachments_and_tags(run: ContractRun) -> None:
    ctx, created = _create(run, tags={"role": "web", "cost": "shared"})
    # Someone removed the ownership id tag by hand: the update puts it back.
    _plain(run).delete_tags(
        Tags=[
            {
                "ResourceId": "contract-subject",
                "ResourceType": "auto-scaling-group",
                "Key": "stackdeploy:id",
            }
        ]
    )
    updates = _sent(run, "autoscaling", "UpdateAutoScalingGroup")
    attached = _sent(run, "autoscaling", "AttachLoadBalancerTargetGroups")
    detached = _sent(run, "autoscaling", "DetachLoadBalancerTargetGroups")
    new_tg = run.prerequisites.target_group_arn("contract-tg2")
    props = _props(run, default_cooldown=60, target_group_arns=[new_tg], tags={"role": "api"})
    updated = run.provider.update(ctx, created, props, [])
    # Only the cooldown differs among UpdateAutoScalingGroup's fields (moto ignores it).
    assert updates == [{"AutoScalingGroupName": "contract-subject", "DefaultCooldown": 60}]
    assert [a["TargetGroupARNs"] for a in attached] == [[new_tg]]
    assert [d["TargetGroupARNs"] for d in detached] == [[run.prerequisites.target_group_arn()]]
    assert updated.properties["target_group_arns"] == [new_tg]
    assert updated.properties["tags"] == {"role": "api", "suite": "contract"}
    tags = {t["Key"]: t for t in _groups(run)[0]["Tags"]}
    assert tags["stackdeploy:id"]["Value"] == "subject"
    assert all(t["PropagateAtLaunch"] for t in tags.values())
    assert run.provider.read_owned(REGION, STACK)[0].logical_id == "subject"


def test_update_of_a_vanished_group_says_to_plan_again(run: ContractRun) -> None:
    ctx, created = _create(run)
    _plain(run).delete_auto_scaling_group(AutoScalingGroupName="contract-subject", ForceDelete=True)
    with pytest.raises(ProviderError, match="no longer exists"):
        run.provider.update(ctx, created, _props(run, max_size=4), [])


def test_groups_being_deleted_do_not_count_as_existing(run: ContractRun) -> None:
    _, created = _create(run)

    def deleting(parsed: dict[str, Any]) -> None:
        for group in parsed["AutoScalingGroups"]:
            group["Status"] = "Delete in progress"

    _rewrite(run, "autoscaling", "DescribeAutoScalingGroups", deleting)
    assert run.provider.read_owned(REGION, STACK) == []
    assert run.provider.read(REGION, created.physical_id) is None


# -- delete ------------------------------------------------------------------------------------


def _instances(run: ContractRun) -> dict[str, str]:
    reservations = _plain(run, "ec2").describe_instances()["Reservations"]
    return {i["InstanceId"]: i["State"]["Name"] for r in reservations for i in r["Instances"]}


def test_delete_scales_in_waits_for_every_instance_then_deletes(
    run: ContractRun, strict: StrictAws
) -> None:
    ctx, created = _create(run, wait_for_capacity=False)
    updates = _sent(run, "autoscaling", "UpdateAutoScalingGroup")
    deletes = _sent(run, "autoscaling", "DeleteAutoScalingGroup")
    run.provider.delete(ctx, created)
    assert updates == [
        {
            "AutoScalingGroupName": "contract-subject",
            "MinSize": 0,
            "MaxSize": 0,
            "DesiredCapacity": 0,
        }
    ]
    assert deletes == [{"AutoScalingGroupName": "contract-subject", "ForceDelete": False}]
    # AWS never had to refuse: the delete came after the Terminating instances were gone.
    assert strict.count("ResourceInUse") == 0
    waited = {e.what for e in _events(run, Waiting)}
    assert waited == {
        "Auto Scaling group contract-subject to terminate its instances",
        "Auto Scaling group contract-subject to be deleted",
        "the instances of Auto Scaling group contract-subject to terminate",
    }
    assert _groups(run) == []
    assert set(_instances(run).values()) == {"terminated"}


def test_force_delete_skips_the_scale_in(run: ContractRun, strict: StrictAws) -> None:
    _, created = _create(run, wait_for_capacity=False)
    ctx = dataclasses.replace(run.context(), applied={"force_delete": True})
    updates = _sent(run, "autoscaling", "UpdateAutoScalingGroup")
    deletes = _sent(run, "autoscaling", "DeleteAutoScalingGroup")
    run.provider.delete(ctx, created)
    assert updates == []
    assert deletes == [{"AutoScalingGroupName": "contract-subject", "ForceDelete": True}]
    # The group is deleting while EC2 shuts its instances down; both are waited for.
    statuses = [e.status for e in _events(run, Waiting)]
    assert any(s.startswith("Delete in progress, 2 instances (Terminating)") for s in statuses)
    assert any("shutting-down" in s for s in statuses)
    assert set(_instances(run).values()) == {"terminated"}


def test_delete_retries_while_aws_reports_activity(run: ContractRun) -> None:
    ctx, created = _create(run, wait_for_capacity=False)
    busy = "You cannot delete an AutoScalingGroup while there are scaling activities in progress"
    _answer(
        run, "autoscaling", "DeleteAutoScalingGroup", _times(2, "ScalingActivityInProgress", busy)
    )
    run.provider.delete(ctx, created)
    assert [e.code for e in _events(run, Retrying)] == ["ScalingActivityInProgress"] * 2
    assert _groups(run) == []


def test_delete_lifts_scale_in_protection(run: ContractRun) -> None:
    ctx, created = _create(run, wait_for_capacity=False)
    group = _groups(run)[0]
    ids = [i["InstanceId"] for i in group["Instances"]]
    _plain(run).set_instance_protection(
        AutoScalingGroupName="contract-subject", InstanceIds=ids, ProtectedFromScaleIn=True
    )
    run.provider.delete(ctx, created)
    assert _groups(run) == []


def test_delete_of_a_group_already_deleting_only_waits(run: ContractRun, strict: StrictAws) -> None:
    ctx, created = _create(run, wait_for_capacity=False)
    asg = run.clients.client("autoscaling", REGION)
    asg.delete_auto_scaling_group(AutoScalingGroupName="contract-subject", ForceDelete=True)
    calls = _sent(run, "autoscaling", "DeleteAutoScalingGroup")
    run.provider.delete(ctx, created)
    run.provider.delete(ctx, created)  # and again: already gone is done
    assert calls == []
    assert _groups(run) == []
