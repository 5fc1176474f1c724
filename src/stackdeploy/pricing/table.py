"""The price table shipped with stackdeploy (prices.json): AWS list prices per region.

A price the table does not have is None or absent, and the estimator names it as not
estimated: the table stays small and honest rather than guessing a region's price.
"""

from __future__ import annotations

import functools
import json
from decimal import Decimal
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

PRICES_FILE = "prices.json"


class _Strict(BaseModel):
    # A misspelt key in prices.json would otherwise read as "no price" and go unnoticed.
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegionPrices(_Strict):
    """On-demand prices in one region, USD. Hourly prices per hour, monthly per month."""

    nat_gateway_hour: Decimal | None = None
    public_ipv4_address_hour: Decimal | None = None
    application_load_balancer_hour: Decimal | None = None
    classic_load_balancer_hour: Decimal | None = None
    ec2_instance_hour: dict[str, Decimal] = Field(default_factory=dict)  # by instance type
    ebs_gb_month: dict[str, Decimal] = Field(default_factory=dict)  # by volume type
    # By engine, then DB instance class; Single-AZ (Multi-AZ: the table's factor).
    rds_instance_hour: dict[str, dict[str, Decimal]] = Field(default_factory=dict)
    rds_storage_gb_month: dict[str, Decimal] = Field(default_factory=dict)  # Single-AZ
    rds_iops_month: dict[str, Decimal] = Field(default_factory=dict)  # provisioned IOPS
    dynamodb_read_capacity_unit_hour: Decimal | None = None  # STANDARD table class
    dynamodb_write_capacity_unit_hour: Decimal | None = None
    kms_key_month: Decimal | None = None
    secrets_manager_secret_month: Decimal | None = None


class PriceTable(_Strict):
    as_of: str = Field(description="When the prices were taken (YYYY-MM or YYYY-MM-DD).")
    source: str
    currency: str
    hours_per_month: int = Field(gt=0)
    # A Multi-AZ DB instance runs a standby: AWS bills the instance and its storage twice.
    rds_multi_az_factor: Decimal
    notes: tuple[str, ...] = ()
    regions: dict[str, RegionPrices]

    def region(self, name: str) -> RegionPrices | None:
        return self.regions.get(name)


def parse_price_table(text: str) -> PriceTable:
    # Decimal from the JSON text itself: 0.0104 stays 0.0104, never 0.010399999...
    data = json.loads(text, parse_float=Decimal)
    return PriceTable.model_validate(data)


@functools.cache
def shipped_price_table() -> PriceTable:
    """The table in the package (read once per process)."""
    text = resources.files("stackdeploy.pricing").joinpath(PRICES_FILE).read_text(encoding="utf-8")
    return parse_price_table(text)
