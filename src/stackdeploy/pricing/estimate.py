"""The cost of a plan, from the price table: what it creates, what it destroys, and what the
stack runs before and after it. Pure: properties in, figures out, no AWS call."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from stackdeploy.plan.types import Action, Plan, ResourceChange
from stackdeploy.pricing import compute_rules, data_rules
from stackdeploy.pricing.model import (
    CostSummary,
    NotEstimated,
    PlanCost,
    PriceInfo,
    ResourceCost,
    Why,
)
from stackdeploy.pricing.neighbours import Neighbours, RunningResource
from stackdeploy.pricing.pricer import Pricer
from stackdeploy.pricing.table import PriceTable, shipped_price_table

Rule = Callable[[Pricer], None]

RULES: dict[str, Rule] = {
    "aws.ec2.instance": compute_rules.price_instance,
    "aws.autoscaling.group": compute_rules.price_autoscaling_group,
    "aws.ec2.eip": compute_rules.price_elastic_ip,
    "aws.ec2.nat_gateway": compute_rules.price_nat_gateway,
    "aws.elbv2.load_balancer": compute_rules.price_application_load_balancer,
    "aws.elb.load_balancer": compute_rules.price_classic_load_balancer,
    "aws.rds.db_instance": data_rules.price_db_instance,
    "aws.rds.db_replica": data_rules.price_db_replica,
    "aws.dynamodb.table": data_rules.price_dynamodb_table,
    "aws.s3.bucket": data_rules.price_bucket,
    "aws.kms.key": data_rules.price_kms_key,
}

# Types AWS does not bill for by themselves (traffic through them is data transfer, named
# separately). A launch template costs nothing: its instances are priced with their group.
FREE_TYPES = frozenset(
    {
        "aws.ec2.vpc",
        "aws.ec2.subnet",
        "aws.ec2.internet_gateway",
        "aws.ec2.route_table",
        "aws.ec2.security_group",
        "aws.ec2.security_group_rule",
        "aws.ec2.key_pair",
        "aws.ec2.launch_template",
        "aws.elbv2.target_group",
        "aws.elbv2.listener",
        "aws.elbv2.listener_rule",
        "aws.iam.role",
        "aws.iam.instance_profile",
        "aws.rds.db_subnet_group",
        "aws.rds.db_parameter_group",
    }
)


def price_resource(
    resource: RunningResource, neighbours: Neighbours, table: PriceTable
) -> ResourceCost:
    if resource.type in FREE_TYPES:
        return ResourceCost(resource.address, resource.type, resource.region)
    pricer = Pricer(resource, neighbours, table)
    rule = RULES.get(resource.type)
    if rule is None:  # never silently free: a type without a rule is named
        pricer.not_estimated.append(
            NotEstimated("its charges", Why.NO_RULE, f"no pricing rule for {resource.type}")
        )
    else:
        rule(pricer)
    return pricer.result()


def estimate_resources(
    resources: Iterable[RunningResource],
    table: PriceTable | None = None,
    neighbours: Neighbours | None = None,
) -> CostSummary:
    """The cost of these resources; `neighbours` are what their references may point to
    (by default, the resources themselves)."""
    table = table or shipped_price_table()
    chosen = sorted(resources, key=lambda resource: resource.address)
    around = neighbours if neighbours is not None else Neighbours(chosen)
    return CostSummary(tuple(price_resource(resource, around, table) for resource in chosen))


def price_info(table: PriceTable) -> PriceInfo:
    return PriceInfo(table.as_of, table.source, table.currency, table.hours_per_month)


def _running(change: ResourceChange, properties: Mapping[str, Any]) -> RunningResource:
    return RunningResource(
        change.address,
        change.type,
        change.region,
        properties,
        change.physical_id,
        change.depends_on,
    )


def _sides(
    plan: Plan,
) -> tuple[dict[str, RunningResource], dict[str, RunningResource]]:
    """Every resource as it runs before the plan, and once it is applied."""
    before: dict[str, RunningResource] = {}
    after: dict[str, RunningResource] = {}
    for change in plan.changes:
        # An unchanged resource may carry only one side; it is the same on both.
        old = change.before if change.before is not None else change.after
        new = change.after if change.after is not None else change.before
        if change.action is not Action.CREATE and old is not None:
            before[change.address] = _running(change, old)
        if change.action is not Action.DELETE and new is not None:
            after[change.address] = _running(change, new)
    return before, after


def estimate_plan(plan: Plan, table: PriceTable | None = None) -> PlanCost:
    table = table or shipped_price_table()
    before, after = _sides(plan)
    around_before, around_after = Neighbours(before.values()), Neighbours(after.values())

    def side(
        running: dict[str, RunningResource], around: Neighbours, actions: Collection[Action]
    ) -> CostSummary:
        chosen = [
            running[change.address]
            for change in plan.changes
            if change.action in actions and change.address in running
        ]
        return estimate_resources(chosen, table, around)

    return PlanCost(
        prices=price_info(table),
        created=side(after, around_after, {Action.CREATE, Action.REPLACE}),
        destroyed=side(before, around_before, {Action.DELETE, Action.REPLACE}),
        updated_before=side(before, around_before, {Action.UPDATE}),
        updated_after=side(after, around_after, {Action.UPDATE}),
        current=estimate_resources(before.values(), table, around_before),
        applied=estimate_resources(after.values(), table, around_after),
    )
