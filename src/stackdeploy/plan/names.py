"""Generated names across create-before-destroy replacements.

A name stackdeploy generates (`<stack>-<logical id>`) is unique per region for some types
(target groups), so a replacement created before the old resource is deleted cannot reuse
it. Like Terraform's `name_prefix`, the generated name then alternates between two forms,
the base and a variant, and whichever form AWS holds counts as the generated name: an
alternated name is never a diff.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stackdeploy.model.live import LiveResource
from stackdeploy.model.stack import Resource
from stackdeploy.plan.types import Action, PropertyChange, ResourceChange
from stackdeploy.specs.base import ReplaceStrategy, ResourceType

_VARIANT_SUFFIXES = ("-2", "-3")


def variant_of(base: str, max_length: int) -> str:
    """The other form of a generated name: the base with a suffix, within the length limit."""
    for suffix in _VARIANT_SUFFIXES:
        variant = f"{base[: max_length - len(suffix)]}{suffix}"
        if variant != base:
            return variant
    raise AssertionError("two different suffixes cannot both reproduce the base")


def _generated_forms(
    rtype: ResourceType, resource: Resource, desired: dict[str, Any]
) -> tuple[str, str, str] | None:
    """(name property, base form, variant form) when the resource's name is generated."""
    name_property = rtype.name_property
    if not resource.generated_name or name_property is None:
        return None
    base = desired.get(name_property)
    if not isinstance(base, str):
        return None
    return name_property, base, variant_of(base, rtype.name_max_length)


def keep_generated_name(
    rtype: ResourceType, resource: Resource, desired: dict[str, Any], found: LiveResource
) -> dict[str, Any]:
    """The desired properties with the live name kept when it is a form of the generated one."""
    forms = _generated_forms(rtype, resource, desired)
    if forms is None:
        return desired
    name_property, base, variant = forms
    live = found.properties.get(name_property)
    return {**desired, name_property: live} if live in (base, variant) else desired


def alternate_generated_name(
    rtype: ResourceType, resource: Resource, desired: dict[str, Any], found: LiveResource
) -> dict[str, Any]:
    """For a replacement created before the old one goes: the form AWS does not hold now.

    `desired` is as substitute() made it (the base form), before keep_generated_name."""
    forms = _generated_forms(rtype, resource, desired)
    if forms is None:
        return desired
    name_property, base, variant = forms
    live = found.properties.get(name_property)
    if live == base:
        return {**desired, name_property: variant}
    return desired  # the live one is the variant (or unrelated): the base is free


def fixed_name_clash(
    rtype: ResourceType, resource: Resource, change: ResourceChange, found: LiveResource
) -> str | None:
    """Why a replacement cannot happen: it is created before the old one is deleted, and the
    name the user fixed is the old one's, which AWS keeps unique (None when it can)."""
    name_property = rtype.name_property
    if (
        change.action is not Action.REPLACE
        or change.replace_strategy is not ReplaceStrategy.CREATE_THEN_DELETE
        or name_property is None
        or resource.generated_name
    ):
        return None
    name = (change.after or {}).get(name_property)
    if not isinstance(name, str) or name != found.properties.get(name_property):
        return None
    causes = ", ".join(change.replace_paths()) or "its type or region"
    return (
        f"{resource.logical_id} must be replaced ({causes} cannot change in place), and the new "
        f"{rtype.name} is created before the old one is deleted, but both cannot be named "
        f"'{name}'"
    )


def explain_alternated(
    rtype: ResourceType, resource: Resource, changes: list[PropertyChange]
) -> list[PropertyChange]:
    """The name change of an alternated generated name is a consequence of the replacement,
    not its cause: say so instead of "cannot be renamed"."""
    if not resource.generated_name:
        return changes
    return [
        replace(change, forces_replacement=False, note=_ALTERNATED)
        if change.path == rtype.name_property
        else change
        for change in changes
    ]


_ALTERNATED = (
    "the generated name takes its other form, as the new one exists next to the old one "
    "until dependents have switched over"
)
