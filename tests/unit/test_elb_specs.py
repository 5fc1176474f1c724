"""Classic Load Balancer specs: AWS's validation rules and the canonical form, without AWS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from stackdeploy.config.loader import canonical_properties, load_stack
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.graph.build import build_graph
from stackdeploy.plan.diff import diff_properties
from stackdeploy.specs.elb.load_balancer import CLASSIC_LOAD_BALANCER as LB

HTTP = {"protocol": "HTTP", "port": 80, "instance_port": 8080}


def canonical(logical_id: str = "web", stack: str = "shop", **props: Any) -> dict[str, Any]:
    raw = {"subnet_ids": ["subnet-1"], "listeners": [HTTP], **props}
    return canonical_properties(LB, raw, stack, logical_id, {})


def problem(**props: Any) -> str:
    with pytest.raises(ValidationError) as raised:
        canonical(**props)
    return str(raised.value)


def test_defaults_and_canonical_form() -> None:
    props = canonical(
        listeners=[
            {"protocol": "ssl", "port": 443, "instance_port": 22, "ssl_certificate_id": "arn:c"},
            {"protocol": "http", "port": 80, "instance_port": 8080},
        ],
        health_check={"target": "http:8080/health"},
    )
    assert props["name"] == "shop-web"
    assert props["scheme"] == "internet-facing"
    assert props["listeners"] == [  # sorted by port, protocols in capitals, defaults filled
        {
            "protocol": "HTTP",
            "port": 80,
            "instance_protocol": "HTTP",
            "instance_port": 8080,
            "ssl_certificate_id": None,
        },
        {
            "protocol": "SSL",
            "port": 443,
            "instance_protocol": "TCP",
            "instance_port": 22,
            "ssl_certificate_id": "arn:c",
        },
    ]
    assert props["health_check"] == {
        "target": "HTTP:8080/health",
        "interval": 30,
        "timeout": 5,
        "healthy_threshold": 10,
        "unhealthy_threshold": 2,
    }
    assert (props["cross_zone"], props["connection_draining"]) == (True, True)
    assert (props["connection_draining_timeout"], props["idle_timeout"]) == (300, 60)
    # Not managed unless given: AWS's default group, registrations made elsewhere.
    assert props["security_group_ids"] is None
    assert props["instance_ids"] is None


def test_draining_timeout_is_not_managed_without_draining() -> None:
    props = canonical(connection_draining=False)
    assert props["connection_draining_timeout"] is None
    live = {**props, "connection_draining_timeout": 300}
    assert diff_properties(LB, props, live) == []
    assert "applies only with connection_draining" in problem(
        connection_draining=False, connection_draining_timeout=60
    )


def test_listener_order_and_id_order_never_diff() -> None:
    tcp = {"protocol": "TCP", "port": 22, "instance_port": 22}
    desired = canonical(listeners=[HTTP, tcp], subnet_ids=["subnet-1", "subnet-2"])
    live = canonical(listeners=[tcp, HTTP], subnet_ids=["subnet-2", "subnet-1"])
    live["listeners"].reverse()
    assert diff_properties(LB, desired, live) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a" * 33, "at most 32"),
        ("-web", "cannot begin or end with a hyphen"),
        ("web-", "cannot begin or end with a hyphen"),
        ("web_lb", "letters, digits and hyphens"),
        ("web.lb", "letters, digits and hyphens"),
    ],
)
def test_invalid_names(name: str, message: str) -> None:
    assert message in problem(name=name)


def test_valid_names() -> None:
    for name in ("a", "a" * 32, "Web-LB-2", "${names.lb}"):
        assert canonical(name=name)["name"] == name


@pytest.mark.parametrize(
    ("listeners", "message"),
    [
        ([], "at least 1"),
        ([HTTP, {**HTTP, "instance_port": 81}], "two listeners use port 80"),
        ([{"protocol": "HTTPS", "port": 443, "instance_port": 80}], "needs ssl_certificate_id"),
        ([{"protocol": "SSL", "port": 443, "instance_port": 80}], "needs ssl_certificate_id"),
        ([{**HTTP, "ssl_certificate_id": "arn:c"}], "not HTTP"),
        ([{**HTTP, "instance_protocol": "TCP"}], "other layer"),
        ([{**HTTP, "protocol": "UDP"}], "literal_error"),
        ([{**HTTP, "port": 0}], "greater than or equal to 1"),
        ([{**HTTP, "instance_port": 65536}], "less than or equal to 65535"),
        (
            [
                {**HTTP, "instance_protocol": "HTTP"},
                {**HTTP, "port": 81, "instance_protocol": "HTTPS"},
            ],
            "mix secure (HTTPS/SSL) and plain",
        ),
    ],
)
def test_invalid_listeners(listeners: list[dict[str, Any]], message: str) -> None:
    assert message in problem(listeners=listeners)


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({"target": "HTTP:80"}, "needs a path"),
        ({"target": "TCP:22/health"}, "takes no path"),
        ({"target": "UDP:53"}, "not HTTP, HTTPS, TCP or SSL"),
        ({"target": "HTTP:99999/"}, "outside 1-65535"),
        ({"target": "port 80"}, "not PROTOCOL:PORT"),
        ({"target": "TCP:22", "interval": 5, "timeout": 5}, "must be shorter than its interval"),
        ({"target": "TCP:22", "healthy_threshold": 11}, "less than or equal to 10"),
        ({"target": "TCP:22", "interval": 301}, "less than or equal to 300"),
    ],
)
def test_invalid_health_checks(check: dict[str, Any], message: str) -> None:
    assert message in problem(health_check=check)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"subnet_ids": []}, "at least 1"),
        ({"security_group_ids": []}, "at least 1"),
        ({"subnet_ids": ["subnet-1", "subnet-1"]}, "lists subnet-1 more than once"),
        ({"instance_ids": ["i-1", "i-1"]}, "lists i-1 more than once"),
        ({"scheme": "public"}, "internet-facing"),
        ({"idle_timeout": 4001}, "less than or equal to 4000"),
        ({"connection_draining_timeout": 3601}, "less than or equal to 3600"),
        ({"availability_zones": ["us-west-2a"]}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_properties(props: dict[str, Any], message: str) -> None:
    assert message in problem(**props)


def test_declarations() -> None:
    assert LB.create_only == {"name", "scheme"}
    assert {"subnet_ids", "security_group_ids", "listeners", "instance_ids"} <= LB.unordered
    assert LB.create_after == {"aws.ec2.internet_gateway"}
    assert LB.name_property == "name"
    assert LB.name_max_length == 32
    assert set(LB.attributes) == {"id", "name", "dns_name", "canonical_hosted_zone_id"}


STACK = """\
stack: shop
region: us-west-2
resources:
  vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.0.0.0/16}}
  other_vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.1.0.0/16}}
  igw: {type: aws.ec2.internet_gateway, properties: {vpc_id: "${vpc.id}"}}
  a1:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24, availability_zone: us-west-2a}
  a2:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.2.0/24, availability_zone: us-west-2a}
  b:
    type: aws.ec2.subnet
    properties: {vpc_id: "${other_vpc.id}", cidr_block: 10.1.1.0/24, availability_zone: us-west-2b}
  web_:
    type: aws.elb.load_balancer
    properties:
      subnet_ids: [SUBNETS]
      security_group_ids: ["${a1.id}"]
      listeners: [{protocol: HTTP, port: 80, instance_port: 80}]
