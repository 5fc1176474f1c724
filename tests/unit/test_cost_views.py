"""How an estimate is shown: the cost line of a plan (text, markdown, JSON) and `deploy
cost`'s itemized view."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from stackdeploy.config.loader import LoadOptions, load_stack
from stackdeploy.model.live import LiveState
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.serialize import plan_from_file, plan_to_file
from stackdeploy.plan.types import Action, Plan, Reason, ResourceChange
from stackdeploy.pricing.estimate import estimate_plan
from stackdeploy.pricing.table import shipped_price_table
from stackdeploy.report.cost_view import stack_cost_lines
from stackdeploy.report.markdown import plan_markdown
from stackdeploy.report.plan_json import dumps_public
from stackdeploy.report.plan_view import plain_plan

REPO = Path(__file__).resolve().parents[2]
TABLE = shipped_price_table()
EAST = TABLE.regions["us-east-1"]


def _network_plan() -> Plan:
    """A NAT gateway with its Elastic IP in a new VPC, in us-east-1."""

    def create(address: str, type_name: str, after: dict[str, object]) -> ResourceChange:
        return ResourceChange(
            address, type_name, "us-east-1", Action.CREATE, (Reason.NEW,), after=after
        )

    return Plan(
        "net",
        "us-east-1",
        "123456789012",
        False,
        (
            create("ip", "aws.ec2.eip", {"domain": "vpc", "public_ipv4_pool": None}),
            create("nat", "aws.ec2.nat_gateway", {"connectivity_type": "public"}),
            create("vpc", "aws.ec2.vpc", {"cidr_block": "10.0.0.0/16"}),
        ),
        source="net.yaml",
    )


def _by_hand() -> tuple[Decimal, Decimal]:
    assert EAST.nat_gateway_hour is not None and EAST.public_ipv4_address_hour is not None
    hourly = EAST.nat_gateway_hour + EAST.public_ipv4_address_hour
    return hourly, hourly * TABLE.hours_per_month


def test_the_plan_ends_with_its_cost_its_prices_date_and_what_is_left_out() -> None:
    hourly, monthly = _by_hand()
    text = plain_plan(_network_plan())
    tail = text.split("Plan: 3 to create, 0 to update, 0 to replace, 0 to destroy.\n")[1]
    cost, usage, prices = tail.splitlines()
    assert cost == (
        f"Cost: +${hourly:.4f}/h (+${monthly:.2f}/month) for what this plan creates; "
        f"once applied the stack costs ${hourly:.4f}/h (${monthly:.2f}/month)."
    )
    assert usage == (
        "  Usage-priced, not estimated: nat (NAT gateway data processed); "
        "data transfer out to the internet and between zones and regions."
    )
    assert f"as of {TABLE.as_of}" in prices
    assert prices.endswith("Itemized: deploy cost net.yaml")


def test_markdown_says_the_cost_once_above_the_details() -> None:
    hourly, monthly = _by_hand()
    markdown = plan_markdown(_network_plan())
    assert f"**Cost:** +${hourly:.4f}/h (+${monthly:.2f}/month) for what" in markdown
    assert markdown.count("Cost:") == 1  # the details below do not repeat it
    assert markdown.index("**Cost:**") < markdown.index("<details>")


def test_the_json_plan_holds_the_cost_as_exact_decimal_strings() -> None:
    hourly, monthly = _by_hand()
    first, second = dumps_public(_network_plan()), dumps_public(_network_plan())
    assert first == second
    cost = json.loads(first)["cost"]
    assert cost["prices"]["as_of"] == TABLE.as_of
    assert cost["prices"]["hours_per_month"] == TABLE.hours_per_month
    assert (cost["created"]["hourly"], cost["created"]["monthly"]) == (
        f"{hourly:.6f}",
        f"{monthly:.4f}",
    )
    assert cost["destroyed"]["resources"] == []
    nat = next(r for r in cost["created"]["resources"] if r["address"] == "nat")
    assert nat["charges"][0]["unit_price"] == f"{EAST.nat_gateway_hour}"
    assert cost["created"]["free"] == ["vpc"]
    assert {
        "address": "nat",
        "item": "NAT gateway data processed",
        "reason": "usage",
        "detail": "usage-priced, per GB",
    } in cost["created"]["not_estimated"]


def test_deploy_cost_itemizes_each_resource_and_totals() -> None:
    plan = _network_plan()
    hourly, monthly = _by_hand()
    lines = [
        "".join(part for part, _ in line) for line in stack_cost_lines(plan, estimate_plan(plan))
    ]
    assert lines[0] == "What stack net (us-east-1, account 123456789012) costs once applied:"
    assert (
        "      NAT gateway: 1 × $0.045/hour"
        "   # its public IPv4 address is billed with its Elastic IP" in lines
    )
    assert f"Total: ${hourly:.4f}/h (${monthly:.2f}/month)" in lines
    assert "No charge: vpc." in lines
    assert "  nat: NAT gateway data processed (usage-priced, per GB)" in lines
    assert lines[-1].startswith(f"Prices: AWS on-demand list prices as of {TABLE.as_of}")


def test_a_targeted_plan_prices_only_what_it_covers(tmp_path: Path) -> None:
    """With --target the plan holds the targets and what they need: its total is theirs,
    not the stack's, and it says so (also once saved and read back)."""
    stack = load_stack(REPO / "stacks" / "three-tier.yaml", LoadOptions())
    targeted = make_plan(stack, LiveState(), account="123456789012", targets=["db"])
    assert targeted.targets == ("db",)
    assert plan_from_file(json.loads(json.dumps(plan_to_file(targeted)))).targets == ("db",)
    prices = TABLE.regions["us-west-2"]
    assert prices.secrets_manager_secret_month is not None
    monthly = prices.rds_instance_hour["mariadb"]["db.t3.micro"] * TABLE.hours_per_month
    monthly += 20 * prices.rds_storage_gb_month["gp3"] + prices.secrets_manager_secret_month
    text = plain_plan(targeted)
    hourly = monthly / TABLE.hours_per_month
    expected = f"once applied, the targeted resources cost ${hourly:.4f}/h (${monthly:.2f}/month)."
    assert expected in text
    assert "the stack costs" not in text
    lines = stack_cost_lines(targeted, estimate_plan(targeted))
    assert "".join(part for part, _ in next(lines)).startswith(
        "What the targeted resources of stack devassoc-three-tier"
    )
