"""A new VPC or subnet is `pending` at first on AWS; moto makes it `available` at once.

CreateVpc and CreateSubnet answer `pending` (as AWS does), and the first `vpc_pending_polls`
describe calls that list the new resource report it `pending` too.
"""

from __future__ import annotations

from typing import Any

from tests.strict.core import AfterRule, Call, StrictAws
from tests.strict.transitions import TransitionClock, fake_states

# (create operation, its response key, describe operation, its list key, id key)
_KINDS = (
    ("CreateVpc", "Vpc", "DescribeVpcs", "Vpcs", "VpcId"),
    ("CreateSubnet", "Subnet", "DescribeSubnets", "Subnets", "SubnetId"),
)


def register(strict: StrictAws) -> None:
    clock = TransitionClock()
    for create, response_key, describe, items_key, id_key in _KINDS:
        strict.after("ec2", create, _starts_pending(strict, clock, response_key, id_key))
        fake_states(
            strict, clock, service="ec2", operation=describe, items_key=items_key, id_key=id_key
        )


def _starts_pending(
    strict: StrictAws, clock: TransitionClock, response_key: str, id_key: str
) -> AfterRule:
    def rule(call: Call, parsed: dict[str, Any]) -> None:
        created = parsed.get(response_key) or {}
        if id_key not in created:
            return
        clock.start(created[id_key], "pending", strict.vpc_pending_polls)
        created["State"] = clock.reported(created[id_key], str(created.get("State", "available")))

    return rule
