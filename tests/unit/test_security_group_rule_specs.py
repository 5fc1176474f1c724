"""aws.ec2.security_group_rule without AWS: its validation, what replaces it, its checks against
the groups of the stack, and the cycle error that points to it (issue 7, item 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from stackdeploy.config.loader import LoadOptions, canonical_properties, load_stack
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.plan.diff import diff_properties
from stackdeploy.specs.ec2.security_group_rule import SECURITY_GROUP_RULE as RULE

FROM_LB = {
    "security_group_id": "sg-0app",
    "direction": "ingress",
    "port": 8080,
    "referenced_security_group_id": "sg-0lb",
}


def canonical(**props: Any) -> dict[str, Any]:
    return canonical_properties(RULE, {**FROM_LB, **props}, "shop", "app_from_lb", {})


def problem(**props: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        canonical(**props)
    return str(raised.value)


def test_canonical_form_is_what_aws_reads_back() -> None:
    props = canonical(protocol="TCP", description="from the load balancer")
    assert props == {
        "security_group_id": "sg-0app",
        "direction": "ingress",
        "protocol": "tcp",
        "port": None,
        "from_port": 8080,
        "to_port": 8080,
        "cidr_ipv4": None,
        "cidr_ipv6": None,
        "prefix_list_id": None,
        "referenced_security_group_id": "sg-0lb",
        "description": "from the load balancer",
        "tags": {},
    }
    everything = canonical(
        protocol="all", port=None, referenced_security_group_id=None, cidr_ipv4="10.0.0.0/8"
    )
    assert (everything["protocol"], everything["from_port"], everything["to_port"]) == (
        "-1",
        None,
        None,
    )
    assert canonical(protocol="icmp", port=None)["from_port"] == -1


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"cidr_ipv4": "10.0.0.0/8"}, "exactly one peer"),
        ({"referenced_security_group_id": None}, "exactly one peer: cidr_ipv4"),
        ({"protocol": "all"}, "ports do not apply to protocol all"),
        ({"port": None}, "tcp rules need port"),
        ({"direction": "inbound"}, "'ingress' or 'egress'"),
        ({"security_group_id": "app"}, "'app' is not a security group id"),
        ({"referenced_security_group_id": "lb-group"}, "not a security group id"),
        ({"referenced_security_group_id": None, "prefix_list_id": "x"}, "not a prefix list"),
        ({"referenced_security_group_id": None, "cidr_ipv4": "10.0.0.1/8"}, "host bits"),
        ({"description": "caf\u00e9"}, "characters AWS rejects"),
    ],
)
def test_invalid_rules_are_refused(props: dict[str, Any], message: str) -> None:
    assert message in problem(**props)


def test_description_and_tags_change_in_place_everything_else_replaces() -> None:
    live = {**canonical(description="old"), "tags": {"a": "b"}}
    in_place = diff_properties(RULE, canonical(description=""), live)
    assert [(c.path, c.forces_replacement) for c in in_place] == [
        ("description", False),
        ("tags", False),
    ]
    for change, paths in (
        ({"port": 8081}, ["from_port", "to_port"]),
        ({"direction": "egress"}, ["direction"]),
        ({"security_group_id": "sg-0new"}, ["security_group_id"]),
        ({"referenced_security_group_id": None, "cidr_ipv4": "10.0.0.0/8"}, ["cidr_ipv4"]),
    ):
        changes = [c for c in diff_properties(RULE, canonical(**change), live) if c.path != "tags"]
        assert [c.path for c in changes if c.path != "description"] == paths, change
        assert all(c.forces_replacement for c in changes if c.path != "description"), change


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stack.yaml"
    path.write_text(text)
    return path


def errors_of(path: Path) -> list[ConfigError]:
    with pytest.raises(ConfigErrors) as raised:
        load_stack(path, LoadOptions())
    return list(raised.value.errors)


GROUPS = """\
stack: shop
region: us-west-2
resources:
  vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.0.0.0/16}}
  lb_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      ingress: [{port: 80, cidr_blocks: [0.0.0.0/0]}]
      egress: []
  app_sg:
    type: aws.ec2.security_group
    properties: {vpc_id: ${vpc.id}}
  lb_to_app:
    type: aws.ec2.security_group_rule
    properties:
      security_group_id: ${lb_sg.id}
      direction: egress
      port: 8080
      referenced_security_group_id: ${app_sg.id}
  app_from_lb:
    type: aws.ec2.security_group_rule
    properties:
      security_group_id: ${app_sg.id}
      direction: ingress
      port: 8080
      referenced_security_group_id: ${lb_sg.id}
      description: from the load balancer
