"""aws.autoscaling.group without AWS: validation, canonical form, checks, plans, requests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pydantic import ValidationError

from stackdeploy.config.loader import canonical_properties, load_stack
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.graph.build import build_graph
from stackdeploy.model.live import LiveResource, LiveState, Proof
from stackdeploy.model.stack import Resource, Stack
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action, Plan
from stackdeploy.providers.autoscaling.common import group_properties, tag_changes
from stackdeploy.providers.autoscaling.requests import (
    not_yet_visible,
    profile_not_propagated,
    update_request,
)
from stackdeploy.specs.autoscaling.group import AUTOSCALING_GROUP, TYPE_NAME
from stackdeploy.specs.base import ReplaceStrategy

TG_ARN = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web/0123456789abcdef"
BASE: dict[str, Any] = {
    "launch_template_id": "lt-0123456789abcdef0",
    "subnet_ids": ["subnet-a", "subnet-b"],
    "min_size": 1,
    "max_size": 3,
}


def canonical(**changes: Any) -> dict[str, Any]:
    return canonical_properties(AUTOSCALING_GROUP, {**BASE, **changes}, "shop", "web", {})


def invalid(**changes: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        canonical(**changes)
    return str(raised.value)


# -- validation and canonical form -----------------------------------------------------------


def test_defaults_are_explicit_and_aws_keeps_the_capacity() -> None:
    props = canonical()
    assert props["name"] == "shop-web"
    assert props["launch_template_version"] == "$Default"
    assert props["health_check_type"] == "EC2"
    # The API's default grace period is 0; the spec sends the console's 300.
    assert (props["health_check_grace_period"], props["default_cooldown"]) == (300, 300)
    assert props["desired_capacity"] is None
    assert (props["wait_for_capacity"], props["force_delete"]) == (False, False)
    assert props["target_group_arns"] == props["load_balancer_names"] == []


@pytest.mark.parametrize(
    ("given", "canonical_value"),
    [("3", 3), (3, 3), ("$Latest", "$Latest"), ("${lt.latest_version}", "${lt.latest_version}")],
)
def test_template_versions_are_numbers_or_names(given: Any, canonical_value: Any) -> None:
    # Numbers as ints, like a launch template's latest_version and default_version.
    assert canonical(launch_template_version=given)["launch_template_version"] == canonical_value


@pytest.mark.parametrize("bad", ["latest", "0", 0, True, "3.1"])
def test_other_versions_are_refused(bad: Any) -> None:
    assert "is not $Default, $Latest or a version number" in invalid(launch_template_version=bad)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"max_size": 0}, "max_size 0 is below min_size 1"),
        ({"desired_capacity": 5}, "desired_capacity 5 is outside min_size 1 to max_size 3"),
        ({"desired_capacity": 0}, "desired_capacity 0 is outside min_size 1 to max_size 3"),
        ({"min_size": -1}, "greater than or equal to 0"),
        ({"subnet_ids": []}, "needs at least one subnet"),
        ({"subnet_ids": ["subnet-a", "subnet-a"]}, "subnet_ids lists 'subnet-a' twice"),
        ({"subnet_ids": ["sn-1"]}, "'sn-1' is not a subnet id"),
        ({"launch_template_id": "web-template"}, "is not a launch template id (lt-...)"),
        ({"target_group_arns": ["web"]}, "'web' is not a target group ARN"),
        ({"target_group_arns": [TG_ARN, TG_ARN]}, "lists"),
        ({"load_balancer_names": ["-web"]}, "is not a classic load balancer name"),
        ({"name": "web:1"}, "without spaces or colons"),
        ({"name": "w" * 256}, "1 to 255"),
        ({"health_check_type": "EBS"}, "'EC2' or 'ELB'"),
    ],
)
def test_invalid_groups_are_refused_with_the_reason(changes: dict[str, Any], message: str) -> None:
    assert message in invalid(**changes)


def test_references_are_accepted_where_ids_go() -> None:
    props = canonical(
        launch_template_id="${lt.id}",
        subnet_ids=["${a.id}", "${b.id}"],
        target_group_arns=["${tg.arn}"],
        load_balancer_names=["${clb.name}"],
        desired_capacity=3,
    )
    assert props["subnet_ids"] == ["${a.id}", "${b.id}"]


def test_delete_notes_say_how_the_group_goes() -> None:
    note = AUTOSCALING_GROUP.delete_note
    assert (
        note({"desired_capacity": 2}) == "scales to zero and waits for its 2 instances to terminate"
    )
    assert (
        note({"desired_capacity": 1}) == "scales to zero and waits for its 1 instance to terminate"
    )
    assert note(None) == "scales to zero and waits for its instances to terminate"
    assert note({"desired_capacity": 2, "force_delete": True}) == (
        "force-deletes: its instances are terminated without waiting for scale-in"
    )


# -- errors in a stack file: field paths and cross-resource checks ---------------------------

STACK = """\
stack: shop
region: us-west-2
resources:
  vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.0.0.0/16}}
  other_vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.1.0.0/16}}
  a: {type: aws.ec2.subnet, properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}}
  b: {type: aws.ec2.subnet, properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.2.0/24}}
  far: {type: aws.ec2.subnet, properties: {vpc_id: "${other_vpc.id}", cidr_block: 10.1.1.0/24}}
  sg: {type: aws.ec2.security_group, properties: {vpc_id: "${vpc.id}"}}
  lt: {type: aws.ec2.launch_template, properties: {image_id: ami-12345678}}
  lt2: {type: aws.ec2.launch_template, properties: {image_id: ami-12345678}}
  tg: {type: aws.elbv2.target_group, properties: {port: 80, vpc_id: "${vpc.id}"}}
  far_tg: {type: aws.elbv2.target_group, properties: {port: 80, vpc_id: "${other_vpc.id}"}}
  web:
    type: aws.autoscaling.group
    properties:
      launch_template_id: ${lt.id}
      subnet_ids: [${a.id}, ${b.id}]
      min_size: 1
      max_size: 3
