"""aws.ec2.security_group_rule: one ingress or egress rule of a security group, on its own.

Two groups whose rules name each other (a load balancer's group sends to the instances'
group, which takes traffic only from the load balancer's) cannot both list those rules
inline: each group would need the other's id before it exists. A rule resource comes after
both groups, which breaks the cycle, as Terraform's aws_vpc_security_group_ingress_rule and
CloudFormation's AWS::EC2::SecurityGroupIngress do.

AWS gives each rule an id (sgr-...) and tags, so a rule is created with the ownership tags
and found by them. Its description and tags change in place (ModifySecurityGroupRules); its
group, direction, protocol, ports and peer are what the rule is, so a change of one of them
replaces it, as in CloudFormation.

A group's rules in one direction are either listed in the group (`ingress`, `egress`) or
separate rule resources, never both (Terraform's advice, enforced here): the group converges
its list to exactly what it says, and it leaves alone the rules its rule resources own, which
it knows by their ownership tags.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from stackdeploy.specs.base import (
    Issue,
    ResourceType,
    TaggedSpec,
    check_ipv4_cidr,
    check_ipv6_cidr,
    is_ref_like,
)
from stackdeploy.specs.ec2.security_group import TYPE_NAME as SECURITY_GROUP
from stackdeploy.specs.ec2.security_group import check_aws_text, port_range, protocol_name
from stackdeploy.specs.references import refers_to

if TYPE_CHECKING:
    from stackdeploy.model.stack import Resource, Stack

TYPE_NAME = "aws.ec2.security_group_rule"
PEERS = ("cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id")
# What a rule is to AWS: a second rule with the same values is a duplicate.
IDENTITY = ("security_group_id", "direction", "protocol", "from_port", "to_port", *PEERS)
# What a group's omitted `egress` stands for, once canonical (see canonical_rules).
_DEFAULT_EGRESS = [{"protocol": "-1", "cidr_ipv4": "0.0.0.0/0"}]


class SecurityGroupRuleSpec(TaggedSpec):
    security_group_id: str = Field(description="The group the rule belongs to, e.g. ${app_sg.id}.")
    direction: Literal["ingress", "egress"] = Field(
        description="ingress (traffic from the peer) or egress (traffic to the peer)."
    )
    protocol: str = Field("tcp", description="tcp, udp, icmp, icmpv6, all, or a protocol number.")
    port: int | None = Field(None, description="A single port (sets from_port and to_port).")
    from_port: int | None = Field(None, description="First port, or the ICMP type.")
    to_port: int | None = Field(None, description="Last port, or the ICMP code.")
    cidr_ipv4: str | None = Field(None, description="Peer: an IPv4 CIDR block.")
    cidr_ipv6: str | None = Field(None, description="Peer: an IPv6 CIDR block.")
    prefix_list_id: str | None = Field(None, description="Peer: a managed prefix list (pl-...).")
    referenced_security_group_id: str | None = Field(
        None, description="Peer: the members of a security group, e.g. ${lb_sg.id}."
    )
    description: str = Field("", description="Shown in the console next to the rule.")

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol(cls, value: Any) -> str:
        return protocol_name(value)

    @field_validator("cidr_ipv4")
    @classmethod
    def _ipv4(cls, value: str | None) -> str | None:
        return None if value is None else check_ipv4_cidr(value)

    @field_validator("cidr_ipv6")
    @classmethod
    def _ipv6(cls, value: str | None) -> str | None:
        return None if value is None else check_ipv6_cidr(value)

    @field_validator("security_group_id", "referenced_security_group_id")
    @classmethod
    def _group_id(cls, value: str | None) -> str | None:
        if value is not None and not is_ref_like(value) and not value.startswith("sg-"):
            raise ValueError(f"'{value}' is not a security group id (sg-...), nor ${{group.id}}")
        return value

    @field_validator("prefix_list_id")
    @classmethod
    def _prefix_list(cls, value: str | None) -> str | None:
        if value is not None and not is_ref_like(value) and not value.startswith("pl-"):
            raise ValueError(f"'{value}' is not a prefix list id (pl-...)")
        return value

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return check_aws_text(value, "rule description")

    @model_validator(mode="after")
    def _ports_and_peer(self) -> SecurityGroupRuleSpec:
        self.from_port, self.to_port = port_range(
            self.protocol, self.port, self.from_port, self.to_port
        )
        self.port = None
        given = [peer for peer in PEERS if getattr(self, peer) is not None]
        if len(given) != 1:
            raise ValueError(
                "a rule needs exactly one peer: cidr_ipv4, cidr_ipv6, prefix_list_id or "
                f"referenced_security_group_id ({', '.join(given) or 'none'} given)"
            )
        return self


def _rules(stack: Stack) -> Iterator[Resource]:
    return (r for r in stack.resources.values() if r.type == TYPE_NAME)


def _groups_are_groups(stack: Stack) -> Iterator[Issue]:
    for rule in _rules(stack):
        for field_name in ("security_group_id", "referenced_security_group_id"):
            target = stack.target_of(rule.properties.get(field_name))
            if target is not None and target.type != SECURITY_GROUP:
                yield Issue(
                    rule.logical_id,
                    (field_name,),
                    f"{field_name} refers to '{target.logical_id}', a {target.type}; "
                    f"it must name an {SECURITY_GROUP}",
                )


def _not_mixed_with_listed_rules(stack: Stack) -> Iterator[Issue]:
    """A group's direction is listed in the group or made of rule resources, not both."""
    separate: dict[tuple[str, str], list[str]] = defaultdict(list)
    for rule in _rules(stack):
        group = stack.target_of(rule.properties.get("security_group_id"))
        if group is not None and group.type == SECURITY_GROUP:
            separate[(group.logical_id, rule.properties["direction"])].append(rule.logical_id)
    for (group_id, direction), rule_ids in sorted(separate.items()):
        listed = stack.resources[group_id].properties.get(direction) or []
        if not listed:
            continue
        rules = ", ".join(rule_ids)
        if direction == "egress" and listed == _DEFAULT_EGRESS:
            what = "keeps AWS's default egress, allow-all to 0.0.0.0/0 (egress is omitted)"
            hint = (
                "write `egress: []` on the group so that only its rule resources say where "
                "traffic may go (the default rule is revoked), or make the allow-all rule a "
                "rule resource too"
            )
        else:
            what = f"lists {len(listed)} {direction} rule(s) of its own"
            hint = (
                f"move the group's {direction} rules into {TYPE_NAME} resources, or the rule "
                f"resources' rules into its {direction} list"
            )
        yield Issue(
            group_id,
            (direction,),
            f"{group_id} {what}, and {rules} ({TYPE_NAME}) add {direction} rules to it: a "
            "group's rules in one direction are either listed in the group or separate rule "
            "resources, never both",
            hint=hint,
        )