"""


def test_two_groups_naming_each_other_through_rule_resources_load(tmp_path: Path) -> None:
    stack = load_stack(write(tmp_path, GROUPS), LoadOptions())
    assert stack.resources["app_from_lb"].dependencies() == {"app_sg", "lb_sg"}
    assert stack.resources["lb_to_app"].dependencies() == {"app_sg", "lb_sg"}


def test_omitted_egress_beside_egress_rule_resources_is_an_error_at_the_group(
    tmp_path: Path,
) -> None:
    """Omitted, egress is AWS's allow-all: the egress rule resources would restrict nothing."""
    path = write(tmp_path, GROUPS.replace("      egress: []\n", ""))
    [error] = errors_of(path)
    assert error.location is not None
    assert error.location.path == "resources.lb_sg.properties.egress"
    assert "lb_sg keeps AWS's default egress, allow-all to 0.0.0.0/0" in error.message
    assert "lb_to_app (aws.ec2.security_group_rule) add egress rules to it" in error.message
    assert "write `egress: []`" in (error.hint or "")


def test_rules_listed_in_a_group_and_rule_resources_do_not_mix(tmp_path: Path) -> None:
    listed = "    properties: {vpc_id: ${vpc.id}, ingress: [{port: 22, cidr_blocks: [10.0.0.0/8]}]}"
    listed += "\n"
    path = write(tmp_path, GROUPS.replace("    properties: {vpc_id: ${vpc.id}}\n", listed))
    [error] = errors_of(path)
    assert error.location is not None
    assert error.location.path == "resources.app_sg.properties.ingress"
    assert "app_sg lists 1 ingress rule(s) of its own, and app_from_lb" in error.message
    assert "never both" in error.message


def test_the_same_rule_twice_and_a_peer_that_is_no_group_are_errors(tmp_path: Path) -> None:
    twice = GROUPS + (
        "  again:\n"
        "    type: aws.ec2.security_group_rule\n"
        "    properties: {security_group_id: ${app_sg.id}, direction: ingress, port: 8080,\n"
        "                 referenced_security_group_id: ${lb_sg.id}}\n"
        "  odd:\n"
        "    type: aws.ec2.security_group_rule\n"
        "    properties: {security_group_id: ${app_sg.id}, direction: ingress, port: 9,\n"
        "                 referenced_security_group_id: ${vpc.id}}\n"
    )
    messages = sorted(e.message for e in errors_of(write(tmp_path, twice)))
    assert messages == [
        "referenced_security_group_id refers to 'vpc', a aws.ec2.vpc; it must name an "
        "aws.ec2.security_group",
        "the same rule as 'again' (group, direction, protocol, ports and peer); AWS keeps one "
        "of each",
    ]


def test_a_cycle_of_groups_names_the_rule_type_and_both_groups(tmp_path: Path) -> None:
    cyclic = """\
stack: shop
region: us-west-2
resources:
  vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.0.0.0/16}}
  lb_sg:
    type: aws.ec2.security_group
    properties: {vpc_id: ${vpc.id}, egress: [{port: 8080, security_group_ids: [${app_sg.id}]}]}
  app_sg:
    type: aws.ec2.security_group
    properties: {vpc_id: ${vpc.id}, ingress: [{port: 8080, security_group_ids: [${lb_sg.id}]}]}
"""
    [error] = errors_of(write(tmp_path, cyclic))
    assert error.message == "dependency cycle: lb_sg -> app_sg -> lb_sg"
    hint = error.hint or ""
    assert "security group 'app_sg' lists an ingress rule naming 'lb_sg'" in hint
    assert "aws.ec2.security_group_rule" in hint
    assert "referenced_security_group_id: ${lb_sg.id}" in hint


def test_other_cycles_keep_the_general_hint(tmp_path: Path) -> None:
    cyclic = """\
stack: shop
region: us-west-2
resources:
  a: {type: aws.ec2.vpc, properties: {cidr_block: 10.0.0.0/16}, depends_on: [b]}
  b: {type: aws.ec2.vpc, properties: {cidr_block: 10.1.0.0/16}, depends_on: [a]}
"""
    [error] = errors_of(write(tmp_path, cyclic))
    assert "remove a reference or a depends_on entry" in (error.hint or "")
