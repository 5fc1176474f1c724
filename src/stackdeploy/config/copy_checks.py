"""What makes copies of a stack collide, found before any AWS call.

Two things would make one copy step on another:
- a name the file sets explicitly (a bucket's `name:`, a KMS alias) that is the same in every
  copy, for a type whose names AWS keeps unique in the region, the account or everywhere;
- a generated name (`<stack>-<copy>-<logical id>`) too long for its type, which stackdeploy
  would shorten with a hash, so that nobody could tell from the name whose copy it is.

Whether a value changes with the copy is found by loading the file a second time as another
copy (see probe_copy) and comparing: a name written as `{{ stack_name }}-data`,
`data-{{ copy }}` or `10.{{ copy_index }}...` changes, and any way of writing it counts.
"""

from __future__ import annotations

from collections.abc import Iterator

from stackdeploy.config.copies import StackCopy
from stackdeploy.errors import ConfigError, ConfigErrors, DeployError
from stackdeploy.model.refs import single_ref
from stackdeploy.model.stack import Resource, Stack
from stackdeploy.specs.base import NameScope, ResourceType, is_ref_like
from stackdeploy.specs.references import values_at
from stackdeploy.specs.registry import RESOURCE_TYPES

_SCOPES: dict[NameScope, str] = {
    "region": "in the region",
    "account": "in the account",
    "everywhere": "across all of AWS",
}


def check_generated_names(stack: Stack, copy: StackCopy) -> None:
    """Every generated name of the copy keeps the copy's full stack name, or a DeployError
    naming --copy and the longest copy name that fits. A name that is shortened already
    without the copy (a long stack name) is left as it is: no copy name would help."""
    base = stack.name.removesuffix(f"-{copy.name}")
    for logical_id, resource in stack.resources.items():
        rtype = RESOURCE_TYPES[resource.type]
        if not resource.generated_name or not _whole(rtype, base, logical_id):
            continue
        if _whole(rtype, stack.name, logical_id):
            continue
        room = len(copy.name) - 1
        while room > 0 and not _whole(rtype, f"{base}-{'x' * room}", logical_id):
            room -= 1
        generated = rtype.generated_name_for(stack.name, logical_id)
        raise DeployError(
            f"--copy {copy.name}: the name generated for {logical_id} ({resource.type}, at "
            f"most {rtype.name_max_length} characters) would be shortened to '{generated}', "
            "which no longer shows the copy",
            hint=f"use copy names of at most {room} characters for this stack"
            if room > 0
            else f"give {logical_id} a shorter name that includes {{{{ copy }}}}",
        )


def _whole(rtype: ResourceType, stack: str, logical_id: str) -> bool:
    """Whether the name generated for `stack` holds `<stack>-<logical id>` unshortened."""
    full = f"{stack}-{logical_id}".replace("_", "-").lower()
    return full in rtype.generated_name_for(stack, logical_id).lower()


def check_unique_names(stack: Stack, probe: Stack | None) -> None:
    """ConfigErrors for every value AWS keeps unique that is the same in `stack` (a copy) and
    `probe` (the same file loaded as another copy): each copy would ask for the same one."""
    if probe is None:
        return
    errors = []
    for logical_id, resource in stack.resources.items():
        other = probe.resources.get(logical_id)
        if other is None or other.type != resource.type:
            continue  # declared only for some copies (a condition on the copy)
        for path, where in _unique_paths(stack, resource):
            shared = set(_literal_values(resource, path)) & set(_literal_values(other, path))
            named = path == RESOURCE_TYPES[resource.type].name_property
            for value in sorted(shared):
                errors.append(_collision(stack, logical_id, path, value, where, named=named))
    if errors:
        raise ConfigErrors(errors)


def _unique_paths(stack: Stack, resource: Resource) -> Iterator[tuple[str, str]]:
    """(path, where AWS keeps it unique) for the values of a resource that copies must not
    share."""
    rtype = RESOURCE_TYPES[resource.type]
    if rtype.name_property and not _in_own_container(stack, resource, rtype):
        yield rtype.name_property, _SCOPES[rtype.name_unique_in]
    yield from rtype.unique_properties.items()


def _in_own_container(stack: Stack, resource: Resource, rtype: ResourceType) -> bool:
    """Whether the resource's name is unique only inside a resource each copy makes itself
    (a security group in the stack's own VPC); one outside the stack is shared by copies."""
    if rtype.name_unique_within is None:
        return False
    ref = single_ref(resource.properties.get(rtype.name_unique_within))
    return ref is not None and ref.target in stack.resources


def _literal_values(resource: Resource, path: str) -> list[str]:
    """The values at `path` known before apply (a reference resolves per copy anyway)."""
    found = values_at(resource.properties, path)
    return [value for value in found if isinstance(value, str) and value and not is_ref_like(value)]


def _collision(
    stack: Stack, logical_id: str, path: str, value: str, where: str, *, named: bool
) -> ConfigError:
    field = path.rsplit(".", 1)[-1]
    return ConfigError(
        f"{field} '{value}' is the same in every copy of the stack, and must be unique {where}: "
        "the copies would collide",
        location=stack.property_location(logical_id, tuple(path.split("."))),
        hint='make it include the copy, e.g. "{{ stack_name }}-..." (the stack name includes '
        'the copy) or "...-{{ copy }}"'
        + ("; or leave it out for a generated <stack>-<copy>-<id>" if named else ""),
    )
