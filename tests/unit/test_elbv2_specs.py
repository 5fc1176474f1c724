"""Application load balancer specs: validation, canonical forms and cross-resource checks,
without AWS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from stackdeploy.config.loader import load_stack
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.stack import Stack

VPC = {"type": "aws.ec2.vpc", "properties": {"cidr_block": "10.0.0.0/16"}}


def _subnet(cidr: str, zone: str | None) -> dict[str, Any]:
    properties = {"vpc_id": "${vpc.id}", "cidr_block": cidr}
    if zone:
        properties["availability_zone"] = f"us-west-2{zone}"
    return {"type": "aws.ec2.subnet", "properties": properties}


NETWORK = {
    "vpc": VPC,
    "a": _subnet("10.0.1.0/24", "a"),
    "a2": _subnet("10.0.2.0/24", "a"),
    "b": _subnet("10.0.3.0/24", "b"),
    "anywhere": _subnet("10.0.4.0/24", None),
}
TG = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/web/0123456789abcdef"
FORWARD = {"type": "forward", "target_group_arn": TG}


def _alb(**properties: Any) -> dict[str, Any]:
    return {
        "type": "aws.elbv2.load_balancer",
        "properties": {"subnet_ids": ["${a.id}", "${b.id}"], **properties},
    }


def _listener(**properties: Any) -> dict[str, Any]:
    base = {"load_balancer_arn": "${alb.arn}", "port": 80, "default_action": FORWARD}
    return {"type": "aws.elbv2.listener", "properties": {**base, **properties}}


def _rule(**properties: Any) -> dict[str, Any]:
    base = {
        "listener_arn": "${http.arn}",
        "priority": 10,
        "conditions": [{"path_patterns": ["/api/*"]}],
        "action": FORWARD,
    }
    return {"type": "aws.elbv2.listener_rule", "properties": {**base, **properties}}


def _target_group(**properties: Any) -> dict[str, Any]:
    return {
        "type": "aws.elbv2.target_group",
        "properties": {"port": 80, "vpc_id": "${vpc.id}", **properties},
    }


def load(tmp_path: Path, resources: dict[str, Any], stack: str = "shop") -> Stack:
    path = tmp_path / "stack.yaml"
    # JSON is YAML; the references stay plain strings.
    path.write_text(json.dumps({"stack": stack, "region": "us-west-2", "resources": resources}))
    return load_stack(path)


def problems(tmp_path: Path, resources: dict[str, Any], stack: str = "shop") -> list[str]:
    with pytest.raises((ConfigError, ConfigErrors)) as caught:
        load(tmp_path, resources, stack)
    error = caught.value
    found = error.errors if isinstance(error, ConfigErrors) else [error]
    return [f"{e.location.path if e.location else ''}: {e.message}" for e in found]


# -- load balancer ----------------------------------------------------------------------------


def test_load_balancer_defaults_and_generated_name(tmp_path: Path) -> None:
    stack = load(tmp_path, {**NETWORK, "web_lb": _alb()})
    props = stack.resources["web_lb"].properties
    assert props["name"] == "shop-web-lb"  # underscores become hyphens
    assert (props["scheme"], props["ip_address_type"], props["idle_timeout"]) == (
        "internet-facing",
        "ipv4",
        60,
    )
    assert props["deletion_protection"] is False
    assert props["security_group_ids"] is None  # left to AWS: the VPC's default group


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x" * 33, "at most 32"),
        ("web_lb", "letters, digits and hyphens"),
        ("-web", "begin or end with a hyphen"),
        ("internal-web", "cannot begin with 'internal-'"),
    ],
)
def test_load_balancer_names_aws_rejects(tmp_path: Path, name: str, message: str) -> None:
    [problem] = problems(tmp_path, {**NETWORK, "alb": _alb(name=name)})
    assert problem.startswith("resources.alb.properties.name")
    assert message in problem


def test_a_generated_name_aws_would_reject_asks_for_an_explicit_one(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, {**NETWORK, "web-": _alb()})
    assert "cannot begin or end with a hyphen" in problem


def test_names_are_unique_per_region(tmp_path: Path) -> None:
    resources = {**NETWORK, "one": _alb(name="web"), "two": _alb(name="WEB")}
    [problem] = problems(tmp_path, resources)
    assert "'one' already has the name 'WEB'" in problem


def test_subnets_in_two_zones_one_each(tmp_path: Path) -> None:
    [one] = problems(tmp_path, {**NETWORK, "alb": _alb(subnet_ids=["${a.id}"])})
    assert "at least two subnets" in one
    [same_zone] = problems(
        tmp_path, {**NETWORK, "alb": _alb(subnet_ids=["${a.id}", "${a2.id}"])}
    )  # one error, not also "one per zone": the second zone is what is missing
    assert "at least two different availability zones; subnets a and a2 are only in" in same_zone
    [doubled] = problems(
        tmp_path, {**NETWORK, "alb": _alb(subnet_ids=["${a.id}", "${a2.id}", "${b.id}"])}
    )
    assert "subnets a and a2 are in the same zone" in doubled
    assert "one subnet per availability zone" in doubled
    # A zone AWS picks, or a subnet from outside the stack: only AWS can tell.
    load(tmp_path, {**NETWORK, "alb": _alb(subnet_ids=["${a.id}", "${anywhere.id}"])})
    load(tmp_path, {**NETWORK, "alb": _alb(subnet_ids=["${a.id}", "subnet-0abc"])})


def test_delete_note_warns_about_protection() -> None:
    from stackdeploy.specs.elbv2.load_balancer import LOAD_BALANCER

    assert LOAD_BALANCER.delete_note({"deletion_protection": False}) is None
    assert "deletion_protection: false" in (
        LOAD_BALANCER.delete_note({"deletion_protection": True}) or ""
    )


# -- target group -----------------------------------------------------------------------------


def test_target_group_canonical_form_fills_what_aws_fills(tmp_path: Path) -> None:
    targets = [{"id": "i-0123456789abcdef0"}, {"id": "i-0fedcba9876543210", "port": 8080}]
    resources = {
        **NETWORK,
        "web": _target_group(protocol="https", health_check={"port": 8443}, targets=targets),
    }
    props = load(tmp_path, resources).resources["web"].properties
    assert props["protocol"] == "HTTPS"
    assert props["health_check"] == {
        "protocol": "HTTPS",
        "path": "/",
        "port": "8443",
        "interval": 30,
        "timeout": 5,
        "healthy_threshold": 5,
        "unhealthy_threshold": 2,
        "matcher": "200",
    }
    assert props["targets"] == [
        {"id": "i-0123456789abcdef0", "port": 80},
        {"id": "i-0fedcba9876543210", "port": 8080},
    ]
    assert props["deregistration_delay"] == 300


def test_targets_left_out_are_not_managed(tmp_path: Path) -> None:
    props = load(tmp_path, {**NETWORK, "web": _target_group()}).resources["web"].properties
    assert props["targets"] is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"health_check": {"interval": 5, "timeout": 5}}, "smaller than interval"),
        ({"health_check": {"matcher": "ok"}}, "not HTTP codes"),
        ({"health_check": {"matcher": "100"}}, "not HTTP codes"),
        ({"health_check": {"path": "health"}}, "must start with '/'"),
        ({"targets": [{"id": "10.0.1.5"}]}, "not an instance id"),
        ({"target_type": "ip", "targets": [{"id": "i-0abc"}]}, "not an IP address"),
        ({"targets": [{"id": "i-0abc"}, {"id": "i-0abc"}]}, "listed twice"),
        ({"deregistration_delay": 4000}, "must be at most 3600, got 4000"),
        ({"name": "web--tg_"}, "letters, digits and hyphens"),
    ],
)
def test_target_group_settings_aws_rejects(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    found = problems(tmp_path, {**NETWORK, "web": _target_group(**changes)})
    assert any(message in p for p in found), found


# -- listeners and actions --------------------------------------------------------------------


def test_actions_take_aws_defaults_and_spellings(tmp_path: Path) -> None:
    redirect = {
        "type": "redirect",
        "redirect": {"protocol": "https", "port": 443, "status_code": "HTTP_301"},
    }
    fixed = {"type": "fixed-response", "fixed_response": {"status_code": 503}}
    resources = {
        **NETWORK,
        "alb": _alb(),
        "http": _listener(default_action=redirect),
        "down": _listener(port=8080, default_action=fixed),
    }
    stack = load(tmp_path, resources)
    assert stack.resources["http"].properties["default_action"] == {
        "type": "redirect",
        "redirect": {
            "protocol": "HTTPS",
            "port": "443",
            "host": "#{host}",
            "path": "/#{path}",
            "query": "#{query}",
            "status_code": "HTTP_301",
        },
    }
    assert stack.resources["down"].properties["default_action"]["fixed_response"] == {
        "status_code": "503",
        "content_type": "text/plain",
        "message_body": None,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"protocol": "HTTPS"}, "needs certificate_arn"),
        ({"certificate_arn": "arn:aws:acm:us-west-2:1:certificate/x"}, "HTTPS listeners only"),
        ({"ssl_policy": "ELBSecurityPolicy-2016-08"}, "HTTPS listeners only"),
        (
            {"default_action": {"type": "redirect", "redirect": {"status_code": "HTTP_302"}}},
            "points back at the original URL",
        ),
        (
            {"default_action": {"type": "fixed-response", "fixed_response": {"status_code": 302}}},
            "not a 2XX, 4XX or 5XX",
        ),
        (
            {"default_action": {"type": "authenticate-oidc"}},
            "does not match any of the expected tags",
        ),
        (
            {
                "protocol": "HTTPS",
                "certificate_arn": "arn:aws:acm:us-west-2:1:certificate/x",
                "default_action": {
                    "type": "redirect",
                    "redirect": {"protocol": "HTTP", "status_code": "HTTP_301"},
                },
            },
            "does not redirect HTTPS to HTTP",
        ),
    ],
)
def test_listener_settings_aws_rejects(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    found = problems(tmp_path, {**NETWORK, "alb": _alb(), "http": _listener(**changes)})
    assert any(message in p for p in found), found


def test_one_listener_per_port_and_references_of_the_right_type(tmp_path: Path) -> None:
    resources = {
        **NETWORK,
        "alb": _alb(),
        "web": _target_group(),
        "http": _listener(default_action={"type": "forward", "target_group_arn": "${web.arn}"}),
        "again": _listener(),
        "odd": _listener(port=81, load_balancer_arn="${web.arn}"),
        "wrong": _listener(
            port=82, default_action={"type": "forward", "target_group_arn": "${alb.arn}"}
        ),
    }
    found = problems(tmp_path, resources)
    assert any("listener 'http' already listens on port 80" in p for p in found), found
    assert any("load_balancer_arn refers to 'web'" in p for p in found), found
    assert any("target_group_arn refers to 'alb'" in p for p in found), found


# -- listener rules ---------------------------------------------------------------------------


def test_rule_conditions_keep_only_their_match(tmp_path: Path) -> None:
    conditions = [
        {"path_patterns": ["/api/*"]},
        {"http_header": {"name": "X-Env", "values": ["beta"]}},
        {"http_request_methods": ["get"]},
    ]
    resources = {**NETWORK, "alb": _alb(), "http": _listener(), "api": _rule(conditions=conditions)}
    props = load(tmp_path, resources).resources["api"].properties
    assert props["conditions"] == [
        {"path_patterns": ["/api/*"]},
        {"http_header": {"name": "X-Env", "values": ["beta"]}},
        {"http_request_methods": ["GET"]},
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"conditions": []}, "needs at least 1 item, got 0"),
        ({"conditions": [{}]}, "exactly one of"),
        ({"conditions": [{"path_patterns": ["/a"], "host_headers": ["b"]}]}, "exactly one of"),
        (
            {"conditions": [{"path_patterns": ["/a"]}, {"path_patterns": ["/b"]}]},
            "at most one path_patterns condition",
        ),
        (
            {"conditions": [{"path_patterns": ["/1", "/2", "/3", "/4", "/5", "/6"]}]},
            "6 condition values",
        ),
        ({"conditions": [{"source_ips": ["10.0.0.1/8"]}]}, "host bits set"),
        ({"priority": 0}, "must be at least 1, got 0"),
    ],
)
def test_rule_settings_aws_rejects(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    resources = {**NETWORK, "alb": _alb(), "http": _listener(), "api": _rule(**changes)}
    found = problems(tmp_path, resources)
    assert any(message in p for p in found), found


def test_priorities_are_unique_per_listener(tmp_path: Path) -> None:
    resources = {
        **NETWORK,
        "alb": _alb(),
        "http": _listener(),
        "admin": _listener(port=8080),
        "api": _rule(),
        "same": _rule(conditions=[{"host_headers": ["a.example.com"]}]),
        "elsewhere": _rule(listener_arn="${admin.arn}"),
    }
    [problem] = problems(tmp_path, resources)
    assert "rule 'api' already has priority 10" in problem
