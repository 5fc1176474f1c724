"""The Auto Scaling rules of the strictness layer: each fires the way AWS would, then clears."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import REGION
from tests.strict import autoscaling
from tests.strict.core import StrictAws
from tests.strict.probe import hooked_client, refusal

_IN_USE = (
    "ResourceInUse",
    "You cannot delete an AutoScalingGroup while there are instances or pending Spot "
    "instance request(s) still in the group.",
    400,
)


@pytest.fixture
def layer(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """Only this family, no throttling: each rule can be watched on its own."""
    strict = StrictAws(
        aws,
        throttle_rate=0.0,
        pending_polls=2,
        refusals_advance_time=False,
        families=[autoscaling.register],
    )
    strict.install(monkeypatch)
    return strict


@pytest.fixture
def asg(layer: StrictAws, aws: str) -> Any:
    return hooked_client(aws, "autoscaling")


@pytest.fixture
def truth(layer: StrictAws) -> Any:
    """moto's Auto Scaling as it is, past the layer."""
    return layer.plain("autoscaling", REGION)


@pytest.fixture
def template(layer: StrictAws) -> dict[str, Any]:
    """Where groups launch: a subnet and a launch template, made in moto directly."""
    ec2 = layer.plain("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.5.1.0/24")["Subnet"]["SubnetId"]
    made = ec2.create_launch_template(
        LaunchTemplateName="strict-lt",
        LaunchTemplateData={"ImageId": "ami-12345678", "InstanceType": "t3.micro"},
    )
    return {
        "LaunchTemplate": {"LaunchTemplateId": made["LaunchTemplate"]["LaunchTemplateId"]},
        "VPCZoneIdentifier": subnet,
    }


def _error(call: Callable[[], object]) -> tuple[str, str, int]:
    return refusal(call)


def _create(asg: Any, template: dict[str, Any], name: str = "web", **sizes: int) -> None:
    sizes = {"MinSize": 1, "MaxSize": 3, "DesiredCapacity": 2, **sizes}
    tags = [{"Key": "team", "Value": "web", "ResourceId": name, "PropagateAtLaunch": True}]
    asg.create_auto_scaling_group(AutoScalingGroupName=name, Tags=tags, **template, **sizes)


def _states(asg: Any, name: str = "web") -> list[str]:
    groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    if not groups:
        return ["(gone)"]
    instances = groups[0].get("Instances") or []
    return [groups[0].get("Status", ""), *sorted(i["LifecycleState"] for i in instances)]


# -- refusals moto does not make ----------------------------------------------------------


def test_a_taken_name_is_refused(asg: Any, truth: Any, template: dict[str, Any]) -> None:
    _create(asg, template)
    assert _error(lambda: _create(asg, template, MaxSize=5)) == (
        "AlreadyExists",
        "AutoScalingGroup by this name already exists - A group with the name web already exists",
        400,
    )
    # moto alone would have replaced the group; it is untouched.
    group = truth.describe_auto_scaling_groups(AutoScalingGroupNames=["web"])
    assert group["AutoScalingGroups"][0]["MaxSize"] == 3


def test_sizes_outside_min_desired_max_are_refused(asg: Any, template: dict[str, Any]) -> None:
    assert _error(lambda: _create(asg, template, MinSize=3, MaxSize=1, DesiredCapacity=1)) == (
        "ValidationError",
        "Max bound, 1, must be greater than or equal to min bound, 3",
        400,
    )
    assert _error(lambda: _create(asg, template, DesiredCapacity=5))[:2] == (
        "ValidationError",
        "Desired capacity:5 must be between the specified min size:1 and max size:3",
    )
    _create(asg, template)
    update = asg.update_auto_scaling_group
    assert _error(lambda: update(AutoScalingGroupName="web", MaxSize=0))[1] == (
        "Max bound, 0, must be greater than or equal to min bound, 1"
    )
    assert _error(lambda: update(AutoScalingGroupName="web", DesiredCapacity=9))[1] == (
        "Desired capacity:9 must be between the specified min size:1 and max size:3"
    )
    # A new range without a desired capacity is fine: AWS moves the capacity into it.
    update(AutoScalingGroupName="web", MinSize=3, MaxSize=3)


# -- the clock: launching, terminating, deleting ------------------------------------------


