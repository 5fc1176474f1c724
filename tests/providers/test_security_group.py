"""Security group behaviour users rely on, beyond the generic contract."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.config.loader import canonical_properties
from stackdeploy.events import Recorder, Retrying
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.diff import diff_properties
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.security_group import SecurityGroupProvider
from stackdeploy.providers.ec2.sg_rules import atoms_from_permissions, rule_changes, sort_atoms
from stackdeploy.specs.ec2.security_group import SECURITY_GROUP
from tests.providers.harness import REGION, STACK, Prerequisites, intercept

HTTP_FROM_VPC = {"protocol": "tcp", "port": 80, "cidr_blocks": ["10.0.0.0/8"]}
ALL_EGRESS = {"protocol": "-1", "cidr_ipv4": "0.0.0.0/0"}


@pytest.fixture
def provider(clients: ClientFactory) -> SecurityGroupProvider:
    return SecurityGroupProvider(clients)


@pytest.fixture
def prereqs(aws: str) -> Prerequisites:
    return Prerequisites(aws)


def _ctx(clients: ClientFactory, events: Recorder | None = None) -> ResourceContext:
    return ResourceContext(
        stack=STACK,
        logical_id="web",
        region=REGION,
        token=uuid.uuid4().hex,
        events=events or Recorder(),
        timing=clients.timing,
    )


def _props(prereqs: Prerequisites, **raw: Any) -> dict[str, Any]:
    return canonical_properties(
        SECURITY_GROUP, {"vpc_id": prereqs.vpc_id(), **raw}, STACK, "web", {}
    )


def _update(
    provider: SecurityGroupProvider,
    ctx: ResourceContext,
    live: LiveResource,
    props: dict[str, Any],
) -> LiveResource:
    changes = diff_properties(SECURITY_GROUP, props, live.properties)
    updated = provider.update(ctx, live, props, changes)
    assert diff_properties(SECURITY_GROUP, props, updated.properties) == []
    return updated


def _raw_group(prereqs: Prerequisites, group_id: str) -> dict[str, Any]:
    groups = prereqs.ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    return dict(groups[0])


def _record_calls(clients: ClientFactory) -> list[str]:
    """The EC2 operations the provider's client sends, in order."""
    sent: list[str] = []

    def record(model: Any, **_: Any) -> None:
        sent.append(model.name)

    clients.client("ec2", REGION).meta.events.register("before-call.ec2", record)
    return sent


