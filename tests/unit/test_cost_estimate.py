"""The estimator on hand-made plans: destroys, updates and replacements, values unknown until
apply, regions and types without a price, and references followed to their targets."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from stackdeploy.model.values import UNKNOWN
from stackdeploy.plan.types import Action, Plan, Reason, ResourceChange
from stackdeploy.pricing.estimate import FREE_TYPES, RULES, estimate_plan
from stackdeploy.pricing.model import CostSummary, NotEstimated, Why
from stackdeploy.pricing.table import parse_price_table, shipped_price_table
from stackdeploy.report.plan_view import plain_plan
from stackdeploy.specs.registry import RESOURCE_TYPES

TABLE = shipped_price_table()
EAST = TABLE.regions["us-east-1"]
HOURS = TABLE.hours_per_month


def _price(value: Decimal | None) -> Decimal:
    assert value is not None
    return value


IPV4 = _price(EAST.public_ipv4_address_hour)
CENTS = Decimal("1e-12")  # sums of monthly prices over 730 hours differ past 28 digits


def change(
    address: str,
    type_name: str,
    action: Action,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    region: str = "us-east-1",
    physical_id: str | None = None,
    depends_on: tuple[str, ...] = (),
) -> ResourceChange:
    return ResourceChange(
        address,
        type_name,
        region,
        action,
        (Reason.CHANGED,),
        physical_id=physical_id,
        before=before,
        after=after,
        depends_on=depends_on,
    )


def plan(*changes: ResourceChange, destroy: bool = False) -> Plan:
    return Plan("shop", "us-east-1", "123456789012", destroy, changes, source="shop.yaml")


def named(summary: CostSummary, address: str) -> tuple[NotEstimated, ...]:
    return next(r for r in summary.resources if r.address == address).not_estimated


def test_every_resource_type_has_a_pricing_rule_or_is_known_to_be_free() -> None:
    assert set(RESOURCE_TYPES) <= set(RULES) | FREE_TYPES
    assert not set(RULES) & FREE_TYPES


def test_a_misspelt_price_is_an_error_not_a_missing_price() -> None:
    text = '{"as_of": "2025-01", "source": "s", "currency": "USD", "hours_per_month": 730,'
    text += ' "rds_multi_az_factor": 2, "regions": {"us-east-1": {"nat_gateway_hours": 0.045}}}'
    with pytest.raises(ValidationError, match="nat_gateway_hours"):
        parse_price_table(text)


def test_a_destroy_stops_paying_what_the_stack_runs() -> None:
    nat = {"subnet_id": "subnet-1", "allocation_id": "eipalloc-1", "connectivity_type": "public"}
    destroying = plan(
        change("nat", "aws.ec2.nat_gateway", Action.DELETE, before=nat, physical_id="nat-1"),
        change("ip", "aws.ec2.eip", Action.DELETE, before={"domain": "vpc"}, physical_id="e-1"),
        change("vpc", "aws.ec2.vpc", Action.DELETE, before={}, physical_id="vpc-1"),
        destroy=True,
    )
    cost = estimate_plan(destroying)
    hourly = _price(EAST.nat_gateway_hour) + IPV4
    assert cost.destroyed.hourly == hourly
    assert cost.destroyed.monthly == hourly * HOURS
    assert cost.current.hourly == hourly
    assert not cost.created.resources
    assert not cost.applied.resources
    line = f"Cost: -${hourly:.4f}/h (-${hourly * HOURS:.2f}/month) for what it destroys."
    assert line in plain_plan(destroying)


def test_updates_and_replacements_count_both_sides() -> None:
    micro, large = EAST.ec2_instance_hour["t3.micro"], EAST.ec2_instance_hour["t3.large"]
    old = {"instance_type": "t3.micro", "associate_public_ip_address": False}
    resized = change(
        "web",
        "aws.ec2.instance",
        Action.UPDATE,
        before=old,
        after={**old, "instance_type": "t3.large"},
        physical_id="i-1",
    )
    replaced = change(
        "db",
        "aws.rds.db_instance",
        Action.REPLACE,
        before=_database("db.t3.micro", engine="mysql"),
        after=_database("db.t3.micro", engine="postgres"),
        physical_id="shop-db",
    )
    cost = estimate_plan(plan(resized, replaced))
    assert cost.update_hourly == large - micro
    assert (
        cost.created.resources[0].charges[0].unit_price
        == EAST.rds_instance_hour["postgres"]["db.t3.micro"]
    )
    assert (
        cost.destroyed.resources[0].charges[0].unit_price
        == EAST.rds_instance_hour["mysql"]["db.t3.micro"]
    )
    net = cost.created.hourly - cost.destroyed.hourly + cost.update_hourly
    assert (cost.applied.hourly - cost.current.hourly).quantize(CENTS) == net.quantize(CENTS)
    assert "from its updates" in plain_plan(plan(resized, replaced))


def _database(instance_class: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "engine": "mariadb",
        "instance_class": instance_class,
        "multi_az": False,
        "allocated_storage": 20,
        "storage_type": "gp2",
        "iops": None,
        "publicly_accessible": False,
        "master_password": {"env": "DB_PASSWORD"},
        **overrides,
    }


def test_values_unknown_until_apply_are_named_never_priced() -> None:
    unknown = plan(
        change("web", "aws.ec2.instance", Action.CREATE, after={"instance_type": UNKNOWN}),
        change(
            "group",
            "aws.autoscaling.group",
            Action.CREATE,
            after={"desired_capacity": UNKNOWN, "min_size": UNKNOWN, "subnet_ids": UNKNOWN},
        ),
        change("db", "aws.rds.db_instance", Action.CREATE, after=_database(UNKNOWN)),
        change("lb", "aws.elbv2.load_balancer", Action.CREATE, after={"scheme": "internet-facing"}),
        change("table", "aws.dynamodb.table", Action.CREATE, after={"billing_mode": UNKNOWN}),
        change("odd", "aws.ec2.instance", Action.CREATE, after={"root_volume": [UNKNOWN]}),
    )
    cost = estimate_plan(unknown)
    assert [c.item for r in cost.created.resources for c in r.charges] == [
        "gp2 DB storage",  # the database's storage is known, its class is not
        "application load balancer",  # the load balancer's own hour is known
    ]
    unknown_items = {
        (address, item.item)
        for address, item in cost.created.not_estimated()
        if item.why is Why.UNKNOWN
    }
    assert unknown_items >= {
        ("web", "instance hours"),
        ("group", "instance hours"),
        ("db", "DB instance"),
        ("lb", "public IPv4 addresses"),
        ("table", "DynamoDB capacity"),
        ("odd", "EBS root volume"),
    }
    assert "Cost: +$" in plain_plan(unknown)


def test_a_region_or_class_without_a_price_is_named_not_zero() -> None:
    assert "ap-south-1" not in TABLE.regions
    assert "db.t3.micro" not in TABLE.regions["us-west-1"].rds_instance_hour.get("mariadb", {})
    unpriced = plan(
        change(
            "web",
            "aws.ec2.instance",
            Action.CREATE,
            region="ap-south-1",
            after={"instance_type": "t3.micro", "associate_public_ip_address": True},
        ),
        change(
            "db",
            "aws.rds.db_instance",
            Action.CREATE,
            region="us-west-1",
            after=_database("db.t3.micro"),
        ),
    )
    cost = estimate_plan(unpriced)
    web = named(cost.created, "web")
    assert (
        NotEstimated(
            "t3.micro instance", Why.NO_PRICE, "the price table has no prices for ap-south-1"
        )
        in web
    )
    assert "public IPv4 address" in {item.item for item in web}
    db = named(cost.created, "db")
    assert (
        NotEstimated(
            "db.t3.micro DB instance (mariadb)",
            Why.NO_PRICE,
            "no price for db.t3.micro DB instance (mariadb) in us-west-1 in the price table",
        )
        in db
    )
    assert cost.created.resources[0].address == "db"
    assert not cost.created.resources[1].charges  # web: nothing counted as zero ...
    text = plain_plan(unpriced)  # ... and the plan says what it left out
    assert (
        "Not priced (no price in the table, or not known before apply): "
        "db (db.t3.micro DB instance (mariadb), gp2 DB storage); "
        "web (t3.micro instance, EBS root volume, public IPv4 address)."
    ) in text


def test_a_type_without_a_rule_is_named() -> None:
    cost = estimate_plan(plan(change("queue", "aws.sqs.queue", Action.CREATE, after={})))
    assert named(cost.created, "queue") == (
        NotEstimated("its charges", Why.NO_RULE, "no pricing rule for aws.sqs.queue"),
    )


def test_public_addresses_follow_the_subnet_by_id_or_by_dependency() -> None:
    subnet = {"map_public_ip_on_launch": True}
    running = plan(
        change(
            "public",
            "aws.ec2.subnet",
            Action.NOOP,
            before=subnet,
            after=subnet,
            physical_id="subnet-1",
        ),
        change("new_subnet", "aws.ec2.subnet", Action.CREATE, after=subnet),
        # in a subnet the stack has, by id
        change(
            "a",
            "aws.ec2.instance",
            Action.CREATE,
            after={"instance_type": "t3.micro", "subnet_id": "subnet-1"},
        ),
        # in a subnet the same plan creates, through its dependency
        change(
            "b",
            "aws.ec2.instance",
            Action.CREATE,
            depends_on=("new_subnet",),
            after={"instance_type": "t3.micro", "subnet_id": UNKNOWN},
        ),
        # in a subnet outside the stack: whether it gets an address cannot be told
        change(
            "c",
            "aws.ec2.instance",
            Action.CREATE,
            after={"instance_type": "t3.micro", "subnet_id": "subnet-elsewhere"},
        ),
    )
    cost = estimate_plan(running)
    addresses = {
        r.address: sum(c.quantity for c in r.charges if c.item == "public IPv4 address")
        for r in cost.created.resources
    }
    assert addresses == {"a": 1, "b": 1, "c": 0, "new_subnet": 0}
    assert any(item.item == "public IPv4 address" for item in named(cost.created, "c"))


def test_a_read_replica_takes_engine_and_storage_from_its_source() -> None:
    source = _database("db.t3.micro", allocated_storage=100)
    replica = {
        "source_db_instance": UNKNOWN,
        "instance_class": "db.t3.small",
        "multi_az": False,
        "allocated_storage": None,
        "storage_type": None,
    }
    cost = estimate_plan(
        plan(
            change("db", "aws.rds.db_instance", Action.CREATE, after=source),
            change(
                "copy",
                "aws.rds.db_replica",
                Action.CREATE,
                region="us-west-2",
                depends_on=("db",),
                after=replica,
            ),
        )
    )
    copy = next(r for r in cost.created.resources if r.address == "copy")
    west = TABLE.regions["us-west-2"]
    assert copy.hourly == west.rds_instance_hour["mariadb"]["db.t3.small"] + (
        100 * west.rds_storage_gb_month["gp2"] / HOURS
    )
    assert "replication data transfer between regions" in {i.item for i in copy.not_estimated}


def test_provisioned_capacity_adds_indexes_and_names_classes_without_a_price() -> None:
    table = {
        "billing_mode": "PROVISIONED",
        "read_capacity": 5,
        "write_capacity": 5,
        "table_class": "STANDARD",
        "global_secondary_indexes": [{"name": "by-email", "read_capacity": 3}],
    }
    infrequent = {**table, "table_class": "STANDARD_INFREQUENT_ACCESS"}
    cost = estimate_plan(
        plan(
            change("users", "aws.dynamodb.table", Action.CREATE, after=table),
            change("archive", "aws.dynamodb.table", Action.CREATE, after=infrequent),
        )
    )
    users = next(r for r in cost.created.resources if r.address == "users")
    reads, writes = users.charges
    assert (reads.quantity, writes.quantity) == (Decimal(8), Decimal(10))  # index: 5 writes
    assert reads.note == "table 5 + index by-email 3"
    assert users.hourly == 8 * _price(EAST.dynamodb_read_capacity_unit_hour) + 10 * _price(
        EAST.dynamodb_write_capacity_unit_hour
    )
    archive = next(r for r in cost.created.resources if r.address == "archive")
    assert not archive.charges
    assert archive.not_estimated[0] == NotEstimated(
        "provisioned capacity (STANDARD_INFREQUENT_ACCESS)",
        Why.NO_PRICE,
        "the table prices the STANDARD class only",
    )
