"""The security group rule rules of the strictness layer fire as AWS would, then clear; and
the rule provider meets them as it would meet AWS."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.config.loader import canonical_properties
from stackdeploy.errors import ProviderError
from stackdeploy.events import Recorder
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.security_group_rule import SecurityGroupRuleProvider
from stackdeploy.specs.ec2.security_group_rule import SECURITY_GROUP_RULE
from tests.conftest import REGION
from tests.strict.core import StrictAws
from tests.strict.probe import hooked_client, refusal


@pytest.fixture
def layer(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    strict = StrictAws(aws, throttle_rate=0.0, refusals_advance_time=False)
    strict.install(monkeypatch)
    return strict


@pytest.fixture
def ec2(layer: StrictAws, aws: str) -> Any:
    return hooked_client(aws, "ec2")


@pytest.fixture
def truth(layer: StrictAws) -> Any:
    return layer.plain("ec2", REGION)


def _error(call: Callable[[], object]) -> tuple[str, str]:
    code, message, _ = refusal(call)
    return code, message


def _group(truth: Any, name: str, vpc: str) -> str:
    return str(truth.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"])


def _vpc(truth: Any, cidr: str = "10.5.0.0/16") -> str:
    return str(truth.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"])


def _from(peer: str, port: int = 80, **pair: Any) -> list[dict[str, Any]]:
    return [
        {
            "IpProtocol": "tcp",
            "FromPort": port,
            "ToPort": port,
            "UserIdGroupPairs": [{"GroupId": peer, **pair}],
        }
    ]


def test_a_peer_group_in_another_vpc_is_refused_unless_peered(ec2: Any, truth: Any) -> None:
    vpc, other = _vpc(truth), _vpc(truth, "10.6.0.0/16")
    app, lb, elsewhere = (
        _group(truth, "app", vpc),
        _group(truth, "lb", vpc),
        _group(truth, "x", other),
    )
    refused = _error(
        lambda: ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=_from(elsewhere))
    )
    assert refused == (
        "InvalidGroup.NotFound",
        "You have specified two resources that belong to different networks.",
    )
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=_from(lb))  # same VPC
    peering = truth.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=other)
    truth.accept_vpc_peering_connection(
        VpcPeeringConnectionId=peering["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    )
    ec2.authorize_security_group_egress(GroupId=app, IpPermissions=_from(elsewhere))


def test_a_rule_id_the_group_does_not_hold_is_not_found(ec2: Any, truth: Any) -> None:
    vpc = _vpc(truth)
    app, lb = _group(truth, "app", vpc), _group(truth, "lb", vpc)
    [rule] = truth.authorize_security_group_ingress(GroupId=app, IpPermissions=_from(lb))[
        "SecurityGroupRules"
    ]
    rule_id = rule["SecurityGroupRuleId"]
    wrong_way = _error(
        lambda: ec2.revoke_security_group_egress(GroupId=app, SecurityGroupRuleIds=[rule_id])
    )
    assert wrong_way[0] == "InvalidSecurityGroupRuleId.NotFound"
    ec2.revoke_security_group_ingress(GroupId=app, SecurityGroupRuleIds=[rule_id])
    again = _error(
        lambda: ec2.revoke_security_group_ingress(GroupId=app, SecurityGroupRuleIds=[rule_id])
    )
    assert again == (
        "InvalidSecurityGroupRuleId.NotFound",
        f"The security group rule ID '{rule_id}' does not exist",
    )


def test_a_group_peers_description_is_read_as_aws_reports_it(ec2: Any, truth: Any) -> None:
    vpc = _vpc(truth)
    app, lb = _group(truth, "app", vpc), _group(truth, "lb", vpc)
    truth.authorize_security_group_ingress(
        GroupId=app, IpPermissions=_from(lb, Description="from the load balancer")
    )
    truth.authorize_security_group_ingress(GroupId=app, IpPermissions=_from(lb, port=81))
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [app]}])
    described = {
        r["FromPort"]: r.get("Description")
        for r in rules["SecurityGroupRules"]
        if not r["IsEgress"]
    }
    assert described == {80: "from the load balancer", 81: None}
    moto_alone = truth.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [app]}]
    )
    assert all("Description" not in r for r in moto_alone["SecurityGroupRules"])  # the leniency


def test_the_rule_provider_names_a_peer_in_another_vpc(
    layer: StrictAws, truth: Any, clients: ClientFactory
) -> None:
    """Not retried for the visibility window as a group just created would be."""
    app, elsewhere = (
        _group(truth, "app", _vpc(truth)),
        _group(truth, "x", _vpc(truth, "10.7.0.0/16")),
    )
    props = canonical_properties(
        SECURITY_GROUP_RULE,
        {
            "security_group_id": app,
            "direction": "ingress",
            "port": 80,
            "referenced_security_group_id": elsewhere,
        },
        "rules",
        "from_elsewhere",
        {},
    )
    ctx = ResourceContext(
        "rules", "from_elsewhere", REGION, uuid.uuid4().hex, Recorder(), clients.timing
    )
    with pytest.raises(ProviderError) as raised:
        SecurityGroupRuleProvider(clients).create(ctx, props)
    assert f"security group {app} and its peer {elsewhere} are in different VPCs" in str(
        raised.value
    )
    assert layer.calls["ec2.AuthorizeSecurityGroupIngress"] == 1
