"""aws.ec2.security_group: a VPC security group with its ingress and egress rules.

Rules are compared the way AWS stores them: one rule per (protocol, ports, peer), with its
description. A rule written with three CIDRs is three rules to AWS, so the canonical form
splits it; that keeps no-op plans empty whatever grouping the user chose.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import (
    Issue,
    ReplaceStrategy,
    ResourceType,
    Spec,
    TaggedSpec,
    check_ipv4_cidr,
    check_ipv6_cidr,
    is_ref_like,
)
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

TYPE_NAME = "aws.ec2.security_group"
MAX_RULES_PER_DIRECTION = 60
PROTOCOL_ALIASES = {
    "all": "-1",
    "-1": "-1",
    "tcp": "tcp",
    "6": "tcp",
    "udp": "udp",
    "17": "udp",
    "icmp": "icmp",
    "1": "icmp",
    "icmpv6": "icmpv6",
    "58": "icmpv6",
}
_PORTED = ("tcp", "udp")
_ICMP = ("icmp", "icmpv6")
# AWS: "a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*" for names and descriptions in a VPC.
_AWS_TEXT = re.compile(r"^[A-Za-z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$")


def check_aws_text(value: str, what: str) -> str:
    if len(value) > 255:
        raise ValueError(f"{what} is longer than 255 characters")
    if not is_ref_like(value) and not _AWS_TEXT.match(value):
        bad = sorted({c for c in value if not _AWS_TEXT.match(c)})
        raise ValueError(
            f"{what} has characters AWS rejects: {' '.join(repr(c) for c in bad)} "
            "(allowed: letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*)"
        )
    return value


def protocol_name(value: Any) -> str:
    """The protocol as AWS reads it back: tcp, udp, icmp, icmpv6, -1 (all) or a number."""
    text = str(value).strip().lower()
    if text in PROTOCOL_ALIASES:
        return PROTOCOL_ALIASES[text]
    if text.isdigit() and 0 <= int(text) <= 255:
        return text
    raise ValueError(f"protocol '{value}' is not tcp, udp, icmp, icmpv6, all or 0-255")


def port_range(
    protocol: str, port: int | None, from_port: int | None, to_port: int | None
) -> tuple[int | None, int | None]:
    """(from_port, to_port) as AWS stores them: a port range for TCP and UDP, type and code
    (-1: all) for ICMP, none for any other protocol."""
    if port is not None:
        if from_port is not None or to_port is not None:
            raise ValueError("give either port or from_port/to_port, not both")
        from_port = to_port = port
    if protocol in _PORTED:
        if from_port is None or to_port is None:
            raise ValueError(f"{protocol} rules need port, or from_port and to_port")
        for number in (from_port, to_port):
            if not 0 <= number <= 65535:
                raise ValueError(f"port {number} is outside 0-65535")
        if from_port > to_port:
            raise ValueError(f"from_port {from_port} is above to_port {to_port}")
        return from_port, to_port
    if protocol in _ICMP:
        from_port = -1 if from_port is None else from_port
        to_port = -1 if to_port is None else to_port
        for number in (from_port, to_port):
            if not -1 <= number <= 255:
                raise ValueError(f"ICMP type/code {number} is outside -1 to 255")
        return from_port, to_port
    if from_port is not None or to_port is not None:
        name = "all" if protocol == "-1" else protocol
        raise ValueError(f"ports do not apply to protocol {name}; remove them")
    return None, None


class Rule(Spec):
    protocol: str = Field("tcp", description="tcp, udp, icmp, icmpv6, all, or a protocol number.")
    port: int | None = Field(None, description="A single port (sets from_port and to_port).")
    from_port: int | None = Field(None, description="First port, or the ICMP type.")
    to_port: int | None = Field(None, description="Last port, or the ICMP code.")
    cidr_blocks: list[str] = Field(default_factory=list, description="IPv4 peers.")
    ipv6_cidr_blocks: list[str] = Field(default_factory=list, description="IPv6 peers.")
    security_group_ids: list[str] = Field(
        default_factory=list, description="Security group peers, e.g. ${web_sg.id}."
    )
    prefix_list_ids: list[str] = Field(default_factory=list, description="Managed prefix lists.")
    self_: bool = Field(False, alias="self", description="This security group itself as a peer.")
    description: str | None = Field(None, description="Shown in the console next to the rule.")

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol(cls, value: Any) -> str:
        return protocol_name(value)

    @field_validator("cidr_blocks")
    @classmethod
    def _ipv4(cls, values: list[str]) -> list[str]:
        return [check_ipv4_cidr(v) for v in values]

    @field_validator("ipv6_cidr_blocks")
    @classmethod
    def _ipv6(cls, values: list[str]) -> list[str]:
        return [check_ipv6_cidr(v) for v in values]

    @field_validator("description")
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        return None if value is None else check_aws_text(value, "rule description")

    @model_validator(mode="after")
    def _ports_and_peers(self) -> Rule:
        self.from_port, self.to_port = port_range(
            self.protocol, self.port, self.from_port, self.to_port
        )
        self.port = None
        if not (
            self.cidr_blocks
            or self.ipv6_cidr_blocks
            or self.security_group_ids
            or self.prefix_list_ids
            or self.self_
        ):
            raise ValueError(
                "a rule needs a peer: cidr_blocks, ipv6_cidr_blocks, security_group_ids, "
                "prefix_list_ids or self: true"
            )
        return self


def _allow_all_egress() -> list[Rule]:
    return [Rule.model_validate({"protocol": "all", "cidr_blocks": ["0.0.0.0/0"]})]


class SecurityGroupSpec(TaggedSpec):
    name: str | None = Field(
        None, description="Group name, unique in the VPC; <stack>-<id> when omitted."
    )
    description: str = Field("Managed by stackdeploy", description="Fixed after creation.")
    vpc_id: str = Field(description="The VPC, usually ${vpc.id}.")
    ingress: list[Rule] = Field(default_factory=list, description="Inbound rules (allow only).")
    egress: list[Rule] = Field(
        default_factory=_allow_all_egress,
        description="Outbound rules; omitted means AWS's default allow-all to 0.0.0.0/0.",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.lower().startswith("sg-"):
            raise ValueError("a group name cannot start with 'sg-'")
        if not value:
            raise ValueError("a group name cannot be empty")
        return check_aws_text(value, "group name")

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return check_aws_text(value, "group description")


def rule_atoms(rule: dict[str, Any]) -> list[dict[str, Any]]:
    """Split a rule into AWS's unit: one (protocol, ports, peer) with its description."""
    base: dict[str, Any] = {"protocol": rule["protocol"]}
    if rule.get("from_port") is not None:
        base["from_port"] = rule["from_port"]
        base["to_port"] = rule["to_port"]
    peers: list[tuple[str, Any]] = [("cidr_ipv4", c) for c in rule.get("cidr_blocks", [])]
    peers += [("cidr_ipv6", c) for c in rule.get("ipv6_cidr_blocks", [])]
    peers += [("security_group_id", g) for g in rule.get("security_group_ids", [])]
    peers += [("prefix_list_id", p) for p in rule.get("prefix_list_ids", [])]
    if rule.get("self_") or rule.get("self"):
        peers.append(("self", True))
    described = {"description": rule["description"]} if rule.get("description") else {}
    return [{**base, key: value, **described} for key, value in peers]


