"""Every property that can name another resource is declared as a reference, or said not to be.

Deletion order and what a resource left alone keeps come from the declarations alone
(specs/references.py), so a property forgotten there orders nothing: a destroy would then
fail on DependencyViolation. A field is a candidate when its name says it holds an id, ARN or
name (`vpc_id`, `subnet_ids`, `target_group_arns`, `key_name`, ...) or its description shows
a `${...}` reference; each candidate is declared or listed below with the reason it is not a
reference to a resource of this stack.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from stackdeploy.model.live import LiveResource
from stackdeploy.plan.uses import UsedResources
from stackdeploy.specs.references import values_at
from stackdeploy.specs.registry import RESOURCE_TYPES

_NAMING_SUFFIXES = ("_id", "_ids", "_arn", "_arns", "_name", "_names")

NOT_REFERENCES: dict[str, dict[str, str]] = {
    "aws.ec2.route_table": {
        "routes[].network_interface_id": "no stackdeploy type makes network interfaces",
        "routes[].vpc_peering_connection_id": "no stackdeploy type makes peering connections",
        "routes[].transit_gateway_id": "no stackdeploy type makes transit gateways",
    },
    "aws.ec2.security_group": {
        # Declared in their canonical form, one peer per rule: ingress[].security_group_id.
        "ingress[].security_group_ids[]": "canonical form declared",
        "egress[].security_group_ids[]": "canonical form declared",
        "ingress[].prefix_list_ids[]": "no stackdeploy type makes prefix lists",
        "egress[].prefix_list_ids[]": "no stackdeploy type makes prefix lists",
    },
    "aws.ec2.security_group_rule": {
        "prefix_list_id": "no stackdeploy type makes prefix lists",
    },
    "aws.ec2.instance": {
        "image_id": "an AMI: no stackdeploy type makes images",
        "user_data_template": "a template file; references inside it are to values, in text",
    },
    "aws.ec2.launch_template": {
        "image_id": "an AMI: no stackdeploy type makes images",
    },
    "aws.elb.load_balancer": {
        "listeners[].ssl_certificate_id": "an ACM or IAM certificate: no stackdeploy type",
    },
    "aws.elbv2.listener": {
        "certificate_arn": "an ACM or IAM certificate: no stackdeploy type",
    },
    "aws.autoscaling.group": {
        "launch_template_version": "a version number of the referenced launch template",
    },
    "aws.iam.role": {
        "managed_policy_arns[]": "managed policies: no stackdeploy type makes them",
    },
    "aws.rds.db_instance": {
        "db_name": "a database inside the instance, not a resource",
    },
    "aws.s3.bucket": {
        "name": "its own name (the ${aws:account_id} in its description is a lookup)",
    },
}


def _models_in(annotation: Any, in_list: bool = False) -> Iterator[tuple[type[BaseModel], bool]]:
    """Spec models inside a field's annotation, and whether they sit in a list."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, in_list
        return
    listed = in_list or typing.get_origin(annotation) is list
    for argument in typing.get_args(annotation):
        yield from _models_in(argument, listed)


def _is_list(annotation: Any) -> bool:
    if typing.get_origin(annotation) is list:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_list(argument) for argument in typing.get_args(annotation))
    return False


def candidate_paths(model: type[BaseModel], prefix: str = "") -> Iterator[str]:
    """Paths (in the declaration syntax) of the fields that may name another resource."""
    for name, info in model.model_fields.items():
        nested = list(_models_in(info.annotation))
        for inner, in_list in nested:
            yield from candidate_paths(inner, f"{prefix}{name}{'[]' if in_list else ''}.")
        if nested:
            continue
        path = f"{prefix}{name}{'[]' if _is_list(info.annotation) else ''}"
        if name.endswith(_NAMING_SUFFIXES) or "${" in (info.description or ""):
            yield path


def undeclared() -> dict[str, list[str]]:
    missing: dict[str, list[str]] = {}
    for type_name, rtype in RESOURCE_TYPES.items():
        decided = set(rtype.references) | set(NOT_REFERENCES.get(type_name, {}))
        left = sorted(set(candidate_paths(rtype.spec)) - decided)
        if left:
            missing[type_name] = left
    return missing


def test_every_property_that_can_name_another_resource_is_declared() -> None:
    assert undeclared() == {}, (
        "declare these in the type's references (specs/references.py), or add them to "
        "NOT_REFERENCES with the reason they name nothing this stack makes"
    )


def test_the_check_sees_an_undeclared_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard the check itself: drop one declaration and it is reported."""
    subnet = RESOURCE_TYPES["aws.ec2.subnet"]
    monkeypatch.setitem(RESOURCE_TYPES, subnet.name, dataclasses.replace(subnet, references={}))
    assert undeclared() == {"aws.ec2.subnet": ["vpc_id"]}


def test_exceptions_name_real_candidates() -> None:
    """A reason kept for a field that no longer exists would hide a new one of that name."""
    for type_name, fields in NOT_REFERENCES.items():
        assert set(fields) <= set(candidate_paths(RESOURCE_TYPES[type_name].spec)), type_name


def test_declarations_name_known_types_and_real_properties() -> None:
    for type_name, rtype in RESOURCE_TYPES.items():
        for path, reference in rtype.references.items():
            assert reference.types <= set(RESOURCE_TYPES), (type_name, path)
            assert path.split(".")[0].removesuffix("[]") in rtype.spec.model_fields, path


def test_values_are_read_at_their_paths() -> None:
    properties = {
        "routes": [{"gateway_id": "igw-1"}, {"nat_gateway_id": "nat-1"}, {"gateway_id": None}],
        "subnet_ids": ["subnet-1", "subnet-2"],
        "replication": {"rules": [{"destination": "arn:aws:s3:::b"}]},
        "default_action": None,
    }
    assert list(values_at(properties, "routes[].gateway_id")) == ["igw-1"]
    assert list(values_at(properties, "subnet_ids[]")) == ["subnet-1", "subnet-2"]
    assert list(values_at(properties, "replication.rules[].destination")) == ["arn:aws:s3:::b"]
    assert list(values_at(properties, "default_action.target_group_arn")) == []
    assert list(values_at(properties, "missing[].id")) == []


def _live(type_name: str, physical_id: str, **properties: Any) -> LiveResource:
    return LiveResource(type_name, physical_id, "us-west-2", {"id": physical_id, **properties})


def test_a_name_equal_to_another_resources_id_is_no_reference() -> None:
    """Issue 7, item 3: a launch template named like the group that uses it, and a target
    group named like it too, are used by the group, never the other way round."""
    found = {
        "lt": _live("aws.ec2.launch_template", "lt-1", name="web"),
        "asg": _live(
            "aws.autoscaling.group",
            "web",
            name="web",
            launch_template_id="lt-1",
            target_group_arns=["arn:tg/web"],
        ),
        "tg": _live("aws.elbv2.target_group", "arn:tg/web", arn="arn:tg/web", name="web"),
    }
    used = UsedResources(found)
    assert sorted(used.used_by(found["asg"])) == ["lt", "tg"]
    assert list(used.used_by(found["lt"])) == []
    assert list(used.used_by(found["tg"])) == []


def test_a_reference_counts_only_against_its_declared_types() -> None:
    """An instance profile named like a role names no role; its `role` does."""
    found = {
        "role": _live("aws.iam.role", "app", name="app", arn="arn:aws:iam::1:role/app"),
        "other": _live("aws.iam.role", "profile-role", name="profile-role"),
        "profile": _live("aws.iam.instance_profile", "profile-role", role="app"),
    }
    assert list(UsedResources(found).used_by(found["profile"])) == ["role"]
