"""Cost estimates for people: the cost line under a plan, and `deploy cost`'s breakdown."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from stackdeploy.model.stack import BY_NAME
from stackdeploy.plan.types import Plan
from stackdeploy.pricing.model import (
    Charge,
    CostSummary,
    NotEstimated,
    Per,
    PlanCost,
    PriceInfo,
    Why,
)

Line = list[tuple[str, str]]  # (text, rich style) segments, as in plan_view

SMALLEST_HOURLY = Decimal("0.0001")


def dollars(value: Decimal, places: int, *, signed: bool = False) -> str:
    rounded = abs(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = ("-" if value < 0 else "+") if signed else ("-" if value < 0 else "")
    return f"{sign}${rounded:f}"


def per_hour(value: Decimal, *, signed: bool = False) -> str:
    # Six places for amounts that four would show as zero (one read capacity unit).
    places = 6 if 0 < abs(value) < SMALLEST_HOURLY else 4
    return dollars(value, places, signed=signed) + "/h"


def per_month(value: Decimal, *, signed: bool = False) -> str:
    return dollars(value, 2, signed=signed) + "/month"


def both(hourly: Decimal, monthly: Decimal, *, signed: bool = False) -> str:
    return f"{per_hour(hourly, signed=signed)} ({per_month(monthly, signed=signed)})"


def prices_sentence(prices: PriceInfo) -> str:
    return (
        f"Prices: AWS on-demand list prices as of {prices.as_of} ({prices.currency}, "
        f"{prices.hours_per_month} hours a month), shipped with stackdeploy; AWS may have "
        "changed them since."
    )


def charge_text(charge: Charge) -> str:
    unit = f" {charge.unit}" if charge.unit else ""
    per = f"{charge.unit}-{charge.per.value}" if charge.unit else charge.per.value
    return f"{charge.quantity:f}{unit} × ${charge.unit_price:f}/{per}"


def _plan_changes(cost: PlanCost, plan: Plan) -> list[str]:
    parts = []
    if cost.created.resources:
        parts.append(
            f"{both(cost.created.hourly, cost.created.monthly, signed=True)} "
            "for what this plan creates"
        )
    if cost.update_hourly or cost.update_monthly:
        parts.append(
            f"{both(cost.update_hourly, cost.update_monthly, signed=True)} from its updates"
        )
    if cost.destroyed.resources:
        stopped = both(-cost.destroyed.hourly, -cost.destroyed.monthly, signed=True)
        parts.append(f"{stopped} for what it destroys")
    applied = both(cost.applied.hourly, cost.applied.monthly)
    if plan.targets:  # the plan holds only the targets and what they need
        parts.append(f"once applied, the targeted resources cost {applied}")
    elif not plan.destroy:
        parts.append(f"once applied the stack costs {applied}")
    return parts


def _changing_not_estimated(cost: PlanCost) -> list[tuple[str | None, NotEstimated]]:
    """What the plan's changes leave out of the figures, each named once."""
    seen: list[tuple[str | None, NotEstimated]] = []
    for summary in (cost.created, cost.updated_after, cost.destroyed):
        for entry in summary.not_estimated():
            if entry not in seen:
                seen.append(entry)
    # By address (data transfer, named for no address, last), each in the rule's order.
    return sorted(seen, key=lambda entry: (entry[0] is None, entry[0] or ""))


def _by_address(entries: list[tuple[str | None, NotEstimated]]) -> str:
    items: dict[str | None, list[str]] = {}
    for address, item in entries:
        items.setdefault(address, []).append(item.item)
    return "; ".join(
        f"{address} ({', '.join(named)})" if address else ", ".join(named)
        for address, named in items.items()
    )


