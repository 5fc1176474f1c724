"""Cost estimates as JSON, for `plan --json` (its `cost` key) and `cost --json`.

Amounts are decimal strings (as Infracost writes them), so a script never meets a float's
rounding: hourly figures to 6 places, monthly to 4, unit prices exactly as the table has them.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from stackdeploy.pricing.model import (
    Charge,
    CostSummary,
    NotEstimated,
    PlanCost,
    PriceInfo,
    ResourceCost,
)

HOURLY_PLACES = 6
MONTHLY_PLACES = 4
COST_FORMAT_VERSION = "1"


def amount(value: Decimal, places: int) -> str:
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{rounded + 0:f}"  # + 0 turns a negative zero into zero


def hourly_and_monthly(hourly: Decimal, monthly: Decimal) -> dict[str, str]:
    return {"hourly": amount(hourly, HOURLY_PLACES), "monthly": amount(monthly, MONTHLY_PLACES)}


def prices_to_public(prices: PriceInfo) -> dict[str, Any]:
    return {
        "as_of": prices.as_of,
        "source": prices.source,
        "currency": prices.currency,
        "hours_per_month": prices.hours_per_month,
    }


def _charge(charge: Charge) -> dict[str, Any]:
    return {
        "item": charge.item,
        "quantity": f"{charge.quantity:f}",
        "unit": charge.unit,
        "unit_price": f"{charge.unit_price:f}",
        "per": charge.per.value,
        **hourly_and_monthly(charge.hourly, charge.monthly),
        "note": charge.note,
    }


def _not_estimated(address: str | None, item: NotEstimated) -> dict[str, Any]:
    return {
        "address": address,
        "item": item.item,
        "reason": item.why.name.lower(),
        "detail": item.reason(),
    }


def _resource(resource: ResourceCost) -> dict[str, Any]:
    return {
        "address": resource.address,
        "type": resource.type,
        "region": resource.region,
        **hourly_and_monthly(resource.hourly, resource.monthly),
        "charges": [_charge(charge) for charge in resource.charges],
    }


def summary_to_public(summary: CostSummary) -> dict[str, Any]:
    """Totals, every resource with a charge, the free ones by address, what is left out."""
    return {
        **hourly_and_monthly(summary.hourly, summary.monthly),
        "resources": [_resource(resource) for resource in summary.priced()],
        "free": [resource.address for resource in summary.free()],
        "not_estimated": [
            _not_estimated(address, item) for address, item in summary.not_estimated()
        ],
    }


def plan_cost_to_public(cost: PlanCost) -> dict[str, Any]:
    """The `cost` key of `plan --json`: what the plan starts and stops paying."""
    return {
        "prices": prices_to_public(cost.prices),
        "created": summary_to_public(cost.created),
        "destroyed": summary_to_public(cost.destroyed),
        "updates": hourly_and_monthly(cost.update_hourly, cost.update_monthly),
        "after_apply": hourly_and_monthly(cost.applied.hourly, cost.applied.monthly),
    }


def stack_cost_to_public(
    *,
    stack: str,
    region: str,
    account: str,
    destroy: bool,
    targets: Sequence[str],
    cost: PlanCost,
) -> dict[str, Any]:
    """`deploy cost --json`: the stack once applied, itemized, and what the plan changes."""
    return {
        "format_version": COST_FORMAT_VERSION,
        "stack": stack,
        "region": region,
        "account": account,
        "destroy": destroy,
        "targets": list(targets),  # empty: the whole stack
        "prices": prices_to_public(cost.prices),
        "once_applied": summary_to_public(cost.applied),
        "running_now": hourly_and_monthly(cost.current.hourly, cost.current.monthly),
        "destroyed": summary_to_public(cost.destroyed),
        "created": hourly_and_monthly(cost.created.hourly, cost.created.monthly),
        "updates": hourly_and_monthly(cost.update_hourly, cost.update_monthly),
    }
