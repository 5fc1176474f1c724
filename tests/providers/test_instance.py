"""Instance behaviour the contract suite cannot show on moto, where an instance is running at
once, terminated at once and launched with any profile it knows: IAM propagation retries,
pending and shutting-down waits, status checks, the stop/modify/start of a type change,
termination protection on delete, batched refresh and the instances that are not ours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from stackdeploy.aws.session import ClientFactory, RetryingClient
from stackdeploy.errors import ProviderError
from stackdeploy.events import Retrying, Waiting
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.diff import diff_properties
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.launch_data import DEFAULT_ROOT_DEVICE, root_device_name
from stackdeploy.specs.base import digest_of
from tests.providers.cases_compute import INSTANCE, PUBLIC_INSTANCE, USER_DATA
from tests.providers.harness import REGION, STACK, ContractRun, intercept

PROFILE_NOT_READY = (
    "Value (contract-profile) for parameter iamInstanceProfile.name is invalid. "
    "Invalid IAM Instance Profile name"
)


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(INSTANCE, clients, aws)


def _ec2(run: ContractRun) -> RetryingClient:
    return run.clients.client("ec2", REGION)


def _create(run: ContractRun, **changes: Any) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    props = run.canonical({**run.case.properties(run.prerequisites), **changes})
    return ctx, run.provider.create(ctx, props)


def _answer(run: ContractRun, operation: str, code: str, message: str, times: int) -> None:
    """The next `times` calls of `operation` fail with AWS's code and message."""
    remaining = [times]

    def handler(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if remaining[0] == 0:
            return None
        remaining[0] -= 1
        error = {"Code": code, "Message": message}
        return AWSResponse("", 400, {}, None), {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    _ec2(run).meta.events.register_first(f"before-call.ec2.{operation}", handler)


def _calls(run: ContractRun) -> list[str]:
    """Every EC2 operation the provider sends from now on, in order."""
    sent: list[str] = []

    def record(model: Any, **_: Any) -> None:
        sent.append(model.name)

    _ec2(run).meta.events.register("before-call.ec2", record)
    return sent


def _rewrite(run: ContractRun, operation: str, change: Callable[[dict[str, Any]], None]) -> None:
    _ec2(run).meta.events.register(
        f"after-call.ec2.{operation}", lambda parsed, **_: change(parsed)
    )


def _instance_states(states: list[str], **extra: Any) -> Callable[[dict[str, Any]], None]:
    """DescribeInstances reports these states, one per call, then moto's own."""
    pending = list(states)

    def change(parsed: dict[str, Any]) -> None:
        instances = [i for r in parsed.get("Reservations", []) for i in r["Instances"]]
        if pending and instances:
            state = pending.pop(0)
            for instance in instances:
                instance["State"] = {"Name": state, "Code": 0}
                instance.update(extra)

    return change


def _waits(run: ContractRun) -> list[str]:
    return [e.status for e in run.events.events if isinstance(e, Waiting)]


def _truth(aws: str) -> Any:
    return boto3.client("ec2", region_name=REGION, endpoint_url=aws)


def _state(aws: str, instance_id: str) -> str:
    found = _truth(aws).describe_instances(InstanceIds=[instance_id])["Reservations"]
    return str(found[0]["Instances"][0]["State"]["Name"])


# -- create --------------------------------------------------------------------------------


def test_launch_retries_while_iam_has_not_propagated_the_profile(run: ContractRun) -> None:
    tokens: list[str] = []
    intercept(run.clients, "RunInstances", lambda body: tokens.append(body["ClientToken"]))
    _answer(run, "RunInstances", "InvalidParameterValue", PROFILE_NOT_READY, times=2)
    _, created = _create(run)
    assert created.properties["iam_instance_profile"] == "contract-profile"
    retried = [
        e
        for e in run.events.events
        if isinstance(e, Retrying) and e.operation == "ec2.RunInstances"
    ]
    assert len(retried) == 2
    assert len(tokens) == 3 and len(set(tokens)) == 1  # one client token: no duplicate


def test_a_profile_that_never_appears_fails_with_a_hint(run: ContractRun) -> None:
    with pytest.raises(ProviderError) as raised:
        _create(run, iam_instance_profile="no-such-profile")  # moto: NoSuchEntity
    assert "no-such-profile" in raised.value.message
    assert raised.value.hint and "instance profile exists" in raised.value.hint


def test_other_invalid_parameters_are_not_retried(run: ContractRun) -> None:
    _answer(run, "RunInstances", "InvalidParameterValue", "User data is limited to 16384 bytes", 1)
    with pytest.raises(ClientError, match="User data is limited"):
        _create(run)
    assert not run.events.of(Retrying)


def test_create_waits_while_pending(run: ContractRun) -> None:
    _rewrite(run, "DescribeInstances", _instance_states(["pending", "pending"]))
    _create(run)
    assert _waits(run)[:2] == ["pending", "pending"]


def test_an_instance_that_dies_while_launching_fails_fast(run: ContractRun) -> None:
    reason = {"Code": "Client.VolumeLimitExceeded", "Message": "Volume limit exceeded"}
    _rewrite(run, "DescribeInstances", _instance_states(["terminated"] * 5, StateReason=reason))
    with pytest.raises(ProviderError) as raised:
        _create(run)
    assert raised.value.code == "Client.VolumeLimitExceeded"
    assert "terminated instead of running: Volume limit exceeded" in raised.value.message


def _statuses(values: list[str]) -> Callable[[dict[str, Any]], None]:
    pending = list(values)

    def change(parsed: dict[str, Any]) -> None:
        if pending:
            value = pending.pop(0)
            for status in parsed["InstanceStatuses"]:
                status["InstanceStatus"]["Status"] = value
                status["SystemStatus"]["Status"] = value

    return change


def test_status_ok_waits_for_both_checks(run: ContractRun) -> None:
    _rewrite(run, "DescribeInstanceStatus", _statuses(["initializing", "initializing"]))
    _create(run, wait="status_ok")
    assert [s for s in _waits(run) if "initializing" in s] == [
        "running, system initializing, instance initializing"
    ] * 2


def test_failed_status_checks_fail_the_create(run: ContractRun) -> None:
    _rewrite(run, "DescribeInstanceStatus", _statuses(["impaired"]))
    with pytest.raises(ProviderError, match="failed its status checks"):
        _create(run, wait="status_ok")


def test_unknown_image_maps_the_root_volume_to_the_default_device(run: ContractRun) -> None:
    assert root_device_name(_ec2(run), "ami-0123456789abcdef0") == DEFAULT_ROOT_DEVICE


def test_reserved_tags_are_hidden_and_user_data_reads_as_its_digest(run: ContractRun) -> None:
    _, created = _create(run, associate_public_ip_address=False)
    assert created.properties["tags"] == {"Name": "web", "suite": "contract"}
    assert created.properties["user_data"] == digest_of(USER_DATA)
    assert created.properties["associate_public_ip_address"] is False


# -- update --------------------------------------------------------------------------------


def _update(run: ContractRun, created: LiveResource, ctx: ResourceContext, **changes: Any) -> Any:
    raw = {**run.case.properties(run.prerequisites), **changes}
    change = make_plan(run.stack_with(raw), run.live_state(created)).change("subject")
    assert change.action is Action.UPDATE
    return run.provider.update(ctx, created, change.after or {}, change.changes)


def test_type_change_stops_modifies_and_starts(run: ContractRun, aws: str) -> None:
    ctx, created = _create(run)
    sent = _calls(run)
    updated = _update(run, created, ctx, instance_type="t3.large")
    order = [
        op for op in sent if op in {"StopInstances", "ModifyInstanceAttribute", "StartInstances"}
    ]
    assert order == ["StopInstances", "ModifyInstanceAttribute", "StartInstances"]
    assert updated.properties["instance_type"] == "t3.large"
    assert _state(aws, created.physical_id) == "running"


def test_type_change_of_a_stopped_instance_leaves_it_stopped(run: ContractRun, aws: str) -> None:
    ctx, created = _create(run)
    _truth(aws).stop_instances(InstanceIds=[created.physical_id])
    sent = _calls(run)
    _update(run, created, ctx, instance_type="t3.large")
    assert "StartInstances" not in sent and "StopInstances" not in sent
    assert _state(aws, created.physical_id) == "stopped"


def test_refused_type_change_starts_the_instance_again(run: ContractRun, aws: str) -> None:
    ctx, created = _create(run)
    refusal = "The instance type 'm6g.large' is not supported by the AMI's architecture"
    _answer(run, "ModifyInstanceAttribute", "InvalidInstanceAttributeValue", refusal, 1)
    with pytest.raises(ClientError, match="architecture"):
        _update(run, created, ctx, instance_type="m6g.large")
    assert _state(aws, created.physical_id) == "running"


def test_the_root_volume_grows_and_changes_type_in_place(run: ContractRun, aws: str) -> None:
    ctx, created = _create(run, root_volume={"size_gb": 12, "volume_type": "gp2"})
    wanted = {"size_gb": 20, "volume_type": "gp3", "delete_on_termination": False}
    updated = _update(run, created, ctx, root_volume=wanted)
    assert updated.physical_id == created.physical_id  # the same instance, not a new one
    assert updated.properties["root_volume"] == {**wanted, "encrypted": True}


def test_a_smaller_or_differently_encrypted_root_volume_replaces_the_instance(
    run: ContractRun,
) -> None:
    _, created = _create(run, root_volume={"size_gb": 12})
    for smaller in ({"size_gb": 10}, {"size_gb": 12, "encrypted": False}):
        raw = {**run.case.properties(run.prerequisites), "root_volume": smaller}
        change = make_plan(run.stack_with(raw), run.live_state(created)).change("subject")
        assert change.action is Action.REPLACE
        assert change.replace_paths() == ["root_volume"]
        assert "cannot shrink or change its encryption" in (change.changes[0].note or "")


def test_tag_changes_reach_the_volumes(run: ContractRun, aws: str) -> None:
    ctx, created = _create(run)
    _update(run, created, ctx, tags={"Name": "api"})
    volumes = _truth(aws).describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [created.physical_id]}]
    )["Volumes"]
    tags = {t["Key"]: t["Value"] for t in volumes[0]["Tags"]}
    assert tags["Name"] == "api" and tags["stackdeploy:id"] == "subject"


