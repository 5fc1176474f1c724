"""Attributes known before their resource exists (ResourceType.derived_attributes), computed
once per plan from the properties, the lookups and the account: references to them resolve at
plan time, and apply uses exactly these values, even before the resource is created."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stackdeploy.graph.build import known_before_create
from stackdeploy.model.refs import Lookup, Ref, Token, substitute
from stackdeploy.model.stack import Stack
from stackdeploy.model.values import UNKNOWN, contains_unknown
from stackdeploy.specs.base import Place
from stackdeploy.specs.registry import RESOURCE_TYPES


def derived_values(
    stack: Stack, lookups: Mapping[str, Any], account: str
) -> dict[str, dict[str, Any]]:
    """{logical id: {attribute: value}} for every derivable attribute whose inputs are known
    (no account: none, as most derivations name it)."""
    if not account:
        return {}
    values: dict[str, dict[str, Any]] = {}
    for logical_id, resource in sorted(stack.resources.items()):
        rtype = RESOURCE_TYPES[resource.type]
        place = Place(resource.region, account)

        def resolve(token: Token, region: str = resource.region) -> Any:
            return (
                lookups.get(token.scoped(region), UNKNOWN) if isinstance(token, Lookup) else UNKNOWN
            )

        for attribute, derived in sorted(rtype.derived_attributes.items()):
            if not known_before_create(stack, Ref(logical_id, attribute)):
                continue
            inputs = {
                name: substitute(resource.properties.get(name), resolve) for name in derived.inputs
            }
            if not contains_unknown(inputs):
                values.setdefault(logical_id, {})[attribute] = derived.derive(inputs, place)
    return values
