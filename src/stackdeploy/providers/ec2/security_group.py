"""aws.ec2.security_group on EC2: CreateSecurityGroup, then rules by authorize/revoke.

The group manages the rules it lists, and only those: rules that aws.ec2.security_group_rule
resources add (known by their ownership tags) are neither read as the group's nor revoked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from stackdeploy.aws.errors import has_code
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.types import PropertyChange
from stackdeploy.providers.base import ResourceContext, until_visible
from stackdeploy.providers.ec2.base import Ec2Provider
from stackdeploy.providers.ec2.common import ec2_arn, id_filter
from stackdeploy.providers.ec2.group_moves import move_stack_instances
from stackdeploy.providers.ec2.settle import read_settled
from stackdeploy.providers.ec2.sg_rules import (
    DEFAULT_EGRESS,
    atom_of_rule,
    atoms_from_permissions,
    permission_for,
    rule_changes,
)
from stackdeploy.providers.ownership import split_tags
from stackdeploy.specs.base import OWNERSHIP_TAG_ID
from stackdeploy.specs.ec2.security_group import SECURITY_GROUP, atom_key

DIRECTIONS = ("ingress", "egress")
# Values AWS takes in one filter of DescribeSecurityGroupRules.
_FILTER_VALUES = 200
# A group just created, or a peer group another step just created, can be unknown for a
# moment to the rule calls.
_NOT_VISIBLE_YET = frozenset({"InvalidGroup.NotFound"})
Atoms = list[dict[str, Any]]
# (group id, direction) -> atom keys of the rules that rule resources own there.
SeparateRules = Mapping[tuple[str, str], set[str]]


class SecurityGroupProvider(Ec2Provider):
    rtype = SECURITY_GROUP
    describe_method = "describe_security_groups"
    result_key = "SecurityGroups"
    id_filter_name = "group-id"
    tag_resource_type = "security-group"

    def _describe(
        self, region: str, filters: list[dict[str, Any]], *, separate_rules: bool = True
    ) -> list[LiveResource]:
        groups = self.describe_items(region, filters)
        ids = [group["GroupId"] for group in groups]
        separate = self._separate_rules(region, ids) if separate_rules else {}
        return [self._live(region, group, separate) for group in groups]

    def _read_new(self, ctx: ResourceContext, group_id: str) -> LiveResource:
        """A group just created, read without asking for the rules of rule resources: they
        come after their group, so there are none yet (one call per read-back, not two)."""

        def read() -> LiveResource | None:
            filters = id_filter(self.id_filter_name, [group_id])
            return next(iter(self._describe(ctx.region, filters, separate_rules=False)), None)

        return until_visible(ctx, read, what=group_id, operation=f"read {self.rtype.name}")

    def _separate_rules(self, region: str, group_ids: list[str]) -> SeparateRules:
        """The rules of these groups that aws.ec2.security_group_rule resources own (they carry
        ownership tags; rules listed in a group carry none), by group and direction: the group
        neither reads them as its own nor revokes them. One call per 200 groups."""
        separate: SeparateRules = defaultdict(set)
        for start in range(0, len(group_ids), _FILTER_VALUES):
            filters = [
                {"Name": "group-id", "Values": group_ids[start : start + _FILTER_VALUES]},
                {"Name": "tag-key", "Values": [OWNERSHIP_TAG_ID]},
            ]
            for rule in self.ec2(region).paginate(
                "describe_security_group_rules", "SecurityGroupRules", Filters=filters
            ):
                direction = "egress" if rule.get("IsEgress") else "ingress"
                separate[(rule["GroupId"], direction)].add(atom_key(atom_of_rule(rule)))
        return separate

    def to_live(self, region: str, group: dict[str, Any]) -> LiveResource:
        """The group as if no rule resource added rules to it (_describe knows better)."""
        return self._live(region, group, {})

    def _live(self, region: str, group: dict[str, Any], separate: SeparateRules) -> LiveResource:
        group_id = group["GroupId"]
        account = group["OwnerId"]
        tags, owner = split_tags(group.get("Tags"))

        def listed(direction: str, permissions: str) -> Atoms:
            atoms = atoms_from_permissions(group.get(permissions, []), group_id)
            owned = separate.get((group_id, direction), set())
            return [atom for atom in atoms if atom_key(atom) not in owned]

        properties = {
            "name": group["GroupName"],
            "description": group.get("Description", ""),
            "vpc_id": group.get("VpcId"),
            "ingress": listed("ingress", "IpPermissions"),
            "egress": listed("egress", "IpPermissionsEgress"),
            "tags": tags,
            "id": group_id,
            "arn": group.get("SecurityGroupArn")
            or ec2_arn(region, account, "security-group", group_id),
            "owner_id": account,
        }
        return LiveResource.tagged(self.rtype.name, group_id, region, properties, owner)

    def create(self, ctx: ResourceContext, props: dict[str, Any]) -> LiveResource:
        ec2 = self.clients.client("ec2", ctx.region)
        response = ec2.create_security_group(
            GroupName=props["name"],
            Description=props["description"],
            VpcId=props["vpc_id"],
            TagSpecifications=self.creation_tags(ctx, props),
        )
        group_id = response["GroupId"]
        # AWS gives a new group no ingress and one egress rule, allow-all to 0.0.0.0/0.
        # Rules are diffed against that rather than read, as a read this early may miss it.
        self._converge(ctx, group_id, {"ingress": [], "egress": [DEFAULT_EGRESS]}, props)
        return read_settled(self, ctx, group_id, props, read=self._read_new)

    def update(
        self,
        ctx: ResourceContext,
        live: LiveResource,
        props: dict[str, Any],
        changes: Sequence[PropertyChange],
    ) -> LiveResource:
        # Read afresh: the rules now in AWS, not as planned, decide what to authorize.
        current = self.read(ctx.region, live.physical_id)
        if current is None:
            raise ProviderError(
                f"security group {live.physical_id} no longer exists",
                code="InvalidGroup.NotFound",
                address=ctx.address,
                hint="run plan again: it will create the group anew",
            )
        self._converge(ctx, live.physical_id, current.properties, props)
        self.sync_user_tags(ctx, live.physical_id, props["tags"], current.properties["tags"])
        return read_settled(self, ctx, live.physical_id, props)

    def _converge(
        self,
        ctx: ResourceContext,
        group_id: str,
        current: dict[str, Any],
        desired: dict[str, Any],
    ) -> None:
        for direction in DIRECTIONS:
            changes = rule_changes(current[direction], desired[direction])
            try:
                # New rules first, so traffic allowed both before and after (a CIDR widened
                # to its supernet, a custom egress replacing allow-all) never stops.
                self._authorize(ctx, group_id, direction, changes.added)
            except ClientError as error:
                if not has_code(error, "RulesPerSecurityGroupLimitExceeded"):
                    raise
                # No room beside the old rules: make room first.
                self._revoke(ctx, group_id, direction, changes.removed)
                self._authorize(ctx, group_id, direction, changes.added)
            else:
                self._revoke(ctx, group_id, direction, changes.removed)
            self._redescribe(ctx, group_id, direction, changes.redescribed)

    def _authorize(self, ctx: ResourceContext, group_id: str, direction: str, atoms: Atoms) -> None:
        if not atoms:
            return
        ec2 = self.clients.client("ec2", ctx.region)
        call = getattr(ec2, f"authorize_security_group_{direction}")

        def authorize(batch: Atoms) -> None:
            permissions = [permission_for(atom, group_id) for atom in batch]
            self.while_not_visible(
                ctx,
                f"ec2.AuthorizeSecurityGroup{direction.title()}",
                lambda: call(GroupId=group_id, IpPermissions=permissions),
                _NOT_VISIBLE_YET,
            )

        try:
            authorize(atoms)
        except ClientError as error:
            if not has_code(error, "InvalidPermission.Duplicate"):
                raise
            # One call is all or nothing, and some rules are already there (a re-run after
            # an interruption, or someone else): add the others one by one.
            for atom in atoms:
                try:
                    authorize([atom])
                except ClientError as single:
                    if not has_code(single, "InvalidPermission.Duplicate"):
                        raise
                    # Present already, maybe with another description: set ours.
                    self._redescribe(ctx, group_id, direction, [atom])

    def _revoke(self, ctx: ResourceContext, group_id: str, direction: str, atoms: Atoms) -> None:
        if not atoms:
            return
        ec2 = self.clients.client("ec2", ctx.region)
        call = getattr(ec2, f"revoke_security_group_{direction}")

        def revoke(batch: Atoms) -> None:
            permissions = [permission_for(atom, group_id) for atom in batch]
            call(GroupId=group_id, IpPermissions=permissions)

        try:
            revoke(atoms)
        except ClientError as error:
            if not has_code(error, "InvalidPermission.NotFound"):
                raise
            # Some were gone already: revoke the rest one by one; gone is what we want.
            for atom in atoms:
                self.ignore_not_found(partial(revoke, [atom]))

    def _redescribe(
        self, ctx: ResourceContext, group_id: str, direction: str, atoms: Atoms
    ) -> None:
        if not atoms:
            return
        ec2 = self.clients.client("ec2", ctx.region)
        call = getattr(ec2, f"update_security_group_rule_descriptions_{direction}")
        # An atom without a description omits it, which is how AWS removes one.
        permissions = [permission_for(atom, group_id) for atom in atoms]
        self.while_not_visible(
            ctx,
            f"ec2.UpdateSecurityGroupRuleDescriptions{direction.title()}",
            lambda: call(GroupId=group_id, IpPermissions=permissions),
            _NOT_VISIBLE_YET,
        )

    def delete(self, ctx: ResourceContext, live: LiveResource) -> None:
        ec2 = self.clients.client("ec2", ctx.region)
        if ctx.successor_id:
            move_stack_instances(ec2, ctx.stack, live.physical_id, ctx.successor_id)
        # AWS refuses while network interfaces use the group (they drain for a while after
        # their instance or load balancer is gone) or other groups' rules reference it.
        self.delete_retrying(
            ctx,
            lambda: ec2.delete_security_group(GroupId=live.physical_id),
            operation="ec2.DeleteSecurityGroup",
            codes=frozenset({"DependencyViolation", "InvalidGroup.InUse"}),
        )
