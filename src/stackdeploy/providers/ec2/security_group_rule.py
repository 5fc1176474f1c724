"""aws.ec2.security_group_rule on EC2: one rule, by its id (sgr-...).

Created by AuthorizeSecurityGroupIngress/Egress with the ownership tags in the same call
(TagSpecifications), read in one DescribeSecurityGroupRules per type (by rule id or by tag),
described anew by ModifySecurityGroupRules, and revoked by its id. Its group leaves it alone:
providers/ec2/security_group.py skips the rules that carry ownership tags.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import error_code, has_code
from stackdeploy.aws.waiters import retry_while
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.base import Ec2Provider
from stackdeploy.providers.ec2.common import ec2_arn
from stackdeploy.providers.ec2.settle import read_settled
from stackdeploy.providers.ec2.sg_rules import atom_of_rule, permission_for
from stackdeploy.providers.ownership import split_tags
from stackdeploy.specs.ec2.security_group_rule import IDENTITY, PEERS, SECURITY_GROUP_RULE

# A group (the rule's or its peer) created moments ago can be unknown for a while.
_NOT_VISIBLE_YET = "InvalidGroup.NotFound"
# ... but AWS answers with the same code when the two groups are in different VPCs.
_OTHER_NETWORK = "belong to different networks"
# Atom keys (sg_rules.py) -> this type's properties.
_PEER_OF_ATOM = {
    "cidr_ipv4": "cidr_ipv4",
    "cidr_ipv6": "cidr_ipv6",
    "prefix_list_id": "prefix_list_id",
    "security_group_id": "referenced_security_group_id",
}
# This type's peer properties -> SecurityGroupRuleRequest fields (ModifySecurityGroupRules).
_REQUEST_PEER = {
    "cidr_ipv4": "CidrIpv4",
    "cidr_ipv6": "CidrIpv6",
    "prefix_list_id": "PrefixListId",
    "referenced_security_group_id": "ReferencedGroupId",
}


def rule_properties(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A DescribeSecurityGroupRules entry in the spec's canonical shape (tags aside)."""
    atom = atom_of_rule(rule)
    group_id = rule["GroupId"]
    properties: dict[str, Any] = {
        "security_group_id": group_id,
        "direction": "egress" if rule.get("IsEgress") else "ingress",
        "protocol": atom["protocol"],
        "from_port": atom.get("from_port"),
        "to_port": atom.get("to_port"),
        **dict.fromkeys(PEERS),
        "description": atom.get("description", ""),
    }
    if atom.get("self"):
        properties["referenced_security_group_id"] = group_id
    for atom_peer, peer in _PEER_OF_ATOM.items():
        if atom.get(atom_peer) is not None:
            properties[peer] = atom[atom_peer]
    return properties


def _atom(props: Mapping[str, Any]) -> dict[str, Any]:
    """The rule as sg_rules.permission_for takes it."""
    atom: dict[str, Any] = {"protocol": props["protocol"]}
    if props.get("from_port") is not None:
        atom.update(from_port=props["from_port"], to_port=props["to_port"])
    for atom_peer, peer in _PEER_OF_ATOM.items():
        if props.get(peer) is not None:
            atom[atom_peer] = props[peer]
    if props.get("description"):
        atom["description"] = props["description"]
    return atom


def _request(props: Mapping[str, Any]) -> dict[str, Any]:
    """The whole rule as ModifySecurityGroupRules sets it (ports -1 where none apply)."""
    request: dict[str, Any] = {
        "IpProtocol": props["protocol"],
        "FromPort": -1 if props.get("from_port") is None else props["from_port"],
        "ToPort": -1 if props.get("to_port") is None else props["to_port"],
        # Empty removes a description.
        "Description": props.get("description") or "",
    }
    for peer, field_name in _REQUEST_PEER.items():
        if props.get(peer) is not None:
            request[field_name] = props[peer]
    return request