"""


def errors_of(tmp_path: Path, text: str) -> list[tuple[str, str]]:
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load_stack(path)
    error = caught.value
    errors = error.errors if isinstance(error, ConfigErrors) else [error]
    return [
        (e.location.path if isinstance(e, ConfigError) and e.location else "", e.message)
        for e in errors
    ]


def with_web(**lines: str) -> str:
    return STACK + "".join(f"      {key}: {value}\n" for key, value in lines.items())


def test_a_valid_group_loads(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(with_web(target_group_arns="[${tg.arn}]"))
    assert load_stack(path).resources["web"].properties["name"] == "shop-web"


def test_size_errors_name_their_field(tmp_path: Path) -> None:
    assert errors_of(tmp_path, with_web(desired_capacity="7")) == [
        (
            "resources.web.properties.desired_capacity",
            "desired_capacity 7 is outside min_size 1 to max_size 3",
        )
    ]


@pytest.mark.parametrize(
    ("lines", "path", "message"),
    [
        (
            {"target_group_arns": "[${sg.id}]"},
            "target_group_arns[0]",
            "target_group_arns refers to 'sg', a aws.ec2.security_group; "
            "it needs an aws.elbv2.target_group",
        ),
        (
            {"target_group_arns": "[${tg.name}]"},
            "target_group_arns[0]",
            "target_group_arns needs the aws.elbv2.target_group's arn or id, not its name",
        ),
        (
            {"launch_template_version": "${lt2.latest_version}"},
            "launch_template_version",
            "launch_template_version is a version of 'lt2' but launch_template_id is 'lt'",
        ),
        (
            {"target_group_arns": "[${far_tg.arn}]"},
            "target_group_arns[0]",
            "target group 'far_tg' is in ${other_vpc.id} but the group's subnets are in "
            "${vpc.id}; instances register only with target groups of their own VPC",
        ),
    ],
)
def test_references_must_fit(
    tmp_path: Path, lines: dict[str, str], path: str, message: str
) -> None:
    assert errors_of(tmp_path, with_web(**lines)) == [(f"resources.web.properties.{path}", message)]


def test_subnets_of_two_vpcs_are_refused(tmp_path: Path) -> None:
    text = STACK.replace("subnet_ids: [${a.id}, ${b.id}]", "subnet_ids: [${a.id}, ${far.id}]")
    [(path, message)] = errors_of(tmp_path, text)
    assert path == "resources.web.properties.subnet_ids"
    assert message.startswith("subnet_ids span several VPCs")


def test_two_groups_cannot_share_a_name(tmp_path: Path) -> None:
    api = """\
  api:
    type: aws.autoscaling.group
    properties:
      name: shop-web
      launch_template_id: ${lt.id}
      subnet_ids: [${a.id}]
      min_size: 0
      max_size: 1
