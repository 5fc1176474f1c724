"""Stack files: rendering, variables, and errors that name file, line and field."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from stackdeploy.config.loader import LoadOptions, load_stack
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.stack import Stack
from stackdeploy.specs.base import Issue
from stackdeploy.specs.ec2.subnet import overlapping_pairs
from stackdeploy.specs.registry import RESOURCE_TYPES

BASE = """\
stack: demo
region: us-west-2
vars:
  cidr: 10.0.0.0/16
  azs: [a, b]
  count: 2
resources:
  vpc:
    type: aws.ec2.vpc
    properties:
      cidr_block: "{{ cidr }}"
{% for az in azs[:count] %}
  public_{{ az }}:
    type: aws.ec2.subnet
    properties:
      vpc_id: ${vpc.id}
      cidr_block: {{ cidrsubnet(cidr, 8, loop.index) }}
      availability_zone: {{ region }}{{ az }}
{% endfor %}
"""


def write(tmp_path: Path, text: str, name: str = "stack.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def errors_of(path: Path, options: LoadOptions | None = None) -> list[ConfigError]:
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load_stack(path, options)
    error = caught.value
    return error.errors if isinstance(error, ConfigErrors) else [error]


def test_loop_renders_one_subnet_per_zone(tmp_path: Path) -> None:
    stack = load_stack(write(tmp_path, BASE))
    assert sorted(stack.resources) == ["public_a", "public_b", "vpc"]
    assert stack.resources["public_b"].properties["cidr_block"] == "10.0.2.0/24"
    assert stack.resources["public_a"].properties["availability_zone"] == "us-west-2a"


def test_cli_vars_override_file_defaults_with_types_kept(tmp_path: Path) -> None:
    options = LoadOptions(cli_vars=["count=1", "cidr=10.8.0.0/16"])
    stack = load_stack(write(tmp_path, BASE), options)
    assert sorted(stack.resources) == ["public_a", "vpc"]
    assert stack.resources["vpc"].properties["cidr_block"] == "10.8.0.0/16"


def test_var_file_is_applied_before_cli_vars(tmp_path: Path) -> None:
    var_file = write(tmp_path, "cidr: 10.5.0.0/16\ncount: 1\n", "vars.yaml")
    options = LoadOptions(var_files=[var_file], cli_vars=["count=2"])
    stack = load_stack(write(tmp_path, BASE), options)
    assert stack.resources["vpc"].properties["cidr_block"] == "10.5.0.0/16"
    assert len(stack.resources) == 3


def test_undeclared_variable_override_is_an_error(tmp_path: Path) -> None:
    [error] = errors_of(write(tmp_path, BASE), LoadOptions(cli_vars=["cidrr=10.0.0.0/16"]))
    assert "cidrr" in error.message
    assert error.hint and "cidr" in error.hint


def test_region_flag_overrides_file_and_reaches_templates(tmp_path: Path) -> None:
    stack = load_stack(write(tmp_path, BASE), LoadOptions(region_override="eu-west-1"))
    assert stack.region == "eu-west-1"
    assert stack.resources["public_a"].properties["availability_zone"] == "eu-west-1a"


def test_field_error_inside_loop_points_at_the_template_line(tmp_path: Path) -> None:
    text = BASE.replace("availability_zone: {{ region }}{{ az }}", "availability_zone: {{ az }}")
    errors = errors_of(write(tmp_path, text))
    assert {e.location.line for e in errors if e.location} == {18}
    assert all("not in the resource's region" in e.message for e in errors)
    assert errors[0].location is not None
    assert errors[0].location.path == "resources.public_a.properties.availability_zone"


def test_unknown_field_and_bad_cidr_are_both_reported(tmp_path: Path) -> None:
    text = BASE.replace('cidr_block: "{{ cidr }}"', 'cidr_block: "10.0.0.0/8"\n      dns: true')
    errors = errors_of(write(tmp_path, text))
    messages = {e.message: e.location for e in errors}
    assert any("/8" in m and "/16 to /28" in m for m in messages)
    assert any("unknown field 'dns'" in m for m in messages)
    lines = sorted(loc.line for loc in messages.values() if loc and loc.line)
    assert lines == [11, 12]


def test_unknown_reference_names_file_line_and_suggests(tmp_path: Path) -> None:
    text = BASE.replace("vpc_id: ${vpc.id}", "vpc_id: ${vpcc.id}")
    errors = errors_of(write(tmp_path, text))
    assert errors[0].location is not None and errors[0].location.line == 16
    assert "vpcc" in errors[0].message
    assert errors[0].hint == "did you mean vpc?"


def test_unknown_attribute_lists_the_attributes(tmp_path: Path) -> None:
    text = BASE.replace("vpc_id: ${vpc.id}", "vpc_id: ${vpc.vpc_id}")
    [first, *_] = errors_of(write(tmp_path, text))
    assert "has no attribute 'vpc_id'" in first.message
    assert first.hint and "id" in first.hint.split(": ")[1]


def test_undefined_jinja_variable_names_the_line(tmp_path: Path) -> None:
    text = BASE.replace('"{{ cidr }}"', '"{{ cidr_block }}"')
    [error] = errors_of(write(tmp_path, text))
    assert "cidr_block" in error.message
    assert error.location is not None and error.location.line == 11


def test_references_in_flow_lists_need_no_quotes(tmp_path: Path) -> None:
    text = (
        BASE
        + """\
  rt:
    type: aws.ec2.route_table
    properties: {vpc_id: ${vpc.id}, subnet_ids: [${public_a.id}, ${public_b.id}]}