def _no_two_alike(stack: Stack) -> Iterator[Issue]:
    """Two resources for one rule: AWS refuses the second (InvalidPermission.Duplicate)."""
    seen: dict[str, str] = {}
    for rule in sorted(_rules(stack), key=lambda r: r.logical_id):
        key = repr([rule.properties.get(name) for name in IDENTITY])
        if key in seen:
            yield Issue(
                rule.logical_id,
                (),
                f"the same rule as '{seen[key]}' (group, direction, protocol, ports and peer); "
                "AWS keeps one of each",
            )
        seen.setdefault(key, rule.logical_id)


SECURITY_GROUP_RULE = ResourceType(
    name=TYPE_NAME,
    spec=SecurityGroupRuleSpec,
    summary="One ingress or egress rule of a security group, as its own resource: how two "
    "groups name each other.",
    attributes={"id": "Security group rule id (sgr-...)", "arn": "Security group rule ARN"},
    create_only=frozenset(
        {"security_group_id", "direction", "protocol", "port", "from_port", "to_port", *PEERS}
    ),
    replace_notes={
        **dict.fromkeys(
            ("protocol", "port", "from_port", "to_port", *PEERS),
            "a rule's protocol, ports and peer are what the rule is: another one replaces it",
        ),
        "security_group_id": "a rule belongs to one security group",
        "direction": "an ingress rule cannot become an egress rule",
    },
    update_notes={"description": "ModifySecurityGroupRules: traffic is not interrupted"},
    # Delete, then create (the default): a rule replaced because its group is replaced must
    # go before the old group, which is itself deleted before its successor is created; a
    # new rule made first would have to wait for that successor (a cycle of steps).
    checks=(_groups_are_groups, _not_mixed_with_listed_rules, _no_two_alike),
    references={
        "security_group_id": refers_to(SECURITY_GROUP),
        "referenced_security_group_id": refers_to(SECURITY_GROUP),
    },
)
