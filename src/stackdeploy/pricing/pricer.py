"""What a pricing rule works with: one resource, its neighbours, the table, and the charges
and unestimated items it collects. Values a plan does not know yet (UNKNOWN) are never
priced: the rule names them instead."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stackdeploy.pricing.model import Charge, NotEstimated, Per, ResourceCost, Why, make_charge
from stackdeploy.pricing.neighbours import Neighbours, RunningResource
from stackdeploy.pricing.table import PriceTable, RegionPrices

PUBLIC_IPV4 = "public IPv4 address"


def text(value: Any) -> str | None:
    """A string property as a known value, or None (unknown until apply, or absent)."""
    return value if isinstance(value, str) and "${" not in value else None


def count(value: Any) -> int | None:
    """A whole-number property (a capacity, a size), or None when it is not known."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


class Pricer:
    def __init__(
        self, resource: RunningResource, neighbours: Neighbours, table: PriceTable
    ) -> None:
        self.resource = resource
        self.properties = resource.properties
        self.neighbours = neighbours
        self.table = table
        self.prices: RegionPrices | None = table.region(resource.region)
        self.charges: list[Charge] = []
        self.not_estimated: list[NotEstimated] = []

    def per_hour(
        self,
        item: str,
        quantity: Decimal | int,
        price: Decimal | None,
        *,
        unit: str = "",
        note: str | None = None,
    ) -> None:
        self._charge(item, quantity, price, Per.HOUR, unit, note)

    def per_month(
        self,
        item: str,
        quantity: Decimal | int,
        price: Decimal | None,
        *,
        unit: str = "",
        note: str | None = None,
    ) -> None:
        self._charge(item, quantity, price, Per.MONTH, unit, note)

    def usage(self, item: str, detail: str = "") -> None:
        self.not_estimated.append(NotEstimated(item, Why.USAGE, detail))

    def unknown(self, item: str, detail: str) -> None:
        self.not_estimated.append(NotEstimated(item, Why.UNKNOWN, detail))

    def no_price(self, item: str, detail: str) -> None:
        self.not_estimated.append(NotEstimated(item, Why.NO_PRICE, detail))

    def public_ipv4(self, quantity: int, note: str) -> None:
        if quantity > 0:
            price = self.prices.public_ipv4_address_hour if self.prices else None
            self.per_hour(PUBLIC_IPV4, quantity, price, note=note)

    def result(self) -> ResourceCost:
        resource = self.resource
        return ResourceCost(
            resource.address,
            resource.type,
            resource.region,
            tuple(self.charges),
            tuple(self.not_estimated),
        )

    def _charge(
        self,
        item: str,
        quantity: Decimal | int,
        price: Decimal | None,
        per: Per,
        unit: str,
        note: str | None,
    ) -> None:
        if price is None:
            region = self.resource.region
            detail = (
                f"the price table has no prices for {region}"
                if self.prices is None
                else f"no price for {item} in {region} in the price table"
            )
            self.not_estimated.append(NotEstimated(item, Why.NO_PRICE, detail))
            return
        self.charges.append(
            make_charge(
                item, quantity, price, per, self.table.hours_per_month, unit=unit, note=note
            )
        )
