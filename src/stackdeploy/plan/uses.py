"""Which found resources another found resource uses, by the references its type declares.

A subnet's `vpc_id` names the VPC whose id it holds; a launch template that happens to be
named like an Auto Scaling group names nothing. Only the declared paths are read (see
specs/references.py), and a value counts only against resources of the declared types.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from stackdeploy.model.live import LiveResource
from stackdeploy.specs.references import named_resources
from stackdeploy.specs.registry import RESOURCE_TYPES

# Attributes declarations name resources by (besides the physical id): id, arn, name, ...
_NAMING_ATTRIBUTES = frozenset(
    {"id"}
    | {
        attribute
        for rtype in RESOURCE_TYPES.values()
        for reference in rtype.references.values()
        for attribute in reference.by
    }
)


class UsedResources:
    """The candidates (address -> found resource) that a resource may be using, indexed by
    type and by each attribute that may name them."""

    def __init__(self, candidates: Mapping[str, LiveResource]) -> None:
        self._index: dict[tuple[str, str, str], str] = {}
        for address, found in sorted(candidates.items()):
            named = [("id", found.physical_id)] + [
                (attribute, value)
                for attribute, value in found.properties.items()
                if attribute in _NAMING_ATTRIBUTES and isinstance(value, str) and value
            ]
            for attribute, value in named:
                self._index.setdefault((found.type, attribute, value), address)

    def used_by(self, user: LiveResource) -> Iterator[str]:
        """Addresses of the candidates `user` names in a declared reference (not itself)."""
        rtype = RESOURCE_TYPES.get(user.type)
        if rtype is None:
            return
        seen: set[str] = set()
        for reference, value in named_resources(rtype.references, user.properties):
            if value == user.physical_id:
                continue
            for type_name in sorted(reference.types):
                for attribute in ("id", *reference.by):
                    address = self._index.get((type_name, attribute, value))
                    if address is not None and address not in seen:
                        seen.add(address)
                        yield address