class SecurityGroupRuleProvider(Ec2Provider):
    rtype = SECURITY_GROUP_RULE
    describe_method = "describe_security_group_rules"
    result_key = "SecurityGroupRules"
    id_filter_name = "security-group-rule-id"
    tag_resource_type = "security-group-rule"

    def to_live(self, region: str, rule: dict[str, Any]) -> LiveResource:
        rule_id = rule["SecurityGroupRuleId"]
        tags, owner = split_tags(rule.get("Tags"))
        account = rule.get("GroupOwnerId") or ""
        properties = {
            **rule_properties(rule),
            "tags": tags,
            "id": rule_id,
            "arn": rule.get("SecurityGroupRuleArn")
            or ec2_arn(region, account, "security-group-rule", rule_id),
        }
        return LiveResource.tagged(self.rtype.name, rule_id, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        group_id = props["security_group_id"]
        direction = props["direction"]
        call = getattr(self.ec2(ctx.region), f"authorize_security_group_{direction}")
        answers: list[dict[str, Any]] = []

        def authorize() -> None:
            answers.append(
                call(
                    GroupId=group_id,
                    IpPermissions=[permission_for(_atom(props), group_id)],
                    TagSpecifications=self.creation_tags(ctx, props),
                )
            )

        try:
            retry_while(
                authorize,
                codes=set(),
                matches=_not_visible_yet,
                deadline=ctx.timing.visibility_deadline,
                timing=ctx.timing,
                events=ctx.events,
                operation=f"ec2.AuthorizeSecurityGroup{direction.title()}",
            )
        except ClientError as error:
            # A resend after a lost answer finds the rule its first request made, tagged.
            made = self._made_already(ctx, props) if _duplicate(error) else None
            if made is None:
                raise self._refused(ctx, props, error) from error
            return made
        [created] = answers[-1]["SecurityGroupRules"]
        return self.read_after_write(ctx, created["SecurityGroupRuleId"])

    def _made_already(self, ctx: ResourceContext, props: Mapping[str, Any]) -> LiveResource | None:
        """This resource's own rule, if AWS already holds it (tagged as this logical id)."""
        for found in self.find_claimants(ctx.region, ctx.stack, ctx.logical_id):
            if all(found.properties.get(key) == props.get(key) for key in IDENTITY):
                return found
        return None

    def _refused(
        self, ctx: ResourceContext, props: Mapping[str, Any], error: Exception
    ) -> Exception:
        """The error to raise for a refused create, with what to do where that is known."""
        group_id, direction = props["security_group_id"], props["direction"]
        if _duplicate(error):
            return ProviderError(
                f"security group {group_id} already has this {direction} rule",
                code=error_code(error),
                address=ctx.address,
                hint="it is listed in the group's own rules or was added by hand: remove it "
                "there, or remove this rule resource",
            )
        if has_code(error, _NOT_VISIBLE_YET) and _OTHER_NETWORK in str(error):
            return ProviderError(
                f"security group {group_id} and its peer "
                f"{props.get('referenced_security_group_id')} are in different VPCs",
                code=error_code(error),
                address=ctx.address,
                hint="a rule may name a group of its own VPC (or of a peered VPC) only",
            )
        return error

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        if any(change.path == "description" for change in changes):
            self.ec2(ctx.region).modify_security_group_rules(
                GroupId=live.properties["security_group_id"],
                SecurityGroupRules=[
                    {"SecurityGroupRuleId": live.physical_id, "SecurityGroupRule": _request(props)}
                ],
            )
        self.sync_user_tags(ctx, live.physical_id, props["tags"], live.properties["tags"])
        return read_settled(self, ctx, live.physical_id, props)

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        direction = live.properties["direction"]
        call = getattr(self.ec2(ctx.region), f"revoke_security_group_{direction}")
        # Gone already (InvalidSecurityGroupRuleId.NotFound), or gone with its group
        # (InvalidGroup.NotFound): what a delete wants.
        self.ignore_not_found(
            lambda: call(
                GroupId=live.properties["security_group_id"],
                SecurityGroupRuleIds=[live.physical_id],
            )
        )


def _duplicate(error: BaseException) -> bool:
    return error_code(error) == "InvalidPermission.Duplicate"


def _not_visible_yet(error: BaseException) -> bool:
    return error_code(error) == _NOT_VISIBLE_YET and _OTHER_NETWORK not in str(error)
