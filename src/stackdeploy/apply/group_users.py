"""Before a plan replaces a security group in use: who uses it, and whether each user moves.

A replaced group is created anew first; every user must leave the old one before AWS lets it
be deleted. Users the stack declares move through their own planned updates; instances the
stack's Auto Scaling groups launched are moved by the replacement itself
(providers/ec2/group_moves.py). Anything else (an interface or a rule of another stack, a
hand-made instance) would hold the old group until the delete gives up after minutes: the
plan stops instead, naming it. Reads: three describes per region, only when a group in use
is replaced.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ConfigError, ConfigErrors
from stackdeploy.model.live import LiveState
from stackdeploy.model.stack import Stack
from stackdeploy.plan.types import Action, Plan, ResourceChange
from stackdeploy.providers.ec2.group_moves import instances_using
from stackdeploy.specs.ec2.security_group import TYPE_NAME as SECURITY_GROUP
from stackdeploy.specs.ec2.security_group_rule import TYPE_NAME as SECURITY_GROUP_RULE

# Interfaces AWS services create and move themselves when their owner's groups change.
_SERVICE_INTERFACES = ("ELB ", "RDSNetworkInterface")


def _movers(plan: Plan, live: LiveState, group: ResourceChange) -> set[str]:
    """Physical ids of the declared resources that move off `group` by their own updates;
    for a rule resource naming it, the group that holds the rule (its rule is replaced)."""
    movers: set[str] = set()
    for change in plan.changes:
        if group.address not in change.depends_on:
            continue
        if change.action not in (Action.UPDATE, Action.REPLACE):
            continue
        found = live.resources.get(change.address)
        if found is None:
            continue
        movers.add(found.physical_id)
        if change.type == SECURITY_GROUP_RULE:
            movers.add(str(found.properties.get("security_group_id")))
    return movers


def _users(ec2: Any, old: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(interfaces in the group, groups whose rules name it)."""
    interfaces = ec2.paginate(
        "describe_network_interfaces",
        "NetworkInterfaces",
        Filters=[{"Name": "group-id", "Values": [old]}],
    )
    groups: dict[str, dict[str, Any]] = {}
    for name in ("ip-permission.group-id", "egress.ip-permission.group-id"):
        for found in ec2.paginate(
            "describe_security_groups",
            "SecurityGroups",
            Filters=[{"Name": name, "Values": [old]}],
        ):
            groups[found["GroupId"]] = found
    return interfaces, [g for g in groups.values() if g["GroupId"] != old]


def check_group_users(plan: Plan, stack: Stack, live: LiveState, clients: ClientFactory) -> Plan:
    """The plan, with a note for each group whose launched instances the replacement moves;
    ConfigErrors naming every user that nothing would move."""
    errors: list[ConfigError] = []
    notes: dict[str, list[str]] = defaultdict(list)
    for change in plan.changes:
        if change.type != SECURITY_GROUP or change.action is not Action.REPLACE:
            continue
        old = change.physical_id or ""
        ec2 = clients.client("ec2", change.region)
        interfaces, groups = _users(ec2, old)
        movers = _movers(plan, live, change)
        ours = {i["InstanceId"] for i in instances_using(ec2, [old], plan.stack)} - movers
        if ours:
            notes[change.address].append(
                f"{len(ours)} instance(s) launched for this stack ({', '.join(sorted(ours))}) "
                "move to the new group before the old one is deleted"
            )
        stuck = [
            f"network interface {i['NetworkInterfaceId']} ({i.get('Description') or 'unnamed'})"
            for i in interfaces
            if (i.get("Attachment") or {}).get("InstanceId") not in movers | ours
            and not str(i.get("Description", "")).startswith(_SERVICE_INTERFACES)
        ]
        stuck += [
            f"security group {g['GroupId']} ({g.get('GroupName')}), whose rules name it"
            for g in groups
            if g["GroupId"] not in movers
        ]
        for user in stuck:
            errors.append(
                ConfigError(
                    f"replacing it needs the old group {old} deleted, but {user} uses it and "
                    "nothing in this stack moves it",
                    location=stack.location(("resources", change.address)),
                    hint="move that user to another group first, or change the stack so that "
                    "the group is updated in place",
                    address=change.address,
                )
            )
    if errors:
        raise ConfigErrors(errors)
    if not notes:
        return plan
    warnings = tuple(f"{address}: {note}" for address, found in notes.items() for note in found)
    return dataclasses.replace(plan, warnings=(*plan.warnings, *warnings))