def test_omitted_egress_keeps_the_default_without_calls(
    provider: SecurityGroupProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    sent = _record_calls(clients)
    created = provider.create(_ctx(clients), _props(prereqs, ingress=[HTTP_FROM_VPC]))
    assert created.properties["egress"] == [ALL_EGRESS]
    assert not [op for op in sent if op.endswith("SecurityGroupEgress")]


def test_custom_egress_removes_the_default_allow_all(
    provider: SecurityGroupProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    https_out = {"protocol": "tcp", "port": 443, "cidr_blocks": ["0.0.0.0/0"]}
    created = provider.create(_ctx(clients), _props(prereqs, egress=[https_out]))

    egress = _raw_group(prereqs, created.physical_id)["IpPermissionsEgress"]
    assert [(p["IpProtocol"], p.get("FromPort")) for p in egress] == [("tcp", 443)]
    assert created.properties["egress"] == [
        {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0"}
    ]


def test_no_egress_at_all_is_possible(
    provider: SecurityGroupProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    created = provider.create(_ctx(clients), _props(prereqs, egress=[]))
    assert _raw_group(prereqs, created.physical_id)["IpPermissionsEgress"] == []


def test_self_rule_reads_back_as_self(
    provider: SecurityGroupProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    created = provider.create(
        _ctx(clients), _props(prereqs, ingress=[{"protocol": "all", "self": True}])
    )
    pairs = _raw_group(prereqs, created.physical_id)["IpPermissions"][0]["UserIdGroupPairs"]
    assert [pair["GroupId"] for pair in pairs] == [created.physical_id]
    assert created.properties["ingress"] == [{"protocol": "-1", "self": True}]


def test_description_only_change_updates_without_revoking(
    provider: SecurityGroupProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    ctx = _ctx(clients)
    created = provider.create(
        ctx, _props(prereqs, ingress=[{**HTTP_FROM_VPC, "description": "old text"}])
    )
    sent = _record_calls(clients)

    updated = _update(
        provider, ctx, created, _props(prereqs, ingress=[{**HTTP_FROM_VPC, "description": "new"}])
    )

    assert "UpdateSecurityGroupRuleDescriptionsIngress" in sent
    assert not [op for op in sent if op.startswith(("Revoke", "Authorize"))]
    assert updated.properties["ingress"][0]["description"] == "new"


def test_changed_rule_is_authorized_before_the_old_one_is_revoked(
    provider: SecurityGroupProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    """Widening 10.0.0.0/8 to 0.0.0.0/0 must not cut off 10.x traffic in between."""
    ctx = _ctx(clients)
    created = provider.create(ctx, _props(prereqs, ingress=[HTTP_FROM_VPC]))
    sent = _record_calls(clients)

    _update(
        provider,
        ctx,
        created,
        _props(prereqs, ingress=[{**HTTP_FROM_VPC, "cidr_blocks": ["0.0.0.0/0"]}]),
    )

    rule_calls = [op for op in sent if op.endswith("SecurityGroupIngress")]
    assert rule_calls == ["AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"]


def test_rules_already_present_are_fine(
    provider: SecurityGroupProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    """Someone (or an interrupted earlier run) added one of the rules first: the others still
    go in, and the present one is not an error."""
    present = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80}
    present["IpRanges"] = [{"CidrIp": "10.0.0.0/8"}]  # without the description we declare
    raced = False

    def add_it_first(params: dict[str, Any]) -> str | None:
        nonlocal raced
        if not raced:
            raced = True
            prereqs.ec2.authorize_security_group_ingress(
                GroupId=params["GroupId"], IpPermissions=[present]
            )
        return None  # then the provider's own call goes to moto, which finds it present

    intercept(clients, "AuthorizeSecurityGroupIngress", add_it_first)
    https = {"protocol": "tcp", "port": 443, "cidr_blocks": ["10.0.0.0/8"]}
    props = _props(prereqs, ingress=[{**HTTP_FROM_VPC, "description": "web"}, https])

    created = provider.create(_ctx(clients), props)

    assert diff_properties(SECURITY_GROUP, props, created.properties) == []


def test_numeric_protocols_read_as_their_names(
    provider: SecurityGroupProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    """Rules added elsewhere by number must not show as a change against tcp/icmpv6."""
    props = _props(prereqs)
    created = provider.create(_ctx(clients), props)
    prereqs.ec2.authorize_security_group_ingress(
        GroupId=created.physical_id,
        IpPermissions=[
            {
                "IpProtocol": "6",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            },
            {
                "IpProtocol": "58",
                "FromPort": -1,
                "ToPort": -1,
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            },
        ],
    )
    declared = _props(
        prereqs,
        ingress=[
            {"protocol": "tcp", "port": 22, "cidr_blocks": ["10.0.0.0/8"]},
            {"protocol": "icmpv6", "ipv6_cidr_blocks": ["::/0"]},
        ],
    )
    live = provider.read(REGION, created.physical_id)
    assert live is not None
    assert diff_properties(SECURITY_GROUP, declared, live.properties) == []


def test_delete_waits_while_the_group_is_in_use(
    provider: SecurityGroupProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    ctx = _ctx(clients, events := Recorder())
    created = provider.create(ctx, _props(prereqs))
    failures = iter(["DependencyViolation", "InvalidGroup.InUse"])
    intercept(clients, "DeleteSecurityGroup", lambda params: next(failures, None))

    provider.delete(ctx, created)

    assert provider.read(REGION, created.physical_id) is None
    codes = [e.code for e in events.of(Retrying) if isinstance(e, Retrying)]
    assert codes == ["DependencyViolation", "InvalidGroup.InUse"]


def test_aws_permissions_split_into_atoms() -> None:
    permissions: list[dict[str, Any]] = [
        {
            "IpProtocol": "tcp",
            "FromPort": 80,
            "ToPort": 80,
            "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "web"}, {"CidrIp": "1.2.3.4/32"}],
            "Ipv6Ranges": [{"CidrIpv6": "::/0", "Description": ""}],
            "PrefixListIds": [{"PrefixListId": "pl-1"}],
            "UserIdGroupPairs": [{"GroupId": "sg-me", "UserId": "1"}, {"GroupId": "sg-peer"}],
        },
        {"IpProtocol": "50", "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
    ]
    port = {"protocol": "tcp", "from_port": 80, "to_port": 80}
    expected: list[dict[str, Any]] = [
        {**port, "cidr_ipv4": "10.0.0.0/8", "description": "web"},
        {**port, "cidr_ipv4": "1.2.3.4/32"},
        {**port, "cidr_ipv6": "::/0"},  # an empty description is no description
        {**port, "prefix_list_id": "pl-1"},
        {**port, "self": True},
        {**port, "security_group_id": "sg-peer"},
        {"protocol": "50", "cidr_ipv4": "10.0.0.0/8"},  # no ports: AWS allows them all
    ]
    assert atoms_from_permissions(permissions, "sg-me") == sort_atoms(expected)


def test_rule_changes_separate_descriptions_from_rules() -> None:
    kept = {"protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "10.0.0.0/8"}
    changes = rule_changes(
        [kept, {**ALL_EGRESS, "description": "old"}, {"protocol": "-1", "self": True}],
        [
            kept,
            {**ALL_EGRESS, "description": "new"},
            {"protocol": "udp", "from_port": 53, "to_port": 53, "self": True},
        ],
    )
    assert changes.redescribed == [{**ALL_EGRESS, "description": "new"}]
    assert changes.removed == [{"protocol": "-1", "self": True}]
    assert changes.added == [{"protocol": "udp", "from_port": 53, "to_port": 53, "self": True}]