def test_new_instances_are_pending_for_two_polls(
    asg: Any, truth: Any, template: dict[str, Any]
) -> None:
    _create(asg, template)
    assert _states(truth)[1:] == ["InService", "InService"]  # moto has no clock
    assert [_states(asg) for _ in range(3)] == [
        ["", "Pending", "Pending"],
        ["", "Pending", "Pending"],
        ["", "InService", "InService"],
    ]


def test_scale_in_keeps_instances_terminating_and_the_group_undeletable(
    layer: StrictAws, asg: Any, truth: Any, template: dict[str, Any]
) -> None:
    _create(asg, template, MinSize=0)
    _states(asg), _states(asg), _states(asg)  # launched and in service
    asg.update_auto_scaling_group(
        AutoScalingGroupName="web", MinSize=0, MaxSize=0, DesiredCapacity=0
    )
    assert _states(truth) == [""]  # moto terminated them at once
    for _ in range(2):
        assert _error(lambda: asg.delete_auto_scaling_group(AutoScalingGroupName="web")) == (
            _IN_USE
        )
        assert _states(asg) == ["", "Terminating", "Terminating"]
    assert _states(asg) == [""]
    asg.delete_auto_scaling_group(AutoScalingGroupName="web")
    assert layer.count("ResourceInUse") == 2


def test_a_deleted_group_is_deleting_for_two_polls_and_keeps_its_name(
    asg: Any, template: dict[str, Any]
) -> None:
    _create(asg, template, MinSize=0, DesiredCapacity=0)
    asg.delete_auto_scaling_group(AutoScalingGroupName="web")
    assert _error(lambda: _create(asg, template))[0] == "AlreadyExists"
    by_tag = [{"Name": "tag:team", "Values": ["web"]}]
    listed = asg.describe_auto_scaling_groups(Filters=by_tag)["AutoScalingGroups"]
    assert [(g["AutoScalingGroupName"], g["Status"]) for g in listed] == [
        ("web", "Delete in progress")
    ]
    other = [{"Name": "tag:team", "Values": ["api"]}]
    assert asg.describe_auto_scaling_groups(Filters=other)["AutoScalingGroups"] == []
    assert [_states(asg) for _ in range(2)] == [["Delete in progress"], ["(gone)"]]
    _create(asg, template)  # the name is free again


def test_a_group_with_instances_needs_force_and_ec2_shuts_them_down(
    layer: StrictAws, asg: Any, aws: str, template: dict[str, Any]
) -> None:
    _create(asg, template)
    ids = sorted(
        i["InstanceId"]
        for i in layer.plain("ec2", REGION).describe_instances()["Reservations"][0]["Instances"]
    )
    # moto deletes it (terminating the instances); AWS refuses without ForceDelete.
    assert _error(lambda: asg.delete_auto_scaling_group(AutoScalingGroupName="web")) == _IN_USE
    asg.delete_auto_scaling_group(AutoScalingGroupName="web", ForceDelete=True)
    assert _states(asg) == ["Delete in progress", "Terminating", "Terminating"]
    ec2 = hooked_client(aws, "ec2")

    def ec2_states() -> list[str]:
        found = ec2.describe_instances(InstanceIds=ids)["Reservations"]
        return sorted(i["State"]["Name"] for r in found for i in r["Instances"])

    assert [ec2_states() for _ in range(3)] == [
        ["shutting-down", "shutting-down"],
        ["shutting-down", "shutting-down"],
        ["terminated", "terminated"],
    ]


def test_refused_deletes_let_time_pass_like_polls(
    layer: StrictAws, asg: Any, template: dict[str, Any]
) -> None:
    layer.refusals_advance_time = True
    _create(asg, template, MinSize=0)
    asg.update_auto_scaling_group(
        AutoScalingGroupName="web", MinSize=0, MaxSize=0, DesiredCapacity=0
    )
    # An engine that retries the delete instead of polling the group gets through too.
    for _ in range(2):
        assert _error(lambda: asg.delete_auto_scaling_group(AutoScalingGroupName="web"))[0] == (
            "ResourceInUse"
        )
    asg.delete_auto_scaling_group(AutoScalingGroupName="web")
    assert layer.calls["autoscaling.DescribeAutoScalingGroups"] == 0
