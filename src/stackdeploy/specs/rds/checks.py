"""Cross-resource rules of DB instances and read replicas, checked before any AWS call."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from stackdeploy.specs.base import Issue, StackCheck, is_ref_like
from stackdeploy.specs.rds.common import identifier_problem, parameter_family
from stackdeploy.specs.rds.instance_options import (
    DB_INSTANCE_TYPE,
    DB_REPLICA_TYPE,
    INSTANCE_TYPES,
)

if TYPE_CHECKING:
    from stackdeploy.model.stack import Resource, Stack

PARAMETER_GROUP_TYPE = "aws.rds.db_parameter_group"


def _instances(stack: Stack, types: frozenset[str] = INSTANCE_TYPES) -> Iterator[Resource]:
    return (r for r in stack.resources.values() if r.type in types)


def unique_identifiers(stack: Stack) -> Iterator[Issue]:
    """Identifiers are valid (generated ones too) and unique per region, replicas included."""
    seen: dict[tuple[str, str], str] = {}
    for resource in _instances(stack):
        identifier = resource.properties.get("identifier")
        if not isinstance(identifier, str) or is_ref_like(identifier):
            continue
        problem = identifier_problem(identifier, "DB instance identifier")
        if problem:
            yield Issue(
                resource.logical_id,
                ("identifier",),
                problem,
                hint="set identifier explicitly (the default is <stack>-<logical id>)",
            )
        key = (resource.region, identifier.lower())
        if key in seen:
            yield Issue(
                resource.logical_id,
                ("identifier",),
                f"'{seen[key]}' already has the DB instance identifier '{identifier}' in "
                f"{resource.region}",
                hint="DB instance identifiers are unique per region and account",
            )
        seen.setdefault(key, resource.logical_id)


def parameter_family_matches(stack: Stack) -> Iterator[Issue]:
    """A parameter group of the stack must be of the family the engine version needs."""
    for resource in _instances(stack, frozenset({DB_INSTANCE_TYPE})):
        value = resource.properties.get("parameter_group_name")
        group = stack.target_of(value, "name") or stack.target_of(value, "id")
        if group is None or group.type != PARAMETER_GROUP_TYPE:
            continue
        engine = resource.properties["engine"]
        version = resource.properties["engine_version"]
        needed = parameter_family(engine, version)
        family = group.properties.get("family")
        if needed and isinstance(family, str) and family != needed:
            yield Issue(
                resource.logical_id,
                ("parameter_group_name",),
                f"parameter group '{group.logical_id}' is of family {family}, but {engine} "
                f"{version} needs family {needed}",
                hint=f"set family: {needed} on '{group.logical_id}', or use another group",
            )


def replica_sources(stack: Stack) -> Iterator[Issue]:
    """A replica names its source as AWS wants it, and the source keeps automated backups."""
    for replica in _instances(stack, frozenset({DB_REPLICA_TYPE})):
        value = replica.properties.get("source_db_instance")
        by_id, by_arn = stack.target_of(value, "id"), stack.target_of(value, "arn")
        source = by_id or by_arn
        if source is None or source.type not in INSTANCE_TYPES:
            continue
        same_region = source.region == replica.region
        if same_region and by_id is None:
            yield Issue(
                replica.logical_id,
                ("source_db_instance",),
                "a replica in the same region as its source names it by identifier: "
                f"${{{source.logical_id}.id}} (RDS reports it that way)",
            )
        if not same_region and by_arn is None:
            yield Issue(
                replica.logical_id,
                ("source_db_instance",),
                f"a replica in {replica.region} of a source in {source.region} names it by "
                f"ARN: ${{{source.logical_id}.arn}}",
            )
        if (
            source.type == DB_INSTANCE_TYPE
            and source.properties.get("backup_retention_period") == 0
        ):
            yield Issue(
                replica.logical_id,
                ("source_db_instance",),
                f"'{source.logical_id}' has backup_retention_period 0; RDS creates read "
                "replicas only of databases with automated backups",
                hint=f"set backup_retention_period to 1 or more on '{source.logical_id}'",
            )


def _replica_identifiers(stack: Stack) -> Iterator[Issue]:
    """unique_identifiers for a stack of replicas only (the instance type's check covers both
    types otherwise, so nothing is reported twice)."""
    if any(r.type == DB_INSTANCE_TYPE for r in stack.resources.values()):
        return iter(())
    return unique_identifiers(stack)


INSTANCE_CHECKS: tuple[StackCheck, ...] = (unique_identifiers, parameter_family_matches)
REPLICA_CHECKS: tuple[StackCheck, ...] = (_replica_identifiers, replica_sources)