def not_estimated_sentences(entries: list[tuple[str | None, NotEstimated]]) -> list[str]:
    """Fixed charges without a price (or a value) first: the figure leaves them out."""
    unpriced = [entry for entry in entries if entry[1].why is not Why.USAGE]
    usage = [entry for entry in entries if entry[1].why is Why.USAGE]
    sentences = []
    if unpriced:
        sentences.append(
            "Not priced (no price in the table, or not known before apply): "
            f"{_by_address(unpriced)}."
        )
    if usage:
        sentences.append(f"Usage-priced, not estimated: {_by_address(usage)}.")
    return sentences


def plan_cost_lines(plan: Plan, cost: PlanCost) -> Iterator[Line]:
    """The cost line printed under a plan's summary."""
    yield [("Cost: ", "bold"), ("; ".join(_plan_changes(cost, plan)) + ".", "")]
    for sentence in not_estimated_sentences(_changing_not_estimated(cost)):
        style = "yellow" if sentence.startswith("Not priced") else "dim"
        yield [(f"  {sentence}", style)]
    # A stack destroyed by name has no file to cost; `deploy ls` prices what it runs.
    by_name = plan.source.startswith(BY_NAME)
    itemized = "deploy ls" if by_name else f"deploy cost {plan.source or '<stack file>'}"
    yield [(f"  {prices_sentence(cost.prices)} Itemized: {itemized}", "dim")]


def plan_cost_markdown(plan: Plan, cost: PlanCost) -> list[str]:
    lines = [f"**Cost:** {'; '.join(_plan_changes(cost, plan))}."]
    for sentence in not_estimated_sentences(_changing_not_estimated(cost)):
        lines += ["", sentence]
    return [*lines, "", f"_{prices_sentence(cost.prices)}_"]


def summary_lines(
    summary: CostSummary, stack_region: str, after_total: tuple[Line, ...] = ()
) -> Iterator[Line]:
    """Per resource: its charges, its total; then the total, free resources, the rest."""
    for resource in summary.priced():
        where = f", {resource.region}" if resource.region != stack_region else ""
        yield [
            (f"  {resource.address}", "bold"),
            (f" ({resource.type}{where})", "dim"),
            (f"  {both(resource.hourly, resource.monthly)}", ""),
        ]
        for charge in resource.charges:
            line: Line = [(f"      {charge.item}: {charge_text(charge)}", "")]
            if charge.per is Per.MONTH or charge.quantity != 1:
                line.append((f" = {both(charge.hourly, charge.monthly)}", "dim"))
            if charge.note:
                line.append((f"   # {charge.note}", "dim"))
            yield line
    yield []
    yield [("Total: ", "bold"), (both(summary.hourly, summary.monthly), "bold")]
    yield from after_total
    free = summary.free()
    if free:
        yield [(f"No charge: {', '.join(resource.address for resource in free)}.", "dim")]
    entries = summary.not_estimated()
    if entries:
        yield []
        yield [("Not estimated (named, never counted as zero):", "bold yellow")]
        for address, item in entries:
            name = f"{address}: " if address else ""
            yield [(f"  {name}{item.item}", ""), (f" ({item.reason()})", "dim")]


def stack_cost_lines(plan: Plan, cost: PlanCost) -> Iterator[Line]:
    """`deploy cost`: what the stack runs once the plan is applied (or, for a destroy, what
    destroying it stops paying), per resource and in total."""
    where = f" ({plan.region}, account {plan.account})"
    if plan.destroy:
        yield [("What destroying stack ", ""), (plan.stack, "bold"), (f"{where} stops paying:", "")]
        yield []
        yield from summary_lines(cost.destroyed, plan.region)
    else:
        whose = "What the targeted resources of stack " if plan.targets else "What stack "
        cost_verb = "cost" if plan.targets else "costs"
        yield [(whose, ""), (plan.stack, "bold"), (f"{where} {cost_verb} once applied:", "")]
        yield []
        now: tuple[Line, ...] = ()
        if cost.current.resources:  # some of it runs already
            now = ([(f"Running now: {both(cost.current.hourly, cost.current.monthly)}.", "")],)
        yield from summary_lines(cost.applied, plan.region, now)
    yield []
    yield [(prices_sentence(cost.prices), "dim")]
