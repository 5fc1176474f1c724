"""Properties that name another resource, declared per type (CloudFormation's `relationshipRef`).

A subnet's `vpc_id` holds a VPC's id, an Auto Scaling group's `target_group_arns` hold target
groups' ARNs, an instance's `iam_instance_profile` holds a profile's name. Deletion order and
what a resource left alone keeps are read from these declarations only: a value that merely
equals another resource's id (a launch template named like the Auto Scaling group that uses
it) is not a reference.

A declaration is keyed by its path in the canonical (live) properties: dots go into mappings,
`[]` into every item of a list ("routes[].gateway_id", "security_group_ids[]",
"replication.rules[].destination").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Reference:
    """What a property names: a resource of one of `types`, by one of its attributes `by`
    (its physical id always counts too, whatever AWS calls it)."""

    types: frozenset[str]
    by: tuple[str, ...] = ("id",)


def refers_to(*types: str, by: str | tuple[str, ...] = "id") -> Reference:
    """refers_to("aws.elbv2.target_group", by="arn")"""
    return Reference(frozenset(types), (by,) if isinstance(by, str) else by)


def path_parts(path: str) -> list[tuple[str, bool]]:
    """ "routes[].gateway_id" -> [("routes", True), ("gateway_id", False)]: each key, and
    whether its value is a list whose items are walked."""
    return [(part.removesuffix("[]"), part.endswith("[]")) for part in path.split(".")]


def values_at(properties: Mapping[str, Any], path: str) -> Iterator[Any]:
    """Every value at a declared path; a missing key or None along the way yields nothing."""
    current: list[Any] = [properties]
    for key, each in path_parts(path):
        found = [item.get(key) for item in current if isinstance(item, Mapping)]
        current = []
        for value in found:
            if each and isinstance(value, list):
                current.extend(item for item in value if item is not None)
            elif not each and value is not None:
                current.append(value)
    yield from current


def named_resources(
    references: Mapping[str, Reference], properties: Mapping[str, Any]
) -> Iterator[tuple[Reference, str]]:
    """Every (declaration, value) by which a resource's properties name another resource."""
    for path, reference in sorted(references.items()):
        for value in values_at(properties, path):
            if isinstance(value, str) and value:
                yield reference, value
