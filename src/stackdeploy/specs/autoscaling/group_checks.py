"""Cross-resource checks for Auto Scaling groups: what AWS would refuse only at apply time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from stackdeploy.model.refs import single_ref
from stackdeploy.specs.base import Issue, is_ref_like

if TYPE_CHECKING:
    from stackdeploy.model.stack import Resource, Stack

TYPE_NAME = "aws.autoscaling.group"
SUBNET = "aws.ec2.subnet"

# property -> (the type it must name, the attributes that hold what AWS expects)
_REFERENCES: dict[str, tuple[str, frozenset[str]]] = {
    "launch_template_id": ("aws.ec2.launch_template", frozenset({"id"})),
    "subnet_ids": (SUBNET, frozenset({"id"})),
    # A target group's id is its ARN; a classic load balancer's id is its name.
    "target_group_arns": ("aws.elbv2.target_group", frozenset({"arn", "id"})),
    "load_balancer_names": ("aws.elb.load_balancer", frozenset({"name", "id"})),
}
_VERSION_ATTRIBUTES = frozenset({"latest_version", "default_version"})


def _groups(stack: Stack) -> Iterator[Resource]:
    return (r for r in stack.resources.values() if r.type == TYPE_NAME)


def _values(value: Any) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """(path suffix, value) for a property holding one value or a list of them."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield (index,), item
    else:
        yield (), value


def references_fit(stack: Stack) -> Iterator[Issue]:
    """Each reference names a resource of the right type, by the attribute AWS expects."""
    for group in _groups(stack):
        for prop, (wanted, attributes) in _REFERENCES.items():
            for suffix, value in _values(group.properties.get(prop)):
                ref = single_ref(value)
                target = stack.resources.get(ref.target) if ref else None
                if ref is None or target is None:
                    continue
                if target.type != wanted:
                    yield Issue(
                        group.logical_id,
                        (prop, *suffix),
                        f"{prop} refers to '{target.logical_id}', a {target.type}; "
                        f"it needs an {wanted}",
                    )
                elif ref.attribute not in attributes:
                    good = "${" + f"{target.logical_id}.{sorted(attributes)[0]}" + "}"
                    yield Issue(
                        group.logical_id,
                        (prop, *suffix),
                        f"{prop} needs the {wanted}'s {' or '.join(sorted(attributes))}, "
                        f"not its {ref.attribute}",
                        hint=f"write {good}",
                    )
        yield from _version_of_same_template(group)


def _version_of_same_template(group: Resource) -> Iterator[Issue]:
    version = single_ref(group.properties.get("launch_template_version"))
    template = single_ref(group.properties.get("launch_template_id"))
    if version is None or version.attribute not in _VERSION_ATTRIBUTES:
        return
    if template is not None and template.target != version.target:
        yield Issue(
            group.logical_id,
            ("launch_template_version",),
            f"launch_template_version is a version of '{version.target}' but "
            f"launch_template_id is '{template.target}'",
            hint="use a version of the same launch template, or $Default / $Latest",
        )


def _vpc_of(resource: Resource | None) -> str | None:
    vpc = resource.properties.get("vpc_id") if resource is not None else None
    return vpc if isinstance(vpc, str) else None


def _comparable(first: str, second: str) -> bool:
    """Two VPC ids are known to differ only when both are references or both literals."""
    return is_ref_like(first) == is_ref_like(second)


def one_vpc_per_group(stack: Stack) -> Iterator[Issue]:
    """A group launches into one VPC: its subnets, and its target groups, must share it."""
    for group in _groups(stack):
        subnet_vpcs: dict[str, str] = {}  # VPC -> first subnet seen in it
        for subnet_id in group.properties.get("subnet_ids") or []:
            subnet = stack.target_of(subnet_id)
            vpc = _vpc_of(subnet) if subnet is not None and subnet.type == SUBNET else None
            if subnet is not None and vpc is not None:
                subnet_vpcs.setdefault(vpc, subnet.logical_id)
        if len(subnet_vpcs) > 1 and all(
            _comparable(a, b) for a in subnet_vpcs for b in subnet_vpcs
        ):
            listed = ", ".join(f"'{s}' in {v}" for v, s in subnet_vpcs.items())
            yield Issue(
                group.logical_id,
                ("subnet_ids",),
                f"subnet_ids span several VPCs ({listed}); an Auto Scaling group launches "
                "into one VPC",
            )
            continue
        if len(subnet_vpcs) != 1:
            continue
        (vpc,) = subnet_vpcs
        for index, arn in enumerate(group.properties.get("target_group_arns") or []):
            ref = single_ref(arn)
            target = stack.resources.get(ref.target) if ref else None
            if target is None or target.type != _REFERENCES["target_group_arns"][0]:
                continue
            tg_vpc = _vpc_of(target)
            if tg_vpc is not None and tg_vpc != vpc and _comparable(tg_vpc, vpc):
                yield Issue(
                    group.logical_id,
                    ("target_group_arns", index),
                    f"target group '{target.logical_id}' is in {tg_vpc} but the group's "
                    f"subnets are in {vpc}; instances register only with target groups of "
                    "their own VPC",
                )


def unique_group_names(stack: Stack) -> Iterator[Issue]:
    """Group names are unique per region and account."""
    seen: dict[tuple[str, str], str] = {}
    for group in _groups(stack):
        name = group.properties.get("name")
        if not isinstance(name, str) or is_ref_like(name):
            continue
        key = (group.region, name)
        if key in seen:
            yield Issue(
                group.logical_id,
                ("name",),
                f"Auto Scaling group name '{name}' is also used by '{seen[key]}'; names are "
                "unique per region",
            )
        else:
            seen[key] = group.logical_id
