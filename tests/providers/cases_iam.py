"""Contract cases for the iam family: IAM roles, instance profiles, EC2 key pairs.

The subjects keep their generated names (`contract-subject`): that is how `read_owned` finds
IAM resources, which IAM cannot list by tag.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from typing import Any

from tests.providers.harness import ContractCase, Prerequisites

# Test keys generated for these tests only (no private half is kept anywhere).
ED25519_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDiIP/SkiFsTX/mwmSQWgJZL4qQZ70+MUtdqbg1Jjg4L me@host"
)
OTHER_ED25519_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFRNMtkE+fTOBYu7yihHfa8Lk8np7eNUKkV6q6X9H9qH other@host"
)
RSA_KEY = (
    "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDHJl5jXSs6r1ov1gIFIy9RuoeflRuXwmLYf4K3Q+Em6PEbDIk"
    "EciezyGLyQgnQB7Jq/n7Xy7PMyslxghmjEjCF3pxGacxAUGunw8ef/IlwNo0XITOtpdDGwZaWoEhmCoPU1m04hM"
    "18+wYdscHCuEHUwCBDYhBBEwXpz4Ohl3DZmMP7zIenA6BKLdh2tnHPKWgu/zya2M8AzGKd3RcWkfc+HrK0YlqtD"
    "eH9+lRf6rC5NmNROZ2aRUSX18EIqzQ5j8R4GDLhgApC2pCpb4xWY8sDdnVsUDR2p63dcX5RHDE07o3+A+4s8BvS"
    "ZrfuUgZUQOstIx0k/WlDk5Mjy/oOmCQd me@host"
)

EC2_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

READ_LOGS = {
    "Statement": {
        "Effect": "Allow",
        "Action": ["logs:GetLogEvents", "logs:DescribeLogStreams"],
        "Resource": "arn:aws:logs:us-west-2:123456789012:log-group:/app/*",
    }
}


def _role_properties(p: Prerequisites) -> dict[str, Any]:
    return {
        "description": "web servers",
        # JSON text and a mapping both work; the provider compares them by meaning.
        "assume_role_policy": (
            '{"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", '
            '"Principal": {"Service": ["ec2.amazonaws.com"]}}]}'
        ),
        "managed_policy_arns": [p.iam_policy_arn("list-buckets")],
        "inline_policies": {"read-logs": READ_LOGS},
        "tags": {"team": "web"},
    }


def _role_changed(p: Prerequisites, props: dict[str, Any]) -> dict[str, Any]:
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["ec2.amazonaws.com", "ecs-tasks.amazonaws.com"]},
                "Action": ["sts:AssumeRole"],
            }
        ]
    }
    return {
        **props,
        "description": "",
        "assume_role_policy": trust,
        "managed_policy_arns": [p.iam_policy_arn("list-buckets-2")],
        "inline_policies": {
            "write-logs": {
                "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]
            }
        },
        "max_session_duration": 7200,
        "tags": {"team": "platform"},
    }


ROLE = ContractCase(
    "aws.iam.role",
    properties=_role_properties,
    in_place_change=_role_changed,
    replacing_change=lambda p, props: {**props, "path": "/app/"},
)

INSTANCE_PROFILE = ContractCase(
    "aws.iam.instance_profile",
    properties=lambda p: {"role": p.iam_role_name("prereq-web"), "tags": {"tier": "web"}},
    # Swapping the role is remove + add, in place.
    in_place_change=lambda p, props: {
        **props,
        "role": p.iam_role_name("prereq-batch"),
        "tags": {"tier": "batch"},
    },
    replacing_change=lambda p, props: {**props, "path": "/app/"},
)

IMPORTED_KEY_PAIR = ContractCase(
    "aws.ec2.key_pair",
    id="aws.ec2.key_pair[imported]",
    properties=lambda p: {"public_key": ED25519_KEY, "tags": {"owner": "ops"}},
    in_place_change=lambda p, props: {**props, "tags": {"owner": "dev"}},
    replacing_change=lambda p, props: {**props, "public_key": OTHER_ED25519_KEY},
)


def _private_key_path(p: Prerequisites) -> str:
    """A fresh file in a private temporary folder, one per test (the key never exists twice)."""

    def make() -> str:
        folder = tempfile.mkdtemp(prefix="stackdeploy-contract-keys-")
        atexit.register(shutil.rmtree, folder, True)
        return f"{folder}/subject.pem"

    return p._once("private-key-path", make)


CREATED_KEY_PAIR = ContractCase(
    "aws.ec2.key_pair",
    id="aws.ec2.key_pair[created]",
    properties=lambda p: {"private_key_path": _private_key_path(p), "key_type": "ed25519"},
    in_place_change=lambda p, props: {**props, "tags": {"purpose": "bastion"}},
    replacing_change=lambda p, props: {**props, "key_type": "rsa"},
)

CASES = [ROLE, INSTANCE_PROFILE, IMPORTED_KEY_PAIR, CREATED_KEY_PAIR]
