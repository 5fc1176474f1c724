"""Contract cases for the elb family: the Classic Load Balancer.

moto ignores a listener's InstanceProtocol (it reads back the front-end protocol), so the
cases keep both protocols equal; AWS's own behaviour is covered in test_classic_load_balancer.
"""

from __future__ import annotations

from typing import Any

from tests.providers.harness import ContractCase, Prerequisites

# moto does not check certificates given as IAM server-certificate ARNs.
CERTIFICATE = "arn:aws:iam::123456789012:server-certificate/web"
RENEWED_CERTIFICATE = "arn:aws:iam::123456789012:server-certificate/web-2027"


def _web(p: Prerequisites) -> dict[str, Any]:
    p.igw_id()  # an internet-facing load balancer needs the VPC's internet gateway
    return {
        "subnet_ids": [p.subnet_id()],
        "security_group_ids": [p.security_group_id()],
        "listeners": [{"protocol": "HTTP", "port": 80, "instance_port": 8080}],
        "health_check": {"target": "HTTP:8080/health", "interval": 15},
        "instance_ids": [p.running_instance_id()],
        "tags": {"tier": "web"},
    }


def _web_changed(p: Prerequisites, props: dict[str, Any]) -> dict[str, Any]:
    return {
        **props,
        "subnet_ids": [p.subnet_id(), p.subnet_id("10.20.2.0/24", zone="b")],
        "security_group_ids": [p.security_group_id("web")],
        "listeners": [
            {"protocol": "HTTP", "port": 80, "instance_port": 8081},
            {"protocol": "TCP", "port": 8443, "instance_port": 8443},
        ],
        "health_check": {"target": "TCP:8443", "interval": 20, "timeout": 4},
        "cross_zone": False,
        "connection_draining": False,
        "idle_timeout": 120,
        "instance_ids": [p.running_instance_id("other")],
        "tags": {"tier": "web", "team": "edge"},
    }


WEB = ContractCase(
    "aws.elb.load_balancer",
    properties=_web,
    in_place_change=_web_changed,
    replacing_change=lambda p, props: {**props, "scheme": "internal"},
)


def _internal_tls(p: Prerequisites) -> dict[str, Any]:
    return {
        "name": "internal-tls",
        "scheme": "internal",
        "subnet_ids": [p.subnet_id()],
        "listeners": [
            {
                "protocol": "HTTPS",
                "port": 443,
                "instance_protocol": "HTTPS",
                "instance_port": 8443,
                "ssl_certificate_id": CERTIFICATE,
            }
        ],
        "connection_draining_timeout": 30,
    }


def _renewed(p: Prerequisites, props: dict[str, Any]) -> dict[str, Any]:
    listener = {**props["listeners"][0], "ssl_certificate_id": RENEWED_CERTIFICATE}
    return {**props, "listeners": [listener]}


INTERNAL_TLS = ContractCase(
    "aws.elb.load_balancer",
    id="aws.elb.load_balancer[internal-tls]",
    properties=_internal_tls,
    # The certificate is swapped on the live listener.
    in_place_change=_renewed,
    replacing_change=lambda p, props: {**props, "name": "internal-tls-2"},
)

CASES = [WEB, INTERNAL_TLS]