def atom_key(atom: dict[str, Any]) -> str:
    """Identity of a rule regardless of its description (AWS updates descriptions in place)."""
    return json.dumps(
        {k: v for k, v in atom.items() if k != "description"}, sort_keys=True, default=str
    )


def canonical_rules(properties: dict[str, Any]) -> dict[str, Any]:
    result = dict(properties)
    for direction in ("ingress", "egress"):
        atoms = [atom for rule in properties[direction] for atom in rule_atoms(rule)]
        result[direction] = sorted(atoms, key=lambda a: json.dumps(a, sort_keys=True, default=str))
    return result


def _peers_are_groups(stack: Stack) -> Iterator[Issue]:
    for resource in stack.resources.values():
        if resource.type != TYPE_NAME:
            continue
        for direction in ("ingress", "egress"):
            atoms = resource.properties[direction]
            if len(atoms) > MAX_RULES_PER_DIRECTION:
                yield Issue(
                    resource.logical_id,
                    (direction,),
                    f"{len(atoms)} {direction} rules (one per peer); AWS allows "
                    f"{MAX_RULES_PER_DIRECTION} by default",
                )
            for index, atom in enumerate(atoms):
                peer = atom.get("security_group_id")
                target = stack.target_of(peer)
                if target is not None and target.type != TYPE_NAME:
                    yield Issue(
                        resource.logical_id,
                        (direction, index),
                        f"security_group_ids refers to '{target.logical_id}', a {target.type}; "
                        "a rule's peer must be a security group",
                    )
                elif (
                    target is None
                    and isinstance(peer, str)
                    and not is_ref_like(peer)
                    and (not peer.startswith("sg-"))
                ):
                    yield Issue(
                        resource.logical_id,
                        (direction, index),
                        f"'{peer}' is not a security group id (sg-...)",
                        hint="peers are CIDR blocks or security groups; DNS names are not allowed",
                    )


SECURITY_GROUP = ResourceType(
    name=TYPE_NAME,
    spec=SecurityGroupSpec,
    summary="A security group; rule changes apply in place, immediately.",
    attributes={"id": "Security group id (sg-...)", "arn": "ARN", "owner_id": "Owner account"},
    create_only=frozenset({"name", "description", "vpc_id"}),
    unordered=frozenset({"ingress", "egress"}),
    replace_notes={
        "name": "a security group cannot be renamed",
        "description": "a security group's description is fixed at creation",
        "vpc_id": "a security group belongs to one VPC",
    },
    checks=(_peers_are_groups,),
    canonicalize=canonical_rules,
    name_property="name",
    name_unique_within="vpc_id",
    # AWS refuses to delete a group that instances, interfaces or other groups' rules still
    # use: the new group is made first, they move to it in place, then the old one goes.
    replace_strategy=ReplaceStrategy.CREATE_THEN_DELETE,
    references={
        "vpc_id": refers_to("aws.ec2.vpc"),
        # The canonical form: one peer per rule (see canonical_rules).
        "ingress[].security_group_id": refers_to(TYPE_NAME),
        "egress[].security_group_id": refers_to(TYPE_NAME),
    },
)
