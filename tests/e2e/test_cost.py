"""`deploy cost` and the plan's cost line, through the CLI, before and after an apply and for
a destroy, on the example network with its NAT gateway and Elastic IP."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from stackdeploy.pricing.table import shipped_price_table
from tests.e2e.conftest import Cli

pytestmark = pytest.mark.e2e

STACK = "stacks/vpc-public-private.yaml"


def _by_hand() -> tuple[Decimal, Decimal]:
    """The NAT gateway's hour and its Elastic IP's address, from the table (us-west-2)."""
    table = shipped_price_table()
    prices = table.regions["us-west-2"]
    assert prices.nat_gateway_hour is not None and prices.public_ipv4_address_hour is not None
    hourly = prices.nat_gateway_hour + prices.public_ipv4_address_hour
    return hourly, hourly * table.hours_per_month


def test_cost_of_a_stack_before_and_after_apply_and_what_destroy_stops(
    cli: Cli, workdir: Path
) -> None:
    hourly, monthly = _by_hand()
    per_hour, per_month = f"${hourly:.4f}/h", f"${monthly:.2f}/month"
    as_of = shipped_price_table().as_of

    planned = cli("plan", STACK)
    assert planned.code == 0, planned.stderr
    assert f"Cost: +{per_hour} (+{per_month}) for what this plan creates" in planned.stdout
    assert "Usage-priced, not estimated: nat_gateway (NAT gateway data processed)" in (
        planned.stdout
    )
    assert f"as of {as_of}" in planned.stdout

    estimate = cli("cost", STACK, "--json")
    assert estimate.code == 0, estimate.stderr
    document = estimate.json()
    assert document["prices"]["as_of"] == as_of
    assert document["once_applied"]["hourly"] == f"{hourly:.6f}"
    assert document["once_applied"]["monthly"] == f"{monthly:.4f}"
    assert document["running_now"]["hourly"] == "0.000000"  # nothing exists yet
    priced = {r["address"] for r in document["once_applied"]["resources"]}
    assert priced == {"nat_gateway", "nat_eip"}

    assert cli("apply", STACK, "--auto-approve").code == 0

    applied = cli("cost", STACK)
    assert applied.code == 0, applied.stderr
    assert f"Total: {per_hour} ({per_month})" in applied.stdout
    # Read back from AWS, the running resources cost the same as planned.
    assert f"Running now: {per_hour} ({per_month})." in applied.stdout
    assert "  nat_eip: " not in applied.stdout  # an Elastic IP is fully priced
    assert "  nat_gateway: NAT gateway data processed (usage-priced, per GB)" in applied.stdout
    assert "No charge: internet_gateway, nat_sg, private_routes" in applied.stdout

    unchanged = cli("plan", STACK)
    assert "No changes." in unchanged.stdout
    assert "Cost:" not in unchanged.stdout  # nothing starts or stops paying

    destroying = cli("plan", STACK, "--destroy")
    assert f"Cost: -{per_hour} (-{per_month}) for what it destroys." in destroying.stdout
    stopped = cli("plan", STACK, "--destroy", "--json").json()["cost"]["destroyed"]
    assert stopped["hourly"] == f"{hourly:.6f}"

    assert cli("destroy", STACK, "--auto-approve").code == 0
    assert cli("cost", STACK, "--json").json()["running_now"]["hourly"] == "0.000000"
