"""Instance and launch template specs: validation, defaults, templates and how changes plan,
without AWS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from stackdeploy.config.loader import canonical_properties, load_stack
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.plan.diff import diff_properties
from stackdeploy.specs.base import digest_of
from stackdeploy.specs.ec2.instance import INSTANCE
from stackdeploy.specs.ec2.launch_template import LAUNCH_DATA, LAUNCH_TEMPLATE

BASE = {
    "image_id": "ami-0123456789abcdef0",
    "instance_type": "t3.micro",
    "subnet_id": "subnet-1",
    "security_group_ids": ["sg-1"],
}


def instance(**props: Any) -> dict[str, Any]:
    return canonical_properties(INSTANCE, {**BASE, **props}, "shop", "web", {})


def template(logical_id: str = "web_lt", **props: Any) -> dict[str, Any]:
    raw = {"image_id": BASE["image_id"], **props}
    return canonical_properties(LAUNCH_TEMPLATE, raw, "shop", logical_id, {})


def problem(build: Any = instance, **props: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        build(**props)
    return str(raised.value)


def test_instance_defaults_are_safe() -> None:
    props = instance()
    assert props["metadata_options"] == {
        "http_tokens": "required",  # IMDSv2 only
        "http_endpoint": "enabled",
        "http_put_response_hop_limit": 2,
    }
    assert (props["source_dest_check"], props["disable_api_termination"]) == (True, False)
    assert props["wait"] == "running"
    assert props["associate_public_ip_address"] is None  # the subnet decides
    assert instance(root_volume={"size_gb": 20})["root_volume"] == {
        "size_gb": 20,
        "volume_type": "gp3",
        "encrypted": True,
        "delete_on_termination": True,
    }


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"instance_type": "t3-micro"}, "is not an instance type"),
        ({"image_id": "ubuntu"}, "is not an AMI id"),
        ({"security_group_ids": []}, "at least 1 item"),
        ({"security_group_ids": ["sg-1", "sg-1"]}, "listed twice"),
        ({"security_group_ids": ["web"]}, "names are not accepted"),
        ({"iam_instance_profile": "arn:aws:iam::1:instance-profile/x"}, "not its ARN"),
        ({"private_ip_address": "10.0.0.300"}, "not an IPv4 address"),
        ({"user_data": "x" * 16385}, "user data is 16385 bytes; AWS allows 16384"),
        ({"user_data": "a", "user_data_template": "b.sh"}, "not both"),
        ({"root_volume": {"size_gb": 2000, "volume_type": "standard"}}, "at most 1024 GiB"),
        ({"root_volume": {"size_gb": 8, "volume_type": "st1"}}, "gp3"),
        ({"metadata_options": {"http_tokens": "sometimes"}}, "required"),
    ],
)
def test_instance_validation(props: dict[str, Any], message: str) -> None:
    assert message in problem(**props)


def test_lookups_and_references_pass_literal_checks() -> None:
    props = instance(
        image_id="${ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64}",
        instance_type="${vars.type}",
        security_group_ids=["${web_sg.id}"],
    )
    assert props["security_group_ids"] == ["${web_sg.id}"]


def test_how_changes_plan() -> None:
    live = {**instance(user_data="#!/bin/sh"), "user_data": digest_of("#!/bin/sh")}
    assert diff_properties(INSTANCE, instance(user_data="#!/bin/sh"), live) == []
    # wait is write-only: how create waited is never a change.
    assert diff_properties(INSTANCE, instance(user_data="#!/bin/sh", wait="status_ok"), live) == []
    [typed] = diff_properties(
        INSTANCE, instance(user_data="#!/bin/sh", instance_type="t3.large"), live
    )
    assert not typed.forces_replacement
    assert typed.note and "stopped and started" in typed.note and "new public IP" in typed.note
    [rerun] = diff_properties(INSTANCE, instance(user_data="#!/bin/bash"), live)
    assert rerun.forces_replacement and rerun.note and "first boot" in rerun.note
    groups = diff_properties(
        INSTANCE,
        instance(security_group_ids=["sg-2", "sg-1"]),
        instance(security_group_ids=["sg-1", "sg-2"]),
    )
    assert groups == []  # an unordered list


def test_delete_notes() -> None:
    applied = instance(
        disable_api_termination=True, root_volume={"size_gb": 8, "delete_on_termination": False}
    )
    note = INSTANCE.delete_note(applied)
    assert note and "termination protection is turned off" in note and "kept" in note
    assert INSTANCE.delete_note(instance()) is None


def test_launch_template_defaults_and_name() -> None:
    props = template()
    assert props["name"] == "shop-web-lt"
    assert props["metadata_options"]["http_tokens"] == "required"
    assert (props["security_group_ids"], props["instance_tags"]) == ([], {})
    assert "not a launch template name" in problem(template, name="a b")
    assert "reserved prefix" in problem(template, instance_tags={"aws:x": "1"})


def test_launch_data_changes_are_updates_not_replacements() -> None:
    live = template()
    changed = template(image_id="ami-0fedcba9876543210", instance_type="t3.large")
    changes = diff_properties(LAUNCH_TEMPLATE, changed, live)
    assert [c.path for c in changes] == ["image_id", "instance_type"]
    assert not any(c.forces_replacement for c in changes)
    assert changes[0].note and "new template version" in changes[0].note
    [renamed] = diff_properties(LAUNCH_TEMPLATE, template(name="other"), live)
    assert renamed.forces_replacement


def test_launch_data_names_the_spec_fields() -> None:
    own = {"name", "tags", "user_data_template", "template_vars"}
    assert set(LAUNCH_DATA) == set(LAUNCH_TEMPLATE.spec.model_fields) - own


# -- whole stacks: templates and cross-resource checks --------------------------------------

STACK = """\
stack: shop
region: us-west-2
vars:
  greeting: hello