def test_stopped_instance_keeps_its_public_address_choice(clients: ClientFactory, aws: str) -> None:
    run = ContractRun(PUBLIC_INSTANCE, clients, aws)
    _, created = _create(run)
    assert created.properties["public_ip"]
    _truth(aws).stop_instances(InstanceIds=[created.physical_id])
    read = run.provider.read(REGION, created.physical_id)
    assert read is not None and read.properties["public_ip"] is None
    props = run.canonical(run.case.properties(run.prerequisites))
    assert diff_properties(run.rtype, props, read.properties) == []


# -- delete --------------------------------------------------------------------------------


def test_delete_lifts_termination_protection_first(run: ContractRun, aws: str) -> None:
    _, created = _create(run, disable_api_termination=True)
    run.provider.delete(run.context(), created)
    assert _state(aws, created.physical_id) == "terminated"


def test_delete_copes_with_protection_turned_on_since_the_refresh(
    run: ContractRun, aws: str
) -> None:
    _, created = _create(run)
    _truth(aws).modify_instance_attribute(
        InstanceId=created.physical_id, DisableApiTermination={"Value": True}
    )
    run.provider.delete(run.context(), created)
    assert _state(aws, created.physical_id) == "terminated"


def test_delete_waits_until_terminated(run: ContractRun) -> None:
    _, created = _create(run)
    states = _instance_states(["shutting-down", "shutting-down"])
    _rewrite(run, "DescribeInstances", states)
    run.provider.delete(run.context(), created)
    assert _waits(run) == ["shutting-down", "shutting-down"]


