"""Security group rule resources beside their groups, beyond the generic contract."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.config.loader import canonical_properties
from stackdeploy.errors import ProviderError
from stackdeploy.events import Recorder
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.diff import diff_properties
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.security_group import SecurityGroupProvider
from stackdeploy.providers.ec2.security_group_rule import SecurityGroupRuleProvider
from stackdeploy.specs.ec2.security_group import SECURITY_GROUP
from stackdeploy.specs.ec2.security_group_rule import SECURITY_GROUP_RULE
from tests.providers.harness import REGION, STACK, Prerequisites

SSH_FROM_VPC = {"protocol": "tcp", "port": 22, "cidr_blocks": ["10.0.0.0/8"]}


@pytest.fixture
def prereqs(aws: str) -> Prerequisites:
    return Prerequisites(aws)


def _ctx(clients: ClientFactory, logical_id: str) -> ResourceContext:
    return ResourceContext(STACK, logical_id, REGION, uuid.uuid4().hex, Recorder(), clients.timing)


def _rule(clients: ClientFactory, logical_id: str, **raw: Any) -> LiveResource:
    props = canonical_properties(SECURITY_GROUP_RULE, raw, STACK, logical_id, {})
    return SecurityGroupRuleProvider(clients).create(_ctx(clients, logical_id), props)


def _group_update(
    groups: SecurityGroupProvider, clients: ClientFactory, group_id: str, props: dict[str, Any]
) -> LiveResource:
    live = groups.read(REGION, group_id)
    assert live is not None
    changes = diff_properties(SECURITY_GROUP, props, live.properties)
    return groups.update(_ctx(clients, "app_sg"), live, props, changes)


def test_a_group_leaves_the_rules_of_rule_resources_alone(
    clients: ClientFactory, prereqs: Prerequisites
) -> None:
    """Neither read as the group's own rules (no drift) nor revoked by its updates."""
    groups = SecurityGroupProvider(clients)
    raw = {"vpc_id": prereqs.vpc_id(), "ingress": [], "egress": []}
    props = canonical_properties(SECURITY_GROUP, raw, STACK, "app_sg", {})
    group = groups.create(_ctx(clients, "app_sg"), props)
    peer = prereqs.security_group_id("lb")
    inbound = _rule(
        clients,
        "app_from_lb",
        security_group_id=group.physical_id,
        direction="ingress",
        port=8080,
        referenced_security_group_id=peer,
    )
    outbound = _rule(
        clients,
        "app_to_db",
        security_group_id=group.physical_id,
        direction="egress",
        port=5432,
        cidr_ipv4="10.0.2.0/24",
    )
    read = groups.read(REGION, group.physical_id)
    assert read is not None
    assert (read.properties["ingress"], read.properties["egress"]) == ([], [])
    assert diff_properties(SECURITY_GROUP, props, read.properties) == []

    listed = canonical_properties(
        SECURITY_GROUP, {**raw, "ingress": [SSH_FROM_VPC]}, STACK, "app_sg", {}
    )
    _group_update(groups, clients, group.physical_id, listed)
    _group_update(groups, clients, group.physical_id, props)  # and none listed again
    rules = SecurityGroupRuleProvider(clients).read_many(
        REGION, [inbound.physical_id, outbound.physical_id]
    )
    assert sorted(rules) == sorted([inbound.physical_id, outbound.physical_id])
    permissions = prereqs.ec2.describe_security_groups(GroupIds=[group.physical_id])[
        "SecurityGroups"
    ][0]
    assert [p["FromPort"] for p in permissions["IpPermissions"]] == [8080]
    assert [p["FromPort"] for p in permissions["IpPermissionsEgress"]] == [5432]


def test_a_resent_create_finds_the_rule_its_first_request_made(
    clients: ClientFactory, prereqs: Prerequisites
) -> None:
    """An answer lost on the way back: the resend is refused as a duplicate, and the rule
    the first request made (tagged in that request) is the result."""
    raw = {
        "security_group_id": prereqs.security_group_id("app"),
        "direction": "ingress",
        "port": 443,
        "cidr_ipv4": "10.0.0.0/8",
    }
    first = _rule(clients, "https", **raw)
    assert _rule(clients, "https", **raw).physical_id == first.physical_id


def test_the_same_rule_made_by_someone_else_is_a_clear_error(
    clients: ClientFactory, prereqs: Prerequisites
) -> None:
    group = prereqs.security_group_id("app")
    prereqs.ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            }
        ],
    )
    with pytest.raises(ProviderError) as raised:
        _rule(
            clients,
            "https",
            security_group_id=group,
            direction="ingress",
            port=443,
            cidr_ipv4="10.0.0.0/8",
        )
    assert f"security group {group} already has this ingress rule" in raised.value.message
    assert "listed in the group's own rules or was added by hand" in (raised.value.hint or "")


def test_a_description_is_removed_in_place(clients: ClientFactory, prereqs: Prerequisites) -> None:
    raw = {
        "security_group_id": prereqs.security_group_id("app"),
        "direction": "egress",
        "protocol": "all",
        "cidr_ipv4": "10.0.0.0/8",
        "description": "to the VPC",
    }
    created = _rule(clients, "out", **raw)
    assert created.properties["description"] == "to the VPC"
    props = canonical_properties(SECURITY_GROUP_RULE, {**raw, "description": ""}, STACK, "out", {})
    changes = diff_properties(SECURITY_GROUP_RULE, props, created.properties)
    assert [c.path for c in changes] == ["description"]
    updated = SecurityGroupRuleProvider(clients).update(
        _ctx(clients, "out"), created, props, changes
    )
    assert updated.physical_id == created.physical_id
    assert updated.properties["description"] == ""