"""
    )
    stack = load_stack(write(tmp_path, text))
    assert stack.resources["rt"].properties["subnet_ids"] == ["${public_a.id}", "${public_b.id}"]


def test_dependency_cycle_prints_the_cycle(tmp_path: Path) -> None:
    text = """\
stack: cyc
region: us-west-2
resources:
  a:
    type: aws.ec2.security_group
    properties: {vpc_id: vpc-1, ingress: [{port: 1, security_group_ids: [${b.id}]}]}
  b:
    type: aws.ec2.security_group
    properties: {vpc_id: vpc-1, ingress: [{port: 1, security_group_ids: [${a.id}]}]}
"""
    [error] = errors_of(write(tmp_path, text))
    assert error.message in ("dependency cycle: a -> b -> a", "dependency cycle: b -> a -> b")


def test_duplicate_logical_id_is_an_error_not_a_silent_overwrite(tmp_path: Path) -> None:
    text = BASE.replace("{% for", "  vpc:\n    type: aws.ec2.vpc\n{% for", 1)
    [error] = errors_of(write(tmp_path, text))
    assert "duplicate key 'vpc'" in error.message


def test_missing_region_is_an_error_with_a_hint(tmp_path: Path) -> None:
    text = "stack: r\nresources: {}\n"
    [error] = errors_of(write(tmp_path, text))
    assert "no region" in error.message


def test_network_rules(tmp_path: Path) -> None:
    text = """\
stack: rules
region: us-west-2
resources:
  vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.0.0.0/16}}
  a: {type: aws.ec2.subnet, properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}}
  b: {type: aws.ec2.subnet, properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.128/25}}
  outside: {type: aws.ec2.subnet, properties: {vpc_id: "${vpc.id}", cidr_block: 10.1.0.0/24}}
  rt1: {type: aws.ec2.route_table, properties: {vpc_id: "${vpc.id}", subnet_ids: ["${a.id}"]}}
  rt2: {type: aws.ec2.route_table, properties: {vpc_id: "${vpc.id}", subnet_ids: ["${a.id}"]}}
  eip: {type: aws.ec2.eip}
  nat: {type: aws.ec2.nat_gateway, properties: {subnet_id: "${a.id}", allocation_id: "${eip.id}"}}
  sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: "${vpc.id}"
      ingress: [{protocol: tcp, from_port: 90, to_port: 80, cidr_blocks: [0.0.0.0/0]}]
"""
    messages = [e.message for e in errors_of(write(tmp_path, text))]
    assert any("from_port 90 is above to_port 80" in m for m in messages)
    text = text.replace("from_port: 90", "from_port: 70")
    messages = [e.message for e in errors_of(write(tmp_path, text))]
    assert any("overlaps subnet 'a'" in m for m in messages)
    assert any("not inside its VPC's CIDR" in m for m in messages)
    assert any("already associated with route table 'rt1'" in m for m in messages)
    assert any("is not public" in m for m in messages)


def test_overlapping_pairs_are_every_overlapping_pair_in_list_order() -> None:
    rng = random.Random(3)
    for _ in range(500):
        networks = []
        for _ in range(rng.randint(0, 12)):
            prefix = rng.randint(16, 20)
            address = (0x0A000000 | rng.randrange(64) << 12) & ~((1 << (32 - prefix)) - 1)
            networks.append(IPv4Network((address, prefix)))
        expected = [
            (later, earlier)
            for later in range(len(networks))
            for earlier in range(later)
            if networks[later].overlaps(networks[earlier])
        ]
        assert overlapping_pairs(networks) == expected


def test_a_check_may_warn_at_the_field_without_stopping_the_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warning (what the file alone cannot settle) names its file, line and field."""

    def wide_vpc(stack: Stack) -> Iterator[Issue]:
        yield Issue("vpc", ("cidr_block",), "a /16 is wide", hint="narrow it", warning=True)

    vpc_type = RESOURCE_TYPES["aws.ec2.vpc"]
    monkeypatch.setitem(RESOURCE_TYPES, "aws.ec2.vpc", replace(vpc_type, checks=(wide_vpc,)))
    path = write(tmp_path, BASE)
    stack = load_stack(path)
    assert stack.warnings == (
        f"{path}:11 (resources.vpc.properties.cidr_block): a /16 is wide (hint: narrow it)",
    )
