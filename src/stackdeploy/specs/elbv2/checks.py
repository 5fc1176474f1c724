"""Rules Classic and application load balancers (and target groups) share: the names AWS
accepts, unique names per region, no repeated list entries, and the zones of their subnets."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from stackdeploy.specs.base import Issue, is_ref_like

if TYPE_CHECKING:
    from stackdeploy.model.stack import Resource, Stack

NAME_MAX_LENGTH = 32
_NAME = re.compile(r"^[A-Za-z0-9-]+$")


def elb_name_problem(name: str, what: str) -> str | None:
    """Why AWS would reject a load balancer or target group name, or None."""
    if is_ref_like(name):
        return None
    if not name:
        return f"a {what} name cannot be empty"
    if len(name) > NAME_MAX_LENGTH:
        return f"{what} name '{name}' is {len(name)} characters; AWS allows at most 32"
    if not _NAME.match(name):
        return f"{what} name '{name}' may only hold letters, digits and hyphens"
    if name.startswith("-") or name.endswith("-"):
        return f"{what} name '{name}' cannot begin or end with a hyphen"
    return None


def no_duplicates(values: list[str] | None, what: str) -> list[str] | None:
    if values is not None:
        repeated = sorted(v for v, n in Counter(values).items() if n > 1)
        if repeated:
            raise ValueError(f"{what} lists {repeated[0]} more than once")
    return values


def unique_names(
    resources: Iterable[Resource], what: str, problem_of: Callable[[str], str | None]
) -> Iterator[Issue]:
    """Names must be valid (the generated ones too) and unique in the region."""
    seen: dict[tuple[str, str], str] = {}
    for resource in resources:
        name = resource.properties.get("name")
        if not isinstance(name, str) or is_ref_like(name):
            continue
        problem = problem_of(name)
        if problem:
            yield Issue(
                resource.logical_id,
                ("name",),
                problem,
                hint="set name explicitly (the default is <stack>-<logical id>)",
            )
        key = (resource.region, name.lower())
        if key in seen:
            yield Issue(
                resource.logical_id,
                ("name",),
                f"{what} '{seen[key]}' already has the name '{name}' in {resource.region}",
                hint=f"{what} names are unique per region and account",
            )
        seen.setdefault(key, resource.logical_id)


def subnets_by_zone(stack: Stack, subnet_refs: Sequence[Any]) -> tuple[dict[str, list[str]], bool]:
    """The logical ids of the stack's subnets among `subnet_refs`, by their literal
    availability zone; and whether every subnet's zone is known (a subnet from outside the
    stack, or a zone given by reference, is not)."""
    by_zone: dict[str, list[str]] = defaultdict(list)
    all_known = True
    for value in subnet_refs:
        subnet = stack.target_of(value)
        if subnet is None or subnet.type != "aws.ec2.subnet":
            all_known = False
            continue
        zone = subnet.properties.get("availability_zone")
        if isinstance(zone, str) and not is_ref_like(zone):
            by_zone[zone].append(subnet.logical_id)
        else:
            all_known = False
    return by_zone, all_known