# -- refresh -------------------------------------------------------------------------------


def test_refresh_is_batched_except_termination_protection(run: ContractRun) -> None:
    for logical_id in ("a", "b", "c"):
        run.logical_id = logical_id
        _create(run)
    run.clients.stats.calls.clear()
    assert len(run.provider.read_owned(REGION, STACK)) == 3
    assert dict(run.clients.stats.calls) == {
        "ec2.DescribeInstances": 1,
        "ec2.DescribeVolumes": 1,
        "ec2.DescribeIamInstanceProfileAssociations": 1,
        "ec2.DescribeInstanceAttribute": 3,
    }


def test_instances_of_an_auto_scaling_group_are_not_adopted(run: ContractRun, aws: str) -> None:
    template = _truth(aws).create_launch_template(
        LaunchTemplateName="group", LaunchTemplateData={"ImageId": run.prerequisites.image_id()}
    )["LaunchTemplate"]["LaunchTemplateId"]
    ownership = [("stackdeploy:stack", STACK), ("stackdeploy:id", "group")]
    boto3.client("autoscaling", region_name=REGION, endpoint_url=aws).create_auto_scaling_group(
        AutoScalingGroupName="group",
        LaunchTemplate={"LaunchTemplateId": template},
        MinSize=1,
        MaxSize=1,
        VPCZoneIdentifier=run.prerequisites.subnet_id(),
        Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in ownership],
    )
    _, created = _create(run)
    assert [live.physical_id for live in run.provider.read_owned(REGION, STACK)] == [
        created.physical_id
    ]