tags: {team: web}
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  other_vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.1.0.0/16}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}
  web_sg:
    type: aws.ec2.security_group
    properties: {vpc_id: "${vpc.id}"}
  other_sg:
    type: aws.ec2.security_group
    properties: {vpc_id: "${other_vpc.id}"}
  web:
    type: aws.ec2.instance
    properties:
      image_id: ami-0123456789abcdef0
      instance_type: t3.micro
      subnet_id: ${subnet.id}
"""


def load(tmp_path: Path, extra: str, script: str = "echo {{ greeting }} ${subnet.id}") -> Any:
    (tmp_path / "templates" / "user-data").mkdir(parents=True)
    (tmp_path / "templates" / "user-data" / "boot.sh.j2").write_text(script)
    path = tmp_path / "stack.yaml"
    path.write_text(STACK + extra)
    return load_stack(path)


def errors(tmp_path: Path, extra: str, script: str = "echo hi") -> list[ConfigError]:
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load(tmp_path, extra, script)
    error = caught.value
    if isinstance(error, ConfigErrors):
        return error.errors
    assert isinstance(error, ConfigError)
    return [error]


def test_user_data_template_renders_into_user_data(tmp_path: Path) -> None:
    extra = (
        "      security_group_ids: [${web_sg.id}]\n      user_data_template: user-data/boot.sh.j2\n"
    )
    web = load(tmp_path, extra).resources["web"]
    assert web.properties["user_data"] == "echo hello ${subnet.id}"  # reference kept for apply
    assert "user_data_template" not in web.properties
    assert "subnet" in web.dependencies()


def test_rendered_user_data_over_16_kb_names_the_template(tmp_path: Path) -> None:
    extra = (
        "      security_group_ids: [${web_sg.id}]\n      user_data_template: user-data/boot.sh.j2\n"
    )
    [error] = errors(tmp_path, extra, script="x" * 17000)
    assert "user_data_template: user data is 17000 bytes" in error.message
    assert error.location and error.location.line == 29


def test_groups_must_be_in_the_subnets_vpc(tmp_path: Path) -> None:
    [error] = errors(tmp_path, "      security_group_ids: [${web_sg.id}, ${other_sg.id}]\n")
    assert "security group 'other_sg' is in VPC ${other_vpc.id}" in error.message
    assert error.location and error.location.path.endswith("security_group_ids[1]")


def test_profile_must_be_an_instance_profile(tmp_path: Path) -> None:
    extra = "      security_group_ids: [${web_sg.id}]\n      iam_instance_profile: ${web_sg.name}\n"
    [error] = errors(tmp_path, extra)
    assert "a aws.ec2.security_group" in error.message
    assert error.hint and "instance profile" in error.hint


def test_stackdeploy_tags_leave_room(tmp_path: Path) -> None:
    tags = ", ".join(f"t{i}: v" for i in range(43))
    extra = (
        f"      security_group_ids: [${{web_sg.id}}]\n      user_data: hi\n      tags: {{{tags}}}\n"
    )
    [error] = errors(tmp_path, extra)
    assert "44 tags (with the stack's); this instance has room for 43" in error.message


def test_a_literal_vpc_is_not_compared_with_a_reference(tmp_path: Path) -> None:
    extra = (
        "      security_group_ids: [${web_sg.id}, ${shared_sg.id}]\n"
        "  shared_sg:\n"
        "    type: aws.ec2.security_group\n"
        "    properties: {vpc_id: vpc-0123456789abcdef0}\n"
    )
    assert load(tmp_path, extra).resources["web"].properties["security_group_ids"][1] == (
        "${shared_sg.id}"
    )


def test_a_subnet_reference_must_name_a_subnet(tmp_path: Path) -> None:
    text = STACK.replace("subnet_id: ${subnet.id}", "subnet_id: ${vpc.id}")
    (tmp_path / "stack.yaml").write_text(text + "      security_group_ids: [${web_sg.id}]\n")
    with pytest.raises(ConfigErrors) as caught:
        load_stack(tmp_path / "stack.yaml")
    [error] = caught.value.errors
    assert "subnet_id refers to 'vpc', a aws.ec2.vpc" in error.message
