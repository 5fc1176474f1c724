"""Every error of a stack file in one run: field errors do not hide cross-resource ones, and a
resource that failed validation causes no error of its neighbours (issue 7, item 6)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stackdeploy.config import loader
from stackdeploy.config.loader import load_stack
from stackdeploy.config.yamlsource import YamlDocument
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.stack import Stack
from stackdeploy.specs.registry import RESOURCE_TYPES

REPO = Path(__file__).resolve().parents[2]

# One file, every kind of error: each expected one is marked by its comment, on its line.
MIXED = """\
stack: mixed
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  web_sg:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      ingress:
        - {protocol: tcpp, port: 80, cidr_blocks: [0.0.0.0/0]}            # bad protocol
  inside:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}
  outside:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.9.1.0/24}            # outside the VPC
  overlapping:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.128/25}          # overlaps
  host_bits:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.2.1/24}            # host bits
  logs:
    type: aws.s3.bucket
    properties:
      name: mixed-logs-bucket
      lifecycle_rules:
        - id: age-out
          transitions:                                                     # lifecycle order
            - {days: 90, storage_class: GLACIER}
            - {days: 120, storage_class: STANDARD_IA}
  archive:
    type: aws.s3.bucket
    properties: {name: Archive_Bucket}                                      # bucket name
  users:
    type: aws.dynamodb.table
    properties:
      hash_key: user_id
      attributes: {user_id: S, email: S}                                   # unused attribute
  template:
    type: aws.ec2.launch_template
    properties: {image_id: ami-0123456789abcdef0}
  web:
    type: aws.autoscaling.group
    properties:
      launch_template_id: ${template.id}
      subnet_ids: ["${inside.id}"]
      min_size: 1
      max_size: 2
      desired_capacity: 3                                                  # desired > max
  a:                                                                       # cycle
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      ingress: [{port: 22, security_group_ids: ["${b.id}"]}]
  b:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${vpc.id}
      ingress: [{protocol: tcp, port: 99999, security_group_ids: ["${a.id}"]}]  # bad port
  db_sg:
    type: aws.ec2.security_group
    properties: {vpc_id: "${vpcc.id}"}                                     # unknown reference
  queue_sg:
    type: aws.ec2.security_group
    depend_on: [vpc]                                                       # entry field
    properties: {vpc_id: "${vpc.id}"}
"""

# (marker comment, what the message says), in the order of the file.
EXPECTED = [
    ("# bad protocol", "protocol 'tcpp' is not tcp, udp, icmp, icmpv6, all or 0-255"),
    ("# outside the VPC", "subnet 10.9.1.0/24 is not inside its VPC's CIDR 10.0.0.0/16"),
    ("# overlaps", "subnet 10.0.1.128/25 overlaps subnet 'inside' (10.0.1.0/24) in the same VPC"),
    ("# host bits", "'10.0.2.1/24' has host bits set; the network is 10.0.2.0/24"),
    ("# lifecycle order", "STANDARD_IA at day 120 must come after GLACIER at day 90"),
    ("# bucket name", "bucket name 'Archive_Bucket' may hold only lowercase letters"),
    ("# unused attribute", "attributes declares 'email', which no key of the table"),
    ("# desired > max", "desired_capacity 3 is outside min_size 1 to max_size 2"),
    ("# cycle", "dependency cycle: a -> b -> a"),
    ("# bad port", "port 99999 is outside 0-65535"),
    ("# unknown reference", "reference ${vpcc.id} names 'vpcc', which is not a resource"),
    ("# entry field", "unknown field 'depend_on'"),
]


def errors_of(path: Path) -> list[ConfigError]:
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load_stack(path)
    error = caught.value
    return error.errors if isinstance(error, ConfigErrors) else [error]


def described(error: ConfigError) -> str:
    return f"{error.location.path if error.location else ''}: {error.message}"


def line_of(text: str, marker: str) -> int:
    [line] = [n for n, content in enumerate(text.splitlines(), 1) if marker in content]
    return line


def test_field_and_cross_resource_errors_are_reported_together_once_each_in_file_order(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(MIXED)
    found = [(e.location.line if e.location else None, e.message) for e in errors_of(path)]
    assert len(found) == len(EXPECTED), "\n".join(message for _, message in found)
    for (line, message), (marker, says) in zip(found, EXPECTED, strict=True):
        assert says in message
        assert line == line_of(MIXED, marker), message


def test_field_errors_alone_bring_no_cross_resource_errors_with_them(tmp_path: Path) -> None:
    # The VPC's block is too big, the route table's route names nothing it can route to and
    # the gateway's vpc_id is a number: valid, the subnets would be inside, not overlapping,
    # and public, so the NAT gateway would be fine. None of that may be reported as broken.
    text = """\
