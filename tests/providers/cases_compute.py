"""Contract cases for the compute family: instances and launch templates."""

from __future__ import annotations

from typing import Any

from tests.providers.harness import ContractCase, Prerequisites

USER_DATA = "#!/bin/bash\nyum install -y httpd\nsystemctl enable --now httpd\n"


def _instance(p: Prerequisites) -> dict[str, Any]:
    return {
        "image_id": p.image_id(),
        "instance_type": "t3.micro",
        "subnet_id": p.subnet_id(),
        "security_group_ids": [p.security_group_id("web")],
        "key_name": p.key_name(),
        "iam_instance_profile": p.instance_profile(),
        "user_data": USER_DATA,
        "root_volume": {"size_gb": 12},
        "tags": {"Name": "web"},
    }


INSTANCE = ContractCase(
    "aws.ec2.instance",
    properties=_instance,
    in_place_change=lambda p, props: {
        **props,
        "instance_type": "t3.small",
        "security_group_ids": [p.security_group_id("web"), p.security_group_id("admin")],
        "iam_instance_profile": p.instance_profile("other-profile"),
        "metadata_options": {"http_tokens": "optional", "http_put_response_hop_limit": 1},
        "source_dest_check": False,
        "disable_api_termination": True,
        "tags": {"Name": "web", "tier": "front"},
    },
    replacing_change=lambda p, props: {**props, "user_data": USER_DATA + "echo again\n"},
)

PUBLIC_INSTANCE = ContractCase(
    "aws.ec2.instance",
    id="aws.ec2.instance[public]",
    properties=lambda p: {
        "image_id": p.image_id(),
        "instance_type": "t3.nano",
        "subnet_id": p.subnet_id(),
        "security_group_ids": [p.security_group_id("nat")],
        "associate_public_ip_address": True,
        "private_ip_address": "10.20.1.50",
        "source_dest_check": False,
        "wait": "status_ok",
    },
    in_place_change=lambda p, props: {**props, "source_dest_check": True, "tags": {"a": "b"}},
    replacing_change=lambda p, props: {**props, "associate_public_ip_address": False},
)


def _template(p: Prerequisites) -> dict[str, Any]:
    return {
        "image_id": p.image_id(),
        "instance_type": "t3.micro",
        "security_group_ids": [p.security_group_id("web")],
        "iam_instance_profile": p.instance_profile(),
        "key_name": p.key_name(),
        "user_data": USER_DATA,
        "root_volume": {"size_gb": 16, "volume_type": "gp2"},
        "instance_tags": {"Name": "web"},
        "tags": {"app": "web"},
    }


LAUNCH_TEMPLATE = ContractCase(
    "aws.ec2.launch_template",
    properties=_template,
    # A launch data change: a new default version with the full data.
    in_place_change=lambda p, props: {
        **props,
        "instance_type": "t3.small",
        "user_data": USER_DATA + "echo v2\n",
        "security_group_ids": [p.security_group_id("web"), p.security_group_id("admin")],
        "tags": {"app": "web", "v": "2"},
    },
    replacing_change=lambda p, props: {**props, "name": "renamed-template"},
)

MINIMAL_LAUNCH_TEMPLATE = ContractCase(
    "aws.ec2.launch_template",
    id="aws.ec2.launch_template[minimal]",
    properties=lambda p: {"image_id": p.image_id()},
    in_place_change=lambda p, props: {
        **props,
        "instance_tags": {"Name": "worker"},
        "metadata_options": {"http_endpoint": "disabled"},
    },
    replacing_change=lambda p, props: {**props, "name": "other-name"},
)

CASES = [INSTANCE, PUBLIC_INSTANCE, LAUNCH_TEMPLATE, MINIMAL_LAUNCH_TEMPLATE]
