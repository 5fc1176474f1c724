"""The cost of the example stacks' plans, computed here by hand from the shipped price table's
own numbers: the estimator must arrive at exactly the same figures."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from stackdeploy.config.loader import LoadOptions, load_stack
from stackdeploy.model.live import LiveState
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Plan
from stackdeploy.pricing.estimate import estimate_plan
from stackdeploy.pricing.model import CostSummary, Why
from stackdeploy.pricing.table import shipped_price_table
from stackdeploy.report.plan_view import plain_plan

REPO = Path(__file__).resolve().parents[2]
TABLE = shipped_price_table()
HOURS = TABLE.hours_per_month


def known(price: Decimal | None) -> Decimal:
    assert price is not None, "the table has this price"
    return price


def _plan(path: Path, *variables: str, region: str | None = None) -> Plan:
    options = LoadOptions(cli_vars=variables, region_override=region)
    return make_plan(load_stack(path, options), LiveState(), account="123456789012")


def _charges(summary: CostSummary, address: str) -> dict[str, Decimal]:
    """item -> quantity of one resource's charges."""
    resource = next(r for r in summary.resources if r.address == address)
    return {charge.item: charge.quantity for charge in resource.charges}


def _not_estimated(summary: CostSummary) -> set[tuple[str | None, str]]:
    return {(address, item.item) for address, item in summary.not_estimated()}


def test_the_three_tier_plan_costs_what_the_table_says() -> None:
    plan = _plan(REPO / "stacks" / "three-tier.yaml")
    cost = estimate_plan(plan)
    prices = TABLE.regions["us-west-2"]
    ipv4 = known(prices.public_ipv4_address_hour)
    # By hand: the ALB and its address in each of its 2 zones; the group's 2 t3.micro
    # instances (desired capacity) with the address each gets in a public subnet; the
    # MariaDB db.t3.micro, Single-AZ, with 20 GB of gp3 and its password in Secrets Manager.
    # The sessions table is on demand and the bucket is usage-priced: not in the figure.
    hourly = (
        known(prices.application_load_balancer_hour)
        + 2 * ipv4
        + 2 * prices.ec2_instance_hour["t3.micro"]
        + 2 * ipv4
        + prices.rds_instance_hour["mariadb"]["db.t3.micro"]
    )
    by_hand = hourly * HOURS + 20 * prices.rds_storage_gb_month["gp3"]
    by_hand += known(prices.secrets_manager_secret_month)
    assert cost.created.monthly == by_hand
    assert cost.created.hourly.quantize(Decimal("1e-12")) == (by_hand / HOURS).quantize(
        Decimal("1e-12")
    )
    assert cost.applied.monthly == by_hand  # everything the stack runs is new
    assert not cost.destroyed.resources
    assert _charges(cost.created, "web_group") == {"t3.micro instance": 2, "public IPv4 address": 2}
    assert _charges(cost.created, "alb")["public IPv4 address"] == 2
    assert _not_estimated(cost.created) >= {
        ("assets", "S3 storage, requests and data transfer"),
        ("sessions", "on-demand DynamoDB reads and writes"),
        ("alb", "load balancer capacity units"),
        ("web_group", "EBS root volume"),
        (None, "data transfer out to the internet and between zones and regions"),
    }
    assert {"vpc", "public_a", "web_template", "http"} <= {r.address for r in cost.created.free()}
    hourly_text = f"+${(by_hand / HOURS).quantize(Decimal('0.0001'))}/h"
    monthly_text = f"(+${by_hand.quantize(Decimal('0.01'))}/month)"
    assert f"Cost: {hourly_text} {monthly_text} for what this plan creates" in plain_plan(plan)


def test_a_bigger_three_tier_adds_nat_multi_az_and_provisioned_capacity(
    tmp_path: Path,
) -> None:
    """Every kind of charge the table holds, in another region, counted by hand."""
    shutil.copytree(REPO / "templates", tmp_path / "templates")
    text = (REPO / "stacks" / "three-tier.yaml").read_text()
    text = text.replace(
        "      allocated_storage: 20\n", "      allocated_storage: 50\n      multi_az: true\n"
    )
    text = text.replace(
        "      hash_key: session_id\n",
        "      hash_key: session_id\n      read_capacity: 10\n      write_capacity: 4\n",
    )
    nat = (
        "  nat_ip:\n    type: aws.ec2.eip\n    properties: {}\n"
        "  nat:\n    type: aws.ec2.nat_gateway\n"
        '    properties: {subnet_id: "${public_a.id}", allocation_id: "${nat_ip.id}"}\n\n'
    )
    text = text.replace("  # -- security groups", nat + "  # -- security groups")
    (tmp_path / "stacks").mkdir()
    path = tmp_path / "stacks" / "bigger.yaml"
    path.write_text(text)
    variables = ("capacity=3", "instance_type=t3.small", "db_class=db.t3.small")
    cost = estimate_plan(_plan(path, *variables, region="us-east-1"))

    prices = TABLE.regions["us-east-1"]
    ipv4 = known(prices.public_ipv4_address_hour)
    hourly = (
        known(prices.application_load_balancer_hour)
        + 2 * ipv4  # the ALB, one per zone
        + 3 * prices.ec2_instance_hour["t3.small"]
        + 3 * ipv4  # each instance in a public subnet
        + 2 * prices.rds_instance_hour["mariadb"]["db.t3.small"]  # Multi-AZ: and a standby
        + known(prices.nat_gateway_hour)
        + ipv4  # the NAT gateway's Elastic IP
        + 10 * known(prices.dynamodb_read_capacity_unit_hour)
        + 4 * known(prices.dynamodb_write_capacity_unit_hour)
    )
    monthly = hourly * HOURS + 2 * 50 * prices.rds_storage_gb_month["gp3"]
    monthly += known(prices.secrets_manager_secret_month)
    assert cost.created.monthly == monthly
    assert _charges(cost.created, "db")["gp3 DB storage"] == 100  # 50 GB on each of two
    assert _charges(cost.created, "nat") == {"NAT gateway": 1}  # its address is the EIP's
    assert _charges(cost.created, "sessions") == {
        "provisioned read capacity": 10,
        "provisioned write capacity": 4,
    }
    assert ("sessions", "on-demand DynamoDB reads and writes") not in _not_estimated(cost.created)


@pytest.mark.parametrize("stack_file", sorted((REPO / "stacks").glob("*.yaml")))
def test_every_example_prices_its_instances_and_databases(stack_file: Path) -> None:
    """The table holds a price for every instance type and DB class the examples use, in
    their region: nothing an example runs is left out for want of a price."""
    cost = estimate_plan(_plan(stack_file))
    missing = [
        (address, item.detail)
        for address, item in cost.created.not_estimated()
        if item.why in (Why.NO_PRICE, Why.NO_RULE)
    ]
    assert missing == []


def test_the_table_says_when_and_where_its_prices_come_from() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", TABLE.as_of)
    assert "AWS" in TABLE.source
    assert "on-demand" in TABLE.source
    assert TABLE.currency == "USD"
    assert {"us-east-1", "us-east-2", "us-west-2"} <= set(TABLE.regions)
