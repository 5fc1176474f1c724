"""Security group rules as AWS treats them and moto does not.

moto already refuses, and so is not duplicated here: a duplicate rule
(InvalidPermission.Duplicate), a group deleted while another group's rule names it (see
ec2_dependencies.py). Added here:

- a rule whose peer group is in another VPC, not peered: AWS refuses it, moto stores it;
- a rule id revoked that the group does not hold: AWS answers
  InvalidSecurityGroupRuleId.NotFound, moto InvalidPermission.NotFound;
- the description of a rule whose peer is a group: moto keeps it only in DescribeSecurityGroups'
  grouped view, so DescribeSecurityGroupRules leaves it out; AWS reports it in both.
"""

from __future__ import annotations

from typing import Any

from tests.strict import ec2_lookups as look
from tests.strict.core import AwsError, Call, StrictAws

_OTHER_NETWORK = "You have specified two resources that belong to different networks."


def register(strict: StrictAws) -> None:
    rules = SecurityGroupRules(strict)
    for direction in ("Ingress", "Egress"):
        strict.before("ec2", f"AuthorizeSecurityGroup{direction}", rules.authorize)
        strict.before("ec2", f"RevokeSecurityGroup{direction}", rules.revoke)
    strict.after("ec2", "DescribeSecurityGroupRules", rules.describe_rules)


class SecurityGroupRules:
    def __init__(self, strict: StrictAws) -> None:
        self._strict = strict

    def _ec2(self, call: Call) -> Any:
        return self._strict.plain("ec2", call.region)

    def authorize(self, call: Call) -> None:
        """A peer group must be in the group's VPC, or in a VPC peered with it."""
        ec2 = self._ec2(call)
        group = _group(ec2, str(call.params.get("GroupId", "")))
        if group is None:
            return  # moto answers InvalidGroup.NotFound itself
        for permission in call.params.get("IpPermissions") or []:
            for pair in permission.get("UserIdGroupPairs") or []:
                peer = _group(ec2, str(pair.get("GroupId", "")))
                if peer is None or peer.get("VpcId") == group.get("VpcId"):
                    continue
                if not _peered(ec2, str(group.get("VpcId")), str(peer.get("VpcId"))):
                    # AWS's code for this is the one for a group that does not exist.
                    raise AwsError("InvalidGroup.NotFound", _OTHER_NETWORK)

    def revoke(self, call: Call) -> None:
        """Rules revoked by id must be rules of that group, in that direction."""
        rule_ids = [str(r) for r in call.params.get("SecurityGroupRuleIds") or []]
        group_id = str(call.params.get("GroupId", ""))
        if not rule_ids or _group(self._ec2(call), group_id) is None:
            return  # by permission, or the group is gone: moto answers as AWS does
        egress = call.operation.endswith("Egress")
        held = {
            rule["SecurityGroupRuleId"]
            for rule in _rules(self._ec2(call), look.by("group-id", group_id))
            if bool(rule.get("IsEgress")) == egress
        }
        for rule_id in rule_ids:
            if rule_id not in held:
                raise AwsError(
                    "InvalidSecurityGroupRuleId.NotFound",
                    f"The security group rule ID '{rule_id}' does not exist",
                )

    def describe_rules(self, call: Call, parsed: dict[str, Any]) -> None:
        """Fill in the description moto leaves out for rules whose peer is a group."""
        for rule in parsed.get("SecurityGroupRules") or []:
            peer = (rule.get("ReferencedGroupInfo") or {}).get("GroupId")
            if peer is None or "Description" in rule:
                continue
            described = _grouped_description(self._ec2(call), rule, str(peer))
            if described:
                rule["Description"] = described


def _group(ec2: Any, group_id: str) -> dict[str, Any] | None:
    if not group_id.startswith("sg-"):
        return None
    return look.security_group(ec2, {"GroupId": group_id})


def _rules(ec2: Any, *filters: dict[str, Any]) -> list[dict[str, Any]]:
    pages = ec2.get_paginator("describe_security_group_rules").paginate(Filters=list(filters))
    return [rule for page in pages for rule in page.get("SecurityGroupRules", [])]


def _peered(ec2: Any, vpc: str, other: str) -> bool:
    connections = ec2.describe_vpc_peering_connections(Filters=[look.by("status-code", "active")])[
        "VpcPeeringConnections"
    ]
    return any(
        {c["RequesterVpcInfo"].get("VpcId"), c["AccepterVpcInfo"].get("VpcId")} == {vpc, other}
        for c in connections
    )


def _grouped_description(ec2: Any, rule: dict[str, Any], peer: str) -> str | None:
    """The description DescribeSecurityGroups gives the same rule (protocol, ports, peer)."""
    group = _group(ec2, str(rule.get("GroupId", "")))
    key = "IpPermissionsEgress" if rule.get("IsEgress") else "IpPermissions"
    for permission in (group or {}).get(key, []):
        if str(permission.get("IpProtocol")) != str(rule.get("IpProtocol")):
            continue
        if rule.get("IpProtocol") != "-1" and (
            permission.get("FromPort"),
            permission.get("ToPort"),
        ) != (rule.get("FromPort"), rule.get("ToPort")):
            continue
        for pair in permission.get("UserIdGroupPairs") or []:
            if pair.get("GroupId") == peer:
                return pair.get("Description")
    return None
