"""The resources that run together, so a rule can follow a reference: an Auto Scaling group's
instance type is its launch template's, whether an instance gets a public address is its
subnet's setting, a read replica's engine is its source's.

A reference is followed by the physical id it resolved to, or, while it is still unknown
(the target is created by the same plan), through the resource's dependencies: an instance
depends on exactly one subnet, its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stackdeploy.model.values import UNKNOWN


@dataclass(frozen=True)
class RunningResource:
    """A resource as it runs on one side of a plan (before it, or once it is applied)."""

    address: str
    type: str
    region: str
    properties: Mapping[str, Any]
    physical_id: str | None = None
    depends_on: tuple[str, ...] = ()


def _identifier(value: str) -> str:
    # A cross-region read replica names its source by ARN (arn:aws:rds:...:db:<identifier>).
    if value.startswith("arn:") and ":db:" in value:
        return value.rsplit(":", 1)[1]
    return value


class Neighbours:
    def __init__(self, resources: Iterable[RunningResource]) -> None:
        self._by_address = {resource.address: resource for resource in resources}
        self._by_id = {
            resource.physical_id: resource
            for resource in self._by_address.values()
            if resource.physical_id
        }

    def one(self, owner: RunningResource, value: Any, type_name: str) -> RunningResource | None:
        """The resource of `type_name` that `value` (a property of `owner`) refers to."""
        if isinstance(value, str):
            found = self._by_id.get(_identifier(value))
            return found if found is not None and found.type == type_name else None
        if value is UNKNOWN:
            candidates = self._dependencies(owner, type_name)
            return candidates[0] if len(candidates) == 1 else None
        return None

    def many(
        self, owner: RunningResource, values: Any, type_name: str
    ) -> list[RunningResource] | None:
        """The resources a list property refers to, or None when they cannot all be told."""
        if not isinstance(values, list):
            return None
        found = [self.one(owner, value, type_name) for value in values if value is not UNKNOWN]
        if any(resource is None for resource in found):
            return None
        known = [resource for resource in found if resource is not None]
        unknown = len(values) - len(known)
        if unknown:
            # Unknown entries are the dependencies of that type not already named by id.
            rest = [r for r in self._dependencies(owner, type_name) if r not in known]
            if len(rest) != unknown:
                return None
            known += rest
        return known

    def _dependencies(self, owner: RunningResource, type_name: str) -> list[RunningResource]:
        return [
            self._by_address[address]
            for address in owner.depends_on
            if address in self._by_address and self._by_address[address].type == type_name
        ]
