"""The EC2 networking family: NAT gateway time model, VPC/subnet pending, dependency rules,
security group rules."""

from __future__ import annotations

from tests.strict import ec2_pending, ec2_rules
from tests.strict.core import StrictAws
from tests.strict.ec2_dependencies import Ec2Dependencies
from tests.strict.ec2_nat import NatGateways


def register(strict: StrictAws) -> None:
    nats = NatGateways(strict)
    # The dependency rules ask the NAT time model whether a gateway still holds its subnet,
    # Elastic IP or internet route, so they share one NatGateways.
    Ec2Dependencies(strict, nats)
    ec2_pending.register(strict)
    ec2_rules.register(strict)
