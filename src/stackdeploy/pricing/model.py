"""Cost values: what a resource is charged for, what could not be estimated, and totals."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal(0)


class Per(enum.Enum):
    """What a unit price is quoted per: AWS prices capacity by the hour, storage by the month."""

    HOUR = "hour"
    MONTH = "month"


@dataclass(frozen=True)
class Charge:
    """One priced item of a resource: quantity times unit price."""

    item: str  # what is paid for, e.g. "NAT gateway", "public IPv4 address"
    quantity: Decimal
    unit_price: Decimal
    per: Per
    hourly: Decimal
    monthly: Decimal
    unit: str = ""  # what the quantity counts when it is not the item itself: "GB", "RCU"
    note: str | None = None  # how the quantity was found, and where it is an assumption


def make_charge(
    item: str,
    quantity: Decimal | int,
    unit_price: Decimal,
    per: Per,
    hours_per_month: int,
    *,
    unit: str = "",
    note: str | None = None,
) -> Charge:
    count = Decimal(quantity)
    if per is Per.HOUR:
        hourly = count * unit_price
        monthly = hourly * hours_per_month
    else:
        monthly = count * unit_price
        hourly = monthly / hours_per_month
    return Charge(item, count, unit_price, per, hourly, monthly, unit, note)


class Why(enum.Enum):
    """Why a charge is named instead of estimated."""

    USAGE = "usage-priced"
    NO_PRICE = "no price in the table"
    UNKNOWN = "not known before apply"
    NO_RULE = "no pricing rule for this type"


@dataclass(frozen=True)
class NotEstimated:
    item: str  # e.g. "S3 storage, requests and data transfer"
    why: Why
    detail: str = ""  # e.g. "no price for db.t3.micro (mariadb) in us-west-1"

    def reason(self) -> str:
        if self.why is Why.USAGE:
            return f"usage-priced, {self.detail}" if self.detail else self.why.value
        return self.detail or self.why.value


@dataclass(frozen=True)
class ResourceCost:
    address: str
    type: str
    region: str
    charges: tuple[Charge, ...] = ()
    not_estimated: tuple[NotEstimated, ...] = ()

    @property
    def hourly(self) -> Decimal:
        return sum((charge.hourly for charge in self.charges), ZERO)

    @property
    def monthly(self) -> Decimal:
        return sum((charge.monthly for charge in self.charges), ZERO)

    @property
    def free(self) -> bool:
        """Nothing to pay and nothing left unestimated (a VPC, a security group)."""
        return not self.charges and not self.not_estimated


# Named for every set of resources, since none of them can say how much it will send.
DATA_TRANSFER = NotEstimated(
    "data transfer out to the internet and between zones and regions", Why.USAGE
)


@dataclass(frozen=True)
class CostSummary:
    """The cost of a set of resources (what a plan creates, what it destroys, a stack)."""

    resources: tuple[ResourceCost, ...] = ()

    @property
    def hourly(self) -> Decimal:
        return sum((resource.hourly for resource in self.resources), ZERO)

    @property
    def monthly(self) -> Decimal:
        return sum((resource.monthly for resource in self.resources), ZERO)

    def priced(self) -> list[ResourceCost]:
        return [resource for resource in self.resources if resource.charges]

    def free(self) -> list[ResourceCost]:
        return [resource for resource in self.resources if resource.free]

    def not_estimated(self) -> list[tuple[str | None, NotEstimated]]:
        """(address, item) for every charge left out, then data transfer (address None)."""
        named: list[tuple[str | None, NotEstimated]] = [
            (resource.address, item)
            for resource in self.resources
            for item in resource.not_estimated
        ]
        if self.resources:
            named.append((None, DATA_TRANSFER))
        return named


@dataclass(frozen=True)
class PriceInfo:
    """Where the prices came from, printed with every estimate."""

    as_of: str
    source: str
    currency: str
    hours_per_month: int


@dataclass(frozen=True)
class PlanCost:
    """A plan's cost: what it starts and stops paying, and what the stack costs before and
    after it."""

    prices: PriceInfo
    created: CostSummary  # creates, and the new side of replacements
    destroyed: CostSummary  # deletes, and the old side of replacements
    updated_before: CostSummary  # in-place updates as they run now ...
    updated_after: CostSummary  # ... and once updated (a new instance type, more capacity)
    current: CostSummary  # everything the stack runs now
    applied: CostSummary  # everything it runs once the plan is applied

    @property
    def update_hourly(self) -> Decimal:
        return self.updated_after.hourly - self.updated_before.hourly

    @property
    def update_monthly(self) -> Decimal:
        return self.updated_after.monthly - self.updated_before.monthly
