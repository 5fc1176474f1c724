"""Secondary indexes of a DynamoDB table, and the names DynamoDB accepts.

Canonical form (what the differ compares, and what the provider reads back): every key names
its attribute type (`hash_key_type`, `range_key_type`), an absent range key is "", projected
non-key attributes are sorted, and capacities are None on an on-demand table.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import Spec

MAX_GLOBAL_INDEXES = 20  # per table, by default
MAX_LOCAL_INDEXES = 5
MAX_PROJECTED_ATTRIBUTES = 100  # non-key attributes projected, over all indexes together
_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")

Projection = Literal["ALL", "KEYS_ONLY", "INCLUDE"]
AttributeType = Literal["S", "N", "B"]


def name_problem(value: str, what: str) -> str | None:
    """Why DynamoDB would reject a table or index name, or None."""
    if _NAME.match(value):
        return None
    return (
        f"{what} name '{value}' must be 3 to 255 letters, digits, '_', '-' or '.' "
        f"({len(value)} characters given)"
    )


def check_attribute_name(value: str, what: str) -> str:
    if not 1 <= len(value.encode()) <= 255:
        raise ValueError(f"{what} '{value}' must be 1 to 255 bytes")
    return value


class _Projected(Spec):
    projection: Projection = Field(
        "ALL",
        description="What the index copies from each item: ALL, KEYS_ONLY, or INCLUDE "
        "(keys plus non_key_attributes).",
    )
    non_key_attributes: list[str] = Field(
        default_factory=list, description="With projection INCLUDE: the other attributes copied."
    )

    @model_validator(mode="after")
    def _include_lists_attributes(self) -> _Projected:
        if self.projection == "INCLUDE" and not self.non_key_attributes:
            raise ValueError("projection INCLUDE needs non_key_attributes (the attributes to copy)")
        if self.projection != "INCLUDE" and self.non_key_attributes:
            raise ValueError(
                f"non_key_attributes apply only to projection INCLUDE (projection is "
                f"{self.projection})"
            )
        if len(set(self.non_key_attributes)) != len(self.non_key_attributes):
            raise ValueError("non_key_attributes lists an attribute more than once")
        return self


class GlobalIndex(_Projected):
    name: str = Field(description="Index name, unique in the table (3 to 255 characters).")
    hash_key: str = Field(description="Partition key attribute of the index.")
    range_key: str | None = Field(None, description="Sort key attribute of the index.")
    read_capacity: int | None = Field(
        None, ge=1, description="PROVISIONED tables: read units; the table's when omitted."
    )
    write_capacity: int | None = Field(
        None, ge=1, description="PROVISIONED tables: write units; the table's when omitted."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = name_problem(value, "index")
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _keys_differ(self) -> GlobalIndex:
        if self.range_key is not None and self.range_key == self.hash_key:
            raise ValueError(f"index {self.name}: hash_key and range_key are both {self.hash_key}")
        return self


class LocalIndex(_Projected):
    name: str = Field(description="Index name, unique in the table (3 to 255 characters).")
    range_key: str = Field(
        description="Sort key attribute of the index (its partition key is the table's)."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = name_problem(value, "index")
        if problem:
            raise ValueError(problem)
        return value


def canonical_global(
    index: dict[str, Any], types: dict[str, str], provisioned: bool, table_capacity: tuple[Any, Any]
) -> dict[str, Any]:
    """A GSI in canonical form; on a PROVISIONED table, capacities default to the table's."""
    range_key = index.get("range_key") or ""
    read, write = index.get("read_capacity"), index.get("write_capacity")
    return {
        "name": index["name"],
        "hash_key": index["hash_key"],
        "hash_key_type": types.get(index["hash_key"], ""),
        "range_key": range_key,
        "range_key_type": types.get(range_key, "") if range_key else "",
        "projection": index["projection"],
        "non_key_attributes": sorted(index.get("non_key_attributes") or []),
        "read_capacity": (table_capacity[0] if read is None else read) if provisioned else None,
        "write_capacity": (table_capacity[1] if write is None else write) if provisioned else None,
    }


def canonical_local(index: dict[str, Any], types: dict[str, str]) -> dict[str, Any]:
    return {
        "name": index["name"],
        "range_key": index["range_key"],
        "range_key_type": types.get(index["range_key"], ""),
        "projection": index["projection"],
        "non_key_attributes": sorted(index.get("non_key_attributes") or []),
    }


def key_attributes(properties: dict[str, Any]) -> dict[str, str]:
    """Every key attribute of a canonical table (table, GSIs, LSIs) with its type: the
    AttributeDefinitions DynamoDB wants, no more and no less."""
    found = {properties["hash_key"]: properties["hash_key_type"]}
    if properties.get("range_key"):
        found[properties["range_key"]] = properties["range_key_type"]
    for index in properties.get("global_secondary_indexes") or []:
        found[index["hash_key"]] = index["hash_key_type"]
        if index.get("range_key"):
            found[index["range_key"]] = index["range_key_type"]
    for index in properties.get("local_secondary_indexes") or []:
        found[index["range_key"]] = index["range_key_type"]
    return found