"""
    [(path, message)] = errors_of(tmp_path, STACK + api)
    assert path.endswith(".properties.name")
    assert message.startswith("Auto Scaling group name 'shop-web' is also used by")


def test_groups_are_created_after_the_listeners_that_start_health_checks() -> None:
    resources = {
        logical_id: Resource(
            logical_id=logical_id, type=type_name, region="us-west-2", properties={}
        )
        for logical_id, type_name in (("http", "aws.elbv2.listener"), ("web", TYPE_NAME))
    }
    graph = build_graph(Stack(name="shop", region="us-west-2", resources=resources))
    assert list(graph.edges) == [("http", "web")]


# -- plans -------------------------------------------------------------------------------------


def _live(**changes: Any) -> LiveResource:
    props = {**canonical(desired_capacity=2), "wait_for_capacity": None, "force_delete": None}
    props.update(id="shop-web", arn="arn:aws:autoscaling:...", **changes)
    return LiveResource(
        "aws.autoscaling.group", "shop-web", "us-west-2", props, "web", proof=Proof.RECORDED
    )


def _plan(tmp_path: Path, live: LiveResource, **lines: str) -> Plan:
    body = {**{key: json.dumps(value) for key, value in BASE.items()}, **lines}
    text = "stack: shop\nregion: us-west-2\nresources:\n  web:\n    type: aws.autoscaling.group\n"
    text += "    properties:\n" + "".join(f"      {k}: {v}\n" for k, v in body.items())
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    return make_plan(load_stack(path), LiveState(resources={"web": live}))


def test_capacity_left_to_aws_and_write_only_choices_never_diff(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path,
        _live(desired_capacity=3, subnet_ids=["subnet-b", "subnet-a"]),
        wait_for_capacity="true",
        force_delete="true",
    )
    assert plan.change("web").action is Action.NOOP


def test_a_new_name_replaces_the_group_before_deleting_the_old_one(tmp_path: Path) -> None:
    change = _plan(tmp_path, _live(), name="shop-web-2").change("web")
    assert change.action is Action.REPLACE
    assert change.replace_paths() == ["name"]
    assert change.replace_strategy is ReplaceStrategy.CREATE_THEN_DELETE


def test_size_changes_are_in_place(tmp_path: Path) -> None:
    change = _plan(tmp_path, _live(), max_size="5", desired_capacity="4").change("web")
    assert change.action is Action.UPDATE
    assert {c.path for c in change.changes} == {"max_size", "desired_capacity"}


# -- requests (pure functions of the group AWS reports and the desired properties) -------------


def _group(**changes: Any) -> dict[str, Any]:
    group = {
        "AutoScalingGroupName": "shop-web",
        "AutoScalingGroupARN": "arn:aws:autoscaling:us-west-2:123456789012:autoScalingGroup:x",
        "LaunchTemplate": {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "$Default"},
        "MinSize": 1,
        "MaxSize": 3,
        "DesiredCapacity": 2,
        "DefaultCooldown": 300,
        "HealthCheckType": "EC2",
        "HealthCheckGracePeriod": 300,
        "VPCZoneIdentifier": "subnet-b,subnet-a",
        "TargetGroupARNs": [],
        "LoadBalancerNames": [],
        "Tags": [
            {"Key": "stackdeploy:stack", "Value": "shop", "PropagateAtLaunch": True},
            {"Key": "stackdeploy:id", "Value": "web", "PropagateAtLaunch": True},
            {"Key": "team", "Value": "a", "PropagateAtLaunch": False},
            {"Key": "old", "Value": "x", "PropagateAtLaunch": True},
            {"Key": "aws:cloudformation:stack-name", "Value": "s", "PropagateAtLaunch": True},
        ],
    }
    return {**group, **changes}


def test_a_group_reads_back_in_the_spec_shape() -> None:
    props = group_properties(_group(LaunchTemplate={"LaunchTemplateId": "lt-1", "Version": "4"}))
    assert props["launch_template_version"] == 4
    assert props["subnet_ids"] == ["subnet-a", "subnet-b"]
    assert props["tags"] == {"team": "a", "old": "x"}
    assert set(canonical()) <= set(props)
    # A template given without a version is $Default, which AWS then leaves out.
    assert (
        group_properties(_group(LaunchTemplate={"LaunchTemplateId": "lt-1"}))[
            "launch_template_version"
        ]
        == "$Default"
    )


def test_update_sends_the_sizes_together_and_only_what_differs() -> None:
    props = canonical(max_size=5, subnet_ids=["subnet-a", "subnet-b"])
    assert update_request(_group(), props) == {"MinSize": 1, "MaxSize": 5}
    props = canonical(
        desired_capacity=2, launch_template_version="$Latest", health_check_type="ELB"
    )
    assert update_request(_group(), props) == {
        "LaunchTemplate": {"LaunchTemplateId": "lt-0123456789abcdef0", "Version": "$Latest"},
        "HealthCheckType": "ELB",
        "HealthCheckGracePeriod": 300,
    }


def test_tags_are_propagated_and_reserved_ones_left_alone() -> None:
    upserts, deletions = tag_changes(
        "shop-web",
        _group()["Tags"],
        {"team": "a", "stackdeploy:stack": "shop", "stackdeploy:id": "web"},
    )
    # team is present but not propagated to instances: it is rewritten.
    assert [(t["Key"], t["PropagateAtLaunch"]) for t in upserts] == [("team", True)]
    assert [t["Key"] for t in deletions] == ["old"]


def _client_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "CreateAutoScalingGroup")


def test_which_errors_are_aws_catching_up() -> None:
    missing_template = _client_error(
        "ValidationError",
        "You must use a valid fully-formed launch template. The specified launch template, "
        "with template ID lt-1, does not exist.",
    )
    profile = _client_error(
        "ValidationError",
        "You must use a valid fully-formed launch template. Value (p) for parameter "
        "iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
    )
    bad_type = _client_error(
        "ValidationError",
        "You must use a valid fully-formed launch template. Invalid value 'm5.medium' for "
        "InstanceType.",
    )
    assert not_yet_visible(missing_template) and not profile_not_propagated(missing_template)
    assert profile_not_propagated(profile) and not not_yet_visible(profile)
    assert not not_yet_visible(bad_type) and not profile_not_propagated(bad_type)
