"""Security group rules between EC2's IpPermissions and the spec's rule atoms.

An atom is one (protocol, ports, peer) with its description, the unit AWS stores and
the security group spec compares (see specs/ec2/security_group.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stackdeploy.specs.ec2.security_group import PROTOCOL_ALIASES, atom_key

# Protocols whose rules carry ports (ICMP: type and code); for any other AWS allows every
# port and reports none.
_WITH_PORTS = ("tcp", "udp", "icmp", "icmpv6")
# The rule AWS puts in every new group: all traffic out to anywhere.
DEFAULT_EGRESS: dict[str, Any] = {"protocol": "-1", "cidr_ipv4": "0.0.0.0/0"}
# IpPermissions list -> (atom key of the peer, field of each entry holding the peer).
_PEER_LISTS = {
    "IpRanges": ("cidr_ipv4", "CidrIp"),
    "Ipv6Ranges": ("cidr_ipv6", "CidrIpv6"),
    "PrefixListIds": ("prefix_list_id", "PrefixListId"),
}
# A DescribeSecurityGroupRules entry's peer field -> atom key (a group peer aside).
_RULE_PEERS = {"cidr_ipv4": "CidrIpv4", "cidr_ipv6": "CidrIpv6", "prefix_list_id": "PrefixListId"}


def normalise_protocol(value: object) -> str:
    """AWS reports some protocols by number ("6", "58"); the spec writes them by name."""
    text = str(value).strip().lower()
    return PROTOCOL_ALIASES.get(text, text)


def sort_atoms(atoms: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Atoms in the order the spec's canonical form sorts them."""
    return sorted(atoms, key=lambda atom: json.dumps(atom, sort_keys=True, default=str))


def atoms_from_permissions(
    permissions: Iterable[Mapping[str, Any]], group_id: str
) -> list[dict[str, Any]]:
    """One atom per peer entry of each IpPermission."""
    atoms: list[dict[str, Any]] = []
    for permission in permissions:
        base: dict[str, Any] = {"protocol": normalise_protocol(permission["IpProtocol"])}
        if base["protocol"] in _WITH_PORTS:
            base["from_port"] = permission.get("FromPort", -1)
            base["to_port"] = permission.get("ToPort", -1)
        for list_name, (peer_key, aws_key) in _PEER_LISTS.items():
            for entry in permission.get(list_name) or []:
                atoms.append(_atom(base, {peer_key: entry[aws_key]}, entry))
        for pair in permission.get("UserIdGroupPairs") or []:
            peer_id = pair.get("GroupId")
            peer = {"self": True} if peer_id == group_id else {"security_group_id": peer_id}
            atoms.append(_atom(base, peer, pair))
    return sort_atoms(atoms)


def _atom(base: dict[str, Any], peer: dict[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    described = {"description": entry["Description"]} if entry.get("Description") else {}
    return {**base, **peer, **described}


def atom_of_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """The atom of one entry of DescribeSecurityGroupRules (or of an authorize's answer)."""
    atom: dict[str, Any] = {"protocol": normalise_protocol(rule["IpProtocol"])}
    if atom["protocol"] in _WITH_PORTS:
        atom["from_port"] = rule.get("FromPort", -1)
        atom["to_port"] = rule.get("ToPort", -1)
    peer_group = (rule.get("ReferencedGroupInfo") or {}).get("GroupId")
    if peer_group is not None and peer_group == rule.get("GroupId"):
        atom["self"] = True
    elif peer_group is not None:
        atom["security_group_id"] = peer_group
    for peer_key, aws_key in _RULE_PEERS.items():
        if rule.get(aws_key) is not None:
            atom[peer_key] = rule[aws_key]
    if rule.get("Description"):
        atom["description"] = rule["Description"]
    return atom


def permission_for(atom: Mapping[str, Any], group_id: str) -> dict[str, Any]:
    """The IpPermission holding exactly one atom (its description included when set)."""
    permission: dict[str, Any] = {"IpProtocol": atom["protocol"]}
    if atom.get("from_port") is not None:
        permission["FromPort"] = atom["from_port"]
        permission["ToPort"] = atom["to_port"]
    described = {"Description": atom["description"]} if atom.get("description") else {}
    if atom.get("self"):
        permission["UserIdGroupPairs"] = [{"GroupId": group_id, **described}]
    elif atom.get("security_group_id") is not None:
        permission["UserIdGroupPairs"] = [{"GroupId": atom["security_group_id"], **described}]
    else:
        for list_name, (peer_key, aws_key) in _PEER_LISTS.items():
            if atom.get(peer_key) is not None:
                permission[list_name] = [{aws_key: atom[peer_key], **described}]
    return permission


@dataclass
class RuleChanges:
    """What turns one direction's current atoms into the desired ones."""

    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    # Same rule, other description: updated in place, since a revoke would drop traffic.
    redescribed: list[dict[str, Any]] = field(default_factory=list)


def rule_changes(
    current: Iterable[dict[str, Any]], desired: Iterable[dict[str, Any]]
) -> RuleChanges:
    have = {atom_key(atom): atom for atom in current}
    want = {atom_key(atom): atom for atom in desired}
    changes = RuleChanges()
    for key, atom in want.items():
        if key not in have:
            changes.added.append(atom)
        elif have[key].get("description") != atom.get("description"):
            changes.redescribed.append(atom)
    changes.removed = [atom for key, atom in have.items() if key not in want]
    return changes
