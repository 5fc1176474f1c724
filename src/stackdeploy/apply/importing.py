"""`deploy import`: adopt a resource made outside stackdeploy as a declared one of the stack.

It is read by its id, refused when its tags say it is someone else's, or when something else
already holds the logical id; then its ownership tags are written (the stack, the logical id
and the stack's lineage, as a create would) and the state records it, with no apply recorded:
the next plan compares it with the file and shows only real differences, as updates.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from stackdeploy.apply.engine import Workspace, declared_names
from stackdeploy.aws.errors import AWS_ERRORS, describe
from stackdeploy.discovery.refresh import discover
from stackdeploy.discovery.state import StateRecord, StateWriter, new_lineage
from stackdeploy.errors import ConfigError, DeployError, SourceLocation
from stackdeploy.graph.build import ordering_dependencies
from stackdeploy.model.live import LiveResource
from stackdeploy.model.stack import Resource, Stack
from stackdeploy.providers.base import Provider, ResourceContext
from stackdeploy.providers.ownership import describe_owner
from stackdeploy.specs.registry import RESOURCE_TYPES


@dataclass(frozen=True)
class Imported:
    address: str
    type: str
    region: str
    physical_id: str
    already: bool = False  # the state recorded it already: nothing was done


def import_resource(
    workspace: Workspace, stack: Stack, logical_id: str, physical_id: str
) -> Imported:
    """Adopt `physical_id` as the stack's `logical_id`, holding the stack's lock."""
    resource = _declared(stack, logical_id)
    rtype = RESOURCE_TYPES[resource.type]
    region = stack.region if rtype.global_service else resource.region
    provider = workspace.providers[resource.type]
    store = workspace.store(stack)
    with store.lock("import"):
        record = store.load()
        done = _recorded_already(record, logical_id, physical_id, resource.type, region)
        if done is not None:
            return done
        found = _read(provider, region, physical_id)
        _check_owner(stack, logical_id, found)
        lineage = _lineage_and_claimant(workspace, stack, record, logical_id, physical_id)
        writer = StateWriter(store, record)
        ctx = ResourceContext(
            stack=stack.name,
            logical_id=logical_id,
            region=region,
            token=uuid.uuid4().hex,
            events=workspace.events,
            timing=workspace.clients.timing,
            lineage=lineage,
            marks=stack.marks(),
        )
        provider.write_ownership(ctx, found)
        record.lineage = lineage
        writer.record_resource(
            logical_id,
            type_name=resource.type,
            region=region,
            physical_id=physical_id,
            dependencies=sorted(ordering_dependencies(stack, resource)),
            applied=None,  # no apply yet: the next plan compares it with the file
            guards=resource.lifecycle.guards(),
        )
    return Imported(logical_id, resource.type, region, physical_id)


def _declared(stack: Stack, logical_id: str) -> Resource:
    resource = stack.resources.get(logical_id)
    if resource is None:
        declared = ", ".join(sorted(stack.resources)) or "none"
        raise ConfigError(
            f"'{logical_id}' is not declared in {stack.source_file}: import adopts a resource "
            "the stack file declares",
            location=SourceLocation(stack.source_file, path="resources"),
            hint=f"declare it under resources: first (its type and properties); declared: "
            f"{declared}",
        )
    return resource


def _recorded_already(
    record: StateRecord, logical_id: str, physical_id: str, type_name: str, region: str
) -> Imported | None:
    """Imported already (None: not yet); refused when the state says otherwise."""
    current = record.resources.get(logical_id)
    if current is not None and current.physical_id == physical_id:
        return Imported(logical_id, type_name, region, physical_id, already=True)
    if current is not None:
        raise DeployError(
            f"the state records {current.physical_id} as '{logical_id}' already, not {physical_id}",
            hint="a logical id names one resource: import it under another logical id, or "
            f"remove '{logical_id}' with an apply (or destroy --target {logical_id}) first",
            address=logical_id,
        )
    for address, other in sorted(record.resources.items()):
        if other.physical_id == physical_id and other.type == type_name:
            raise DeployError(
                f"{physical_id} is recorded already, as '{address}' of this stack",
                hint="a resource is one logical id's: rename the declaration, or remove "
                f"'{address}' from the stack file and apply with it retained",
                address=logical_id,
            )
    return None


def _read(provider: Provider, region: str, physical_id: str) -> LiveResource:
    type_name = provider.rtype.name
    try:
        found = provider.read_many(region, [physical_id]).get(physical_id)
    except AWS_ERRORS as error:
        raise DeployError(
            f"cannot read {type_name} '{physical_id}' in {region}: {describe(error)}",
            hint=f"give the id stackdeploy records for {type_name} (an EC2 id such as "
            "vpc-0abc..., a bucket, role or table name, a load balancer's ARN)",
        ) from error
    if found is None:
        raise DeployError(
            f"no {type_name} with the id '{physical_id}' in {region}",
            hint="check the id and the region (--region, or the resource's region: in the "
            "stack file)",
        )
    return found


def _check_owner(stack: Stack, logical_id: str, found: LiveResource) -> None:
    owner = found.owner
    if owner.stack is None:
        return
    if owner.stack != stack.name:
        raise DeployError(
            f"{found.type} {found.physical_id} belongs to stack '{owner.stack}' "
            f"({describe_owner(owner)}): it is not imported into '{stack.name}'",
            hint=f"leave it to stack {owner.stack}; if that stack is gone for good, remove "
            "the resource's stackdeploy:* tags first",
            address=logical_id,
        )
    if owner.logical_id not in (None, logical_id):
        raise DeployError(
            f"{found.type} {found.physical_id} is '{owner.logical_id}' of this stack, not "
            f"'{logical_id}'",
            hint=f"it is planned as '{owner.logical_id}' already (deploy plan shows it)",
            address=logical_id,
        )


def _lineage_and_claimant(
    workspace: Workspace, stack: Stack, record: StateRecord, logical_id: str, physical_id: str
) -> str:
    """The stack's lineage (the state's; after a lost state, the one its tags agree on; else
    a new one), after checking that nothing in AWS already holds the logical id: it would be
    left over as a duplicate of the imported one."""
    types = {r.type for r in stack.resources.values()} | {r.type for r in record.resources.values()}
    live = discover(
        stack.name,
        stack.regions(),
        workspace.providers,
        record,
        home_region=stack.region,
        named=declared_names(stack),
        types=types,
    )
    holder = live.resources.get(logical_id)
    if holder is not None and holder.physical_id != physical_id:
        raise DeployError(
            f"'{logical_id}' of this stack exists already in AWS, as {holder.physical_id}: "
            f"importing {physical_id} would leave that one over",
            hint=f"destroy it first (deploy destroy {stack.source_file} --target {logical_id}), "
            "or import the other one under a logical id of its own",
            address=logical_id,
        )
    return record.lineage or live.lineage or new_lineage()
