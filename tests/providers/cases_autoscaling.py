"""Contract cases for the autoscaling family."""

from __future__ import annotations

from typing import Any

from tests.providers.harness import ContractCase, Prerequisites


def _group(p: Prerequisites) -> dict[str, Any]:
    return {
        "launch_template_id": p.launch_template_id(),
        "subnet_ids": [p.subnet_id(), p.subnet_id("10.20.2.0/24", zone="b")],
        "min_size": 1,
        "max_size": 3,
        "desired_capacity": 2,
        "target_group_arns": [p.target_group_arn()],
        "wait_for_capacity": True,
        "tags": {"role": "web"},
    }


def _resized(p: Prerequisites, props: dict[str, Any]) -> dict[str, Any]:
    # Everything moto updates faithfully in one go (it ignores DefaultCooldown on update;
    # test_autoscaling_group.py covers what is sent for that).
    return {
        **props,
        "min_size": 2,
        "max_size": 4,
        "desired_capacity": 4,
        "launch_template_version": "$Latest",
        "subnet_ids": [p.subnet_id("10.20.2.0/24", zone="b")],
        "health_check_type": "ELB",
        "health_check_grace_period": 120,
        "target_group_arns": [p.target_group_arn("contract-tg2")],
        "tags": {"role": "api", "team": "platform"},
    }


AUTOSCALING_GROUP = ContractCase(
    "aws.autoscaling.group",
    properties=_group,
    in_place_change=_resized,
    replacing_change=lambda p, props: {**props, "name": "contract-renamed"},
)

# desired_capacity left to AWS: never diffed, and the group starts at min_size.
UNMANAGED_CAPACITY = ContractCase(
    "aws.autoscaling.group",
    id="aws.autoscaling.group[unmanaged-capacity]",
    properties=lambda p: {
        "launch_template_id": p.launch_template_id(),
        "subnet_ids": [p.subnet_id()],
        "min_size": 0,
        "max_size": 2,
        "force_delete": True,
    },
    in_place_change=lambda p, props: {**props, "min_size": 1, "max_size": 3},
    replacing_change=lambda p, props: {**props, "name": "contract-other"},
)

CASES = [AUTOSCALING_GROUP, UNMANAGED_CAPACITY]
