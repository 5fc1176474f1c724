"""Contract cases for the elbv2 family: application load balancer, target group, listener,
listener rule; and the fault injection its focused tests use.

moto checks a listener's certificate only in ModifyListener, so the HTTPS listener case
changes only its tags in place; certificate changes are covered in test_elbv2_listener.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.awsrequest import AWSResponse

from stackdeploy.aws.session import ClientFactory
from tests.providers.harness import REGION, ContractCase, Prerequisites

# moto does not look IAM server-certificate ARNs up when a listener is created.
CERTIFICATE = "arn:aws:iam::123456789012:server-certificate/web"


def _two_zones(p: Prerequisites) -> list[str]:
    return [p.subnet_id(), p.subnet_id("10.20.2.0/24", zone="b")]


def _load_balancer(p: Prerequisites) -> dict[str, Any]:
    p.igw_id()  # an internet-facing load balancer needs the VPC's internet gateway
    return {
        "subnet_ids": _two_zones(p),
        "security_group_ids": [p.security_group_id()],
        "tags": {"tier": "web"},
    }


LOAD_BALANCER = ContractCase(
    "aws.elbv2.load_balancer",
    properties=_load_balancer,
    in_place_change=lambda p, props: {
        **props,
        "subnet_ids": [p.subnet_id(), p.subnet_id("10.20.3.0/24", zone="c")],
        "security_group_ids": [p.security_group_id(), p.security_group_id("web")],
        "idle_timeout": 120,
        "tags": {"tier": "web", "team": "edge"},
    },
    replacing_change=lambda p, props: {**props, "scheme": "internal"},
)

INTERNAL_LOAD_BALANCER = ContractCase(
    "aws.elbv2.load_balancer",
    id="aws.elbv2.load_balancer[internal]",
    properties=lambda p: {
        "name": "contract-internal",
        "scheme": "internal",
        "subnet_ids": _two_zones(p),
        "idle_timeout": 300,
    },
    in_place_change=lambda p, props: {**props, "idle_timeout": 30, "ip_address_type": "dualstack"},
    replacing_change=lambda p, props: {**props, "name": "contract-internal-2"},
)


def _target_group(p: Prerequisites) -> dict[str, Any]:
    return {
        "port": 80,
        "vpc_id": p.vpc_id(),
        "health_check": {"path": "/health", "matcher": "200-299"},
        "targets": [{"id": p.running_instance_id()}],
        "tags": {"app": "web"},
    }


TARGET_GROUP = ContractCase(
    "aws.elbv2.target_group",
    properties=_target_group,
    in_place_change=lambda p, props: {
        **props,
        "health_check": {"path": "/ready", "interval": 10, "timeout": 4, "healthy_threshold": 3},
        "deregistration_delay": 30,
        "targets": [
            {"id": p.running_instance_id()},
            {"id": p.running_instance_id("b"), "port": 8080},
        ],
        "tags": {"app": "web", "team": "edge"},
    },
    # Only planned, never applied (a replacement needs a new name, see the replace note).
    replacing_change=lambda p, props: {**props, "port": 8080},
)

UNMANAGED_TARGETS = ContractCase(
    "aws.elbv2.target_group",
    id="aws.elbv2.target_group[ip, targets not managed]",
    properties=lambda p: {
        "name": "contract-ip",
        "protocol": "HTTPS",
        "port": 443,
        "vpc_id": p.vpc_id(),
        "target_type": "ip",
        "deregistration_delay": 0,
    },
    in_place_change=lambda p, props: {
        **props,
        "health_check": {"protocol": "HTTP", "port": 8080, "path": "/ping"},
    },
    # A fixed name must change with it: the new group is created before the old one goes.
    replacing_change=lambda p, props: {**props, "vpc_id": p.second_vpc_id(), "name": "ip-2"},
)

LISTENER = ContractCase(
    "aws.elbv2.listener",
    properties=lambda p: {
        "load_balancer_arn": p.load_balancer_arn(),
        "port": 80,
        "default_action": {"type": "forward", "target_group_arn": p.target_group_arn()},
        "tags": {"edge": "http"},
    },
    in_place_change=lambda p, props: {
        **props,
        "port": 8080,
        "default_action": {
            "type": "redirect",
            "redirect": {"protocol": "HTTPS", "port": 443, "status_code": "HTTP_301"},
        },
    },
    replacing_change=lambda p, props: {**props, "load_balancer_arn": p.load_balancer_arn("other")},
)

HTTPS_LISTENER = ContractCase(
    "aws.elbv2.listener",
    id="aws.elbv2.listener[https]",
    properties=lambda p: {
        "load_balancer_arn": p.load_balancer_arn(),
        "port": 443,
        "protocol": "HTTPS",
        "certificate_arn": CERTIFICATE,
        "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "default_action": {
            "type": "fixed-response",
            "fixed_response": {"status_code": 503, "message_body": "maintenance"},
        },
    },
    in_place_change=lambda p, props: {**props, "tags": {"tls": "1.3"}},
    replacing_change=lambda p, props: {**props, "load_balancer_arn": p.load_balancer_arn("other")},
)

LISTENER_RULE = ContractCase(
    "aws.elbv2.listener_rule",
    properties=lambda p: {
        "listener_arn": p.alb_listener_arn(),
        "priority": 10,
        "conditions": [{"path_patterns": ["/api/*"]}, {"host_headers": ["api.example.com"]}],
        "action": {"type": "forward", "target_group_arn": p.target_group_arn()},
        "tags": {"route": "api"},
    },
    in_place_change=lambda p, props: {
        **props,
        "priority": 20,
        "conditions": [
            {"path_patterns": ["/v2/*"]},
            {"http_header": {"name": "X-Env", "values": ["beta"]}},
            {"query_strings": [{"key": "debug", "value": "1"}, {"value": "trace"}]},
        ],
        "action": {
            "type": "fixed-response",
            "fixed_response": {"status_code": 418, "content_type": "application/json"},
        },
        "tags": {"route": "beta"},
    },
    replacing_change=lambda p, props: {**props, "listener_arn": p.alb_listener_arn(8080)},
)

CASES = [
    LOAD_BALANCER,
    INTERNAL_LOAD_BALANCER,
    TARGET_GROUP,
    UNMANAGED_TARGETS,
    LISTENER,
    HTTPS_LISTENER,
    LISTENER_RULE,
]


# -- fault injection for the focused tests (test_elbv2_*.py) ---------------------------------


def answer_error(
    clients: ClientFactory, operation: str, respond: Callable[[dict[str, Any]], str | None]
) -> None:
    """Answer ELB v2 `operation` with the error code `respond(params)` returns (None: let it
    through to moto), for AWS behaviour moto lacks."""

    def handler(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        code = respond(params["body"])
        if code is None:
            return None
        error = {"Code": code, "Message": f"{code} (injected by the test)"}
        return AWSResponse("", 400, {}, None), {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    clients.client("elbv2", REGION).meta.events.register_first(
        f"before-call.elbv2.{operation}", handler
    )


def fail_next(clients: ClientFactory, operation: str, code: str, times: int = 1) -> None:
    """Answer the next `times` calls of ELB v2 `operation` with `code`."""
    remaining = [times]

    def respond(_: dict[str, Any]) -> str | None:
        if remaining[0] == 0:
            return None
        remaining[0] -= 1
        return code

    answer_error(clients, operation, respond)


def rewrite(
    clients: ClientFactory, operation: str, change: Callable[[dict[str, Any]], None]
) -> None:
    """Edit every successful ELB v2 `operation` response the providers receive."""

    def handler(parsed: dict[str, Any], **_: Any) -> None:
        change(parsed)

    clients.client("elbv2", REGION).meta.events.register(f"after-call.elbv2.{operation}", handler)
