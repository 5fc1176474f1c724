"""The compute family of the strictness layer: each instance rule fires as AWS would, then
clears; and the instance provider gets through it."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.plan.planner import make_plan
from tests.conftest import FAST, REGION
from tests.providers.cases_compute import INSTANCE
from tests.providers.harness import ContractRun
from tests.strict import fixtures
from tests.strict.core import StrictAws
from tests.strict.probe import hooked_client, refusal

strict_aws = fixtures.strict_aws


@pytest.fixture
def layer(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """The layer without throttling, so each rule can be watched on its own."""
    strict = StrictAws(aws, throttle_rate=0.0, pending_polls=2, refusals_advance_time=False)
    strict.install(monkeypatch)
    return strict


def _hooked(aws: str, service: str = "ec2") -> Any:
    return hooked_client(aws, service)


@pytest.fixture
def ec2(layer: StrictAws, aws: str) -> Any:
    return _hooked(aws)


@pytest.fixture
def truth(layer: StrictAws) -> Any:
    return layer.plain("ec2", REGION)


def _error(call: Callable[[], object]) -> tuple[str, str]:
    code, message, _ = refusal(call)
    return code, message


class Net:
    """A VPC with a public subnet, an attached internet gateway and a security group."""

    def __init__(self, truth: Any) -> None:
        self.vpc = truth.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
        subnet = truth.create_subnet(VpcId=self.vpc, CidrBlock="10.8.1.0/24")
        self.subnet = subnet["Subnet"]["SubnetId"]
        self.igw = truth.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        truth.attach_internet_gateway(InternetGatewayId=self.igw, VpcId=self.vpc)
        made = truth.create_security_group(GroupName="web", Description="web", VpcId=self.vpc)
        self.group = made["GroupId"]

    def launch(self, ec2: Any, *, public: bool = False, **extra: Any) -> str:
        interface = {
            "DeviceIndex": 0,
            "SubnetId": self.subnet,
            "Groups": [self.group],
            "AssociatePublicIpAddress": public,
        }
        reservation = ec2.run_instances(
            ImageId="ami-12345678", MinCount=1, MaxCount=1, NetworkInterfaces=[interface], **extra
        )
        return str(reservation["Instances"][0]["InstanceId"])


@pytest.fixture
def net(truth: Any) -> Net:
    return Net(truth)


def _states(ec2: Any, instance_id: str, *states: str) -> list[str]:
    filters = [{"Name": "instance-id", "Values": [instance_id]}]
    if states:
        filters.append({"Name": "instance-state-name", "Values": list(states)})
    reservations = ec2.describe_instances(Filters=filters)["Reservations"]
    return [i["State"]["Name"] for r in reservations for i in r["Instances"]]


def _checks(ec2: Any, instance_id: str, **extra: Any) -> list[tuple[str, str]]:
    found = ec2.describe_instance_status(InstanceIds=[instance_id], **extra)["InstanceStatuses"]
    return [(s["InstanceState"]["Name"], s["InstanceStatus"]["Status"]) for s in found]


# -- time --------------------------------------------------------------------------------------


def test_a_new_instance_is_pending_then_its_checks_initialize(
    ec2: Any, truth: Any, net: Net
) -> None:
    instance = net.launch(ec2)
    assert _states(truth, instance) == ["running"]  # moto has no clock
    assert _checks(ec2, instance) == []  # only running instances have status checks
    assert _states(ec2, instance, "running") == []  # the state filter sees "pending"
    assert _states(ec2, instance) == ["running"]
    assert _checks(ec2, instance) == [("running", "initializing")]
    assert _checks(ec2, instance) == [("running", "initializing")]
    assert _checks(ec2, instance) == [("running", "ok")]


def test_the_type_changes_only_once_stopped(ec2: Any, net: Net) -> None:
    instance = net.launch(ec2)
    _states(ec2, instance), _states(ec2, instance)  # running now

    def resize() -> object:
        return ec2.modify_instance_attribute(
            InstanceId=instance, InstanceType={"Value": "m5.large"}
        )

    stopped_state = f"The instance '{instance}' is not in the 'stopped' state."
    assert _error(resize) == ("IncorrectInstanceState", stopped_state)
    ec2.stop_instances(InstanceIds=[instance])
    assert _error(resize)[0] == "IncorrectInstanceState"  # still stopping
    assert _error(lambda: ec2.start_instances(InstanceIds=[instance])) == (
        "IncorrectInstanceState",
        f"The instance '{instance}' is not in a state from which it can be started.",
    )
    assert [_states(ec2, instance) for _ in range(3)] == [["stopping"], ["stopping"], ["stopped"]]
    resize()
    started = ec2.start_instances(InstanceIds=[instance])["StartingInstances"][0]
    assert started["CurrentState"]["Name"] == "pending"
    assert _states(ec2, instance) == ["pending"]


def test_a_terminating_instance_holds_its_subnet_group_and_address(
    layer: StrictAws, ec2: Any, truth: Any, net: Net
) -> None:
    instance = net.launch(ec2, public=True)
    ec2.terminate_instances(InstanceIds=[instance])
    assert _states(truth, instance) == ["terminated"]  # moto lets go at once

    def detach() -> object:
        return ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)

    for _ in range(2):
        assert _error(lambda: ec2.delete_security_group(GroupId=net.group)) == (
            "DependencyViolation",
            f"resource {net.group} has a dependent object",
        )
        assert _error(lambda: ec2.delete_subnet(SubnetId=net.subnet))[0] == "DependencyViolation"
        assert "mapped public address" in _error(detach)[1]
        assert _states(ec2, instance, "shutting-down") == ["shutting-down"]
    assert _states(ec2, instance) == ["terminated"]
    again = ec2.terminate_instances(InstanceIds=[instance])["TerminatingInstances"][0]
    assert again["CurrentState"]["Name"] == "terminated"
    detach()
    ec2.delete_security_group(GroupId=net.group)
    ec2.delete_subnet(SubnetId=net.subnet)
    assert layer.count("DependencyViolation") == 6


def test_refused_deletes_let_time_pass(aws: str, layer: StrictAws, net: Net) -> None:
    layer.refusals_advance_time = True
    ec2 = _hooked(aws)
    instance = net.launch(ec2)
    ec2.terminate_instances(InstanceIds=[instance])
    for _ in range(2):
        assert _error(lambda: ec2.delete_subnet(SubnetId=net.subnet))[0] == "DependencyViolation"
    ec2.delete_security_group(GroupId=net.group)
    ec2.delete_subnet(SubnetId=net.subnet)


# -- launch refusals -----------------------------------------------------------------------


def test_a_new_instance_profile_is_unknown_to_ec2_for_two_attempts(
    aws: str, ec2: Any, net: Net
) -> None:
    _hooked(aws, "iam").create_instance_profile(InstanceProfileName="fresh")
    refused = (
        "InvalidParameterValue",
        "Value (fresh) for parameter iamInstanceProfile.name is invalid. "
        "Invalid IAM Instance Profile name",
    )

    def launch() -> object:
        return net.launch(ec2, IamInstanceProfile={"Name": "fresh"})

    assert [_error(launch) for _ in range(2)] == [refused, refused]
    launch()


def test_an_unknown_profile_is_an_invalid_parameter_as_on_aws(ec2: Any, net: Net) -> None:
    arn = "arn:aws:iam::123456789012:instance-profile/missing"
    assert _error(lambda: net.launch(ec2, IamInstanceProfile={"Arn": arn})) == (
        "InvalidParameterValue",  # moto: NoSuchEntity
        f"Value ({arn}) for parameter iamInstanceProfile.arn is invalid. "
        "Invalid IAM Instance Profile ARN",
    )


def test_user_data_is_limited_to_16_kb(ec2: Any, net: Net) -> None:
    assert _error(lambda: net.launch(ec2, UserData="x" * 16385)) == (
        "InvalidParameterValue",
        "User data is limited to 16384 bytes",
    )
    instance = net.launch(ec2, UserData="x" * 16384)
    attribute = ec2.describe_instance_attribute(InstanceId=instance, Attribute="userData")
    assert len(base64.b64decode(attribute["UserData"]["Value"])) == 16384


# -- the provider through the layer ----------------------------------------------------------


def test_the_instance_provider_gets_through(strict_aws: StrictAws, aws: str) -> None:
    """Pending, initializing, stopping and shutting-down states, a fresh profile, and 10%
    throttling: create, resize and delete still succeed without a refusal they could avoid."""
    clients = ClientFactory(endpoint_url=aws, default_region=REGION, timing=FAST)
    run = ContractRun(INSTANCE, clients, aws)
    clients.client("iam").create_instance_profile(InstanceProfileName="layer-profile")
    raw = {
        **INSTANCE.properties(run.prerequisites),
        "iam_instance_profile": "layer-profile",
        "wait": "status_ok",
    }
    ctx = run.context()
    created = run.provider.create(ctx, run.canonical(raw))
    assert strict_aws.count("InvalidParameterValue", "ec2.RunInstances") == 2  # retried
    change = make_plan(
        run.stack_with({**raw, "instance_type": "t3.large"}), run.live_state(created)
    ).change("subject")
    resized = run.provider.update(ctx, created, change.after or {}, change.changes)
    assert resized.properties["instance_type"] == "t3.large"
    assert strict_aws.count("IncorrectInstanceState") == 0  # it waited for "stopped"
    run.provider.delete(run.context(), resized)
    # The delete waited until terminated: the group and subnet can go at once.
    ec2 = clients.client("ec2", REGION)
    ec2.delete_security_group(GroupId=raw["security_group_ids"][0])
    ec2.delete_subnet(SubnetId=raw["subnet_id"])
    assert strict_aws.count("DependencyViolation") == 0