"""


def _load(tmp_path: Path, subnets: str) -> list[str]:
    path = tmp_path / "stack.yaml"
    path.write_text(STACK.replace("SUBNETS", subnets))
    with pytest.raises((ConfigError, ConfigErrors)) as raised:
        load_stack(path)
    error = raised.value
    return [e.message for e in (error.errors if isinstance(error, ConfigErrors) else [error])]


def test_stack_checks(tmp_path: Path) -> None:
    messages = _load(tmp_path, '"${a1.id}", "${a2.id}", "${b.id}"')
    assert any("default name of this load balancer is not valid" in m for m in messages)
    assert any("security_group_ids refers to 'a1', a aws.ec2.subnet" in m for m in messages)
    assert any("'a1' and 'a2' are both in us-west-2a" in m for m in messages)
    assert any("subnets belong to different VPCs" in m for m in messages)


def test_a_valid_stack_orders_the_load_balancer_after_the_internet_gateway(
    tmp_path: Path,
) -> None:
    path = tmp_path / "stack.yaml"
    text = STACK.replace("SUBNETS", '"${a1.id}"').replace("web_:", "web:")
    path.write_text(text.replace('      security_group_ids: ["${a1.id}"]\n', ""))
    stack = load_stack(path)
    assert stack.resources["web"].properties["name"] == "shop-web"
    assert build_graph(stack).has_edge("igw", "web")