stack: fields
region: us-west-2
resources:
  vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.0.0.0/8}}
  igw: {type: aws.ec2.internet_gateway, properties: {vpc_id: [1]}}
  public:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}
  routes:
    type: aws.ec2.route_table
    properties:
      vpc_id: ${vpc.id}
      routes: [{destination_cidr_block: 0.0.0.0/0, gateway_id: "${igw.id}", nat_gateway_id: x}]
      subnet_ids: ["${public.id}"]
  eip: {type: aws.ec2.eip}
  nat:
    type: aws.ec2.nat_gateway
    properties: {subnet_id: "${public.id}", allocation_id: "${eip.id}"}
"""
    path = tmp_path / "fields.yaml"
    path.write_text(text)
    found = [(e.location.path if e.location else "", e.message) for e in errors_of(path)]
    assert [where.split(".properties")[0] for where, _ in found] == [
        "resources.vpc",
        "resources.igw",
        "resources.routes",
    ], found
    # The same stack with only the route table broken by an unknown type: still no word on
    # the NAT gateway, whose subnet that route table may have made public.
    path.write_text(
        text.replace("type: aws.ec2.route_table", "type: aws.ec2.routetable")
        .replace("10.0.0.0/8", "10.0.0.0/16")
        .replace("vpc_id: [1]", "vpc_id: ${vpc.id}")
    )
    [error] = errors_of(path)
    assert error.message == "unknown resource type 'aws.ec2.routetable'"


def _valid_stacks() -> list[Path]:
    """The example stacks, and one of the types they do not use."""
    return [
        *sorted((REPO / "stacks").glob("*.yaml")),
        Path(__file__).parent / "stacks" / "other-types.yaml",
    ]


# Changes the `resources:` mapping of a rendered stack file around one logical id.
Breakage = Callable[[dict[str, Any], str], None]


def _unknown_property(resources: dict[str, Any], victim: str) -> None:
    entry = resources[victim]
    entry["properties"] = {**(entry.get("properties") or {}), "not_a_property": 1}


def _unknown_type(resources: dict[str, Any], victim: str) -> None:
    resources[victim]["type"] += "_typo"


def _bad_region(resources: dict[str, Any], victim: str) -> None:
    resources[victim]["region"] = "nowhere"


def _renamed(resources: dict[str, Any], victim: str) -> None:
    renamed = {f"{k}_renamed" if k == victim else k: v for k, v in resources.items()}
    resources.clear()
    resources.update(renamed)


def each_resource_broken(
    monkeypatch: pytest.MonkeyPatch, breaks: Breakage
) -> Iterator[tuple[str, list[str]]]:
    """(what was broken, the errors found) for each resource of every valid stack here, in
    turn; at the end, every resource type must have been broken somewhere. Each stack is
    rendered once: its YAML document, changed, is validated again and again."""
    original = loader.build_stack
    rendered: list[tuple[YamlDocument, tuple[Any, ...], dict[str, Any]]] = []

    def keep(document: YamlDocument, *args: Any, **kwargs: Any) -> Stack:
        rendered.append((document, args, kwargs))
        return original(document, *args, **kwargs)

    monkeypatch.setattr(loader, "build_stack", keep)
    covered: set[str] = set()
    for path in _valid_stacks():
        stack = load_stack(path)
        covered |= {resource.type for resource in stack.resources.values()}
        document, args, kwargs = rendered.pop()
        for victim in stack.resources:
            data = copy.deepcopy(document.data)
            breaks(data["resources"], victim)
            try:
                original(dataclasses.replace(document, data=data), *args, **kwargs)
                found = []  # a resource nothing refers to may well be renamed
            except ConfigErrors as errors:
                found = [described(error) for error in errors.errors]
            yield f"{path.name}, {victim}", found
    assert covered == set(RESOURCE_TYPES), "a type no stack here declares is not exercised"


BREAKAGES: dict[str, tuple[Breakage, str]] = {
    "unknown property": (_unknown_property, "unknown field 'not_a_property'"),
    "unknown type": (_unknown_type, "unknown resource type"),
    "bad resource entry": (_bad_region, "String should match pattern"),
}


@pytest.mark.parametrize("breakage", sorted(BREAKAGES))
def test_a_failed_resource_gives_its_own_error_and_no_other(
    monkeypatch: pytest.MonkeyPatch, breakage: str
) -> None:
    """Each resource of every valid stack, broken in turn: every type's checks then run with a
    failed neighbour, and may neither crash nor blame the resources that are still fine."""
    breaks, says = BREAKAGES[breakage]
    for broken, found in each_resource_broken(monkeypatch, breaks):
        victim = broken.split(", ")[1]
        assert len(found) == 1, f"{broken} broken:\n" + "\n".join(found)
        assert found[0].startswith(f"resources.{victim}"), found[0]
        assert says in found[0]


def test_references_to_a_renamed_resource_are_the_only_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """References that name no resource: the checks must take them for what they are (errors
    the loader reports), never for literal values they judge, nor for missing resources."""
    for broken, found in each_resource_broken(monkeypatch, _renamed):
        victim = broken.split(", ")[1]
        for error in found:
            assert f"names '{victim}', which is not a resource" in error, f"{broken}: {error}"
