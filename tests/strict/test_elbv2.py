"""The ELB v2 strictness rules: each fires the way AWS would, then clears."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import REGION
from tests.strict import ec2, elbv2
from tests.strict.core import StrictAws
from tests.strict.probe import hooked_client, refusal


@pytest.fixture
def layer(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """The EC2 and ELB v2 rules without throttling; refused calls let time pass."""
    strict = StrictAws(
        aws,
        throttle_rate=0.0,
        pending_polls=2,
        refusals_advance_time=True,
        families=(ec2.register, elbv2.register),
    )
    strict.install(monkeypatch)
    return strict


@pytest.fixture
def elb(layer: StrictAws, aws: str) -> Any:
    return hooked_client(aws, "elbv2")


@pytest.fixture
def ec2_client(layer: StrictAws, aws: str) -> Any:
    return hooked_client(aws, "ec2")


class Network:
    """A VPC with an attached internet gateway, three subnets (a, a, b) and a group."""

    def __init__(self, truth: Any) -> None:
        self.vpc = truth.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        self.a, self.a2, self.b = (
            truth.create_subnet(VpcId=self.vpc, CidrBlock=cidr, AvailabilityZone=f"{REGION}{zone}")[
                "Subnet"
            ]["SubnetId"]
            for cidr, zone in (("10.9.1.0/24", "a"), ("10.9.2.0/24", "a"), ("10.9.3.0/24", "b"))
        )
        self.igw = truth.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        truth.attach_internet_gateway(InternetGatewayId=self.igw, VpcId=self.vpc)
        self.group = truth.create_security_group(
            GroupName="alb", Description="alb", VpcId=self.vpc
        )["GroupId"]


@pytest.fixture
def net(layer: StrictAws) -> Network:
    return Network(layer.plain("ec2", REGION))


def _error(call: Callable[[], object]) -> tuple[str, str]:
    code, message, _ = refusal(call)
    return code, message


def _create(elb: Any, net: Network, name: str = "web", **extra: Any) -> str:
    created = elb.create_load_balancer(
        Name=name, Subnets=[net.a, net.b], SecurityGroups=[net.group], **extra
    )
    return str(created["LoadBalancers"][0]["LoadBalancerArn"])


def _state(elb: Any, arn: str) -> str:
    return str(
        elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]
    )


def test_new_load_balancer_is_provisioning_for_two_polls_then_active(
    elb: Any, layer: StrictAws, net: Network
) -> None:
    created = elb.create_load_balancer(Name="web", Subnets=[net.a, net.b])["LoadBalancers"][0]
    assert created["State"]["Code"] == "provisioning"
    arn = created["LoadBalancerArn"]
    assert [_state(elb, arn) for _ in range(3)] == ["provisioning", "provisioning", "active"]


def test_subnets_must_span_two_zones_one_subnet_each(elb: Any, net: Network) -> None:
    two_zones = "At least two subnets in two different Availability Zones must be specified"
    assert _error(lambda: elb.create_load_balancer(Name="one", Subnets=[net.a])) == (
        "ValidationError",
        two_zones,
    )
    assert _error(lambda: elb.create_load_balancer(Name="same", Subnets=[net.a, net.a2]))[0] == (
        "ValidationError"
    )
    code, message = _error(
        lambda: elb.create_load_balancer(Name="three", Subnets=[net.a, net.a2, net.b])
    )
    assert code == "InvalidConfigurationRequest"
    assert "multiple subnets in the same Availability Zone" in message
    _create(elb, net)  # two zones, one subnet each: fine


def test_names_over_32_characters_or_with_other_characters_are_refused(
    elb: Any, net: Network
) -> None:
    code, message = _error(lambda: _create(elb, net, name="x" * 33))
    assert (code, "cannot be longer than '32' characters" in message) == ("ValidationError", True)
    assert _error(lambda: _create(elb, net, name="web_lb"))[0] == "ValidationError"
    _create(elb, net, name="x" * 32)


def test_internet_facing_needs_the_vpcs_internet_gateway(
    elb: Any, net: Network, layer: StrictAws
) -> None:
    truth = layer.plain("ec2", REGION)
    truth.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)
    code, message = _error(lambda: _create(elb, net))
    assert (code, message) == ("InvalidSubnet", f"VPC {net.vpc} has no internet gateway")
    _create(elb, net, name="inside", Scheme="internal")


def test_same_name_returns_the_existing_one_or_refuses_other_settings(
    elb: Any, net: Network, layer: StrictAws
) -> None:
    first = _create(elb, net)
    assert _create(elb, net) == first  # same settings: AWS hands back the first one
    truth = layer.plain("elbv2", REGION)
    assert [lb["LoadBalancerArn"] for lb in truth.describe_load_balancers()["LoadBalancers"]] == [
        first
    ]
    code, message = _error(lambda: _create(elb, net, Scheme="internal"))
    assert code == "DuplicateLoadBalancerName"
    assert "exists, but with different settings" in message


def test_without_security_groups_the_vpcs_default_group_is_used(
    elb: Any, net: Network, layer: StrictAws
) -> None:
    created = elb.create_load_balancer(Name="web", Subnets=[net.a, net.b])["LoadBalancers"][0]
    default = layer.plain("ec2", REGION).describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [net.vpc]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]["GroupId"]
    assert created["SecurityGroups"] == [default]


def test_a_port_has_one_listener_per_load_balancer(elb: Any, net: Network) -> None:
    arn = _create(elb, net)
    answer = [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}]

    def listen(port: int) -> str:
        created = elb.create_listener(
            LoadBalancerArn=arn, Protocol="HTTP", Port=port, DefaultActions=answer
        )
        return str(created["Listeners"][0]["ListenerArn"])

    http = listen(80)
    code, message = _error(lambda: listen(80))
    assert (code, message) == (
        "DuplicateListener",
        f"A listener already exists on this port for this load balancer '{arn}'",
    )
    other = listen(8080)
    assert _error(lambda: elb.modify_listener(ListenerArn=other, Port=80))[0] == (
        "DuplicateListener"
    )
    elb.modify_listener(ListenerArn=http, Port=80)  # its own port is no conflict
    elb.modify_listener(ListenerArn=other, Port=8081)


def test_deletion_protection_refuses_the_delete_until_turned_off(elb: Any, net: Network) -> None:
    arn = _create(elb, net)

    def protect(on: bool) -> None:
        elb.modify_load_balancer_attributes(
            LoadBalancerArn=arn,
            Attributes=[{"Key": "deletion_protection.enabled", "Value": str(on).lower()}],
        )

    protect(True)
    code, message = _error(lambda: elb.delete_load_balancer(LoadBalancerArn=arn))
    assert code == "OperationNotPermitted"
    assert message.endswith("cannot be deleted because deletion protection is enabled")
    protect(False)
    elb.delete_load_balancer(LoadBalancerArn=arn)
    elb.delete_load_balancer(LoadBalancerArn=arn)  # gone already: AWS answers success


def test_groups_subnets_and_public_addresses_are_held_until_interfaces_are_released(
    elb: Any, ec2_client: Any, net: Network
) -> None:
    arn = _create(elb, net)
    calls: dict[str, Callable[[], object]] = {
        "group": lambda: ec2_client.delete_security_group(GroupId=net.group),
        "subnet": lambda: ec2_client.delete_subnet(SubnetId=net.b),
        "gateway": lambda: ec2_client.detach_internet_gateway(
            InternetGatewayId=net.igw, VpcId=net.vpc
        ),
    }
    live = {name: _error(call)[0] for name, call in calls.items()}
    assert live == dict.fromkeys(calls, "DependencyViolation")
    elb.delete_load_balancer(LoadBalancerArn=arn)
    # The network interfaces go a little later: two more refusals each, then through.
    for call in calls.values():
        assert [_error(call)[0] for _ in range(2)] == ["DependencyViolation"] * 2
        call()


def test_an_internal_load_balancer_holds_no_public_addresses(
    elb: Any, ec2_client: Any, net: Network
) -> None:
    _create(elb, net, Scheme="internal")
    ec2_client.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)
    assert _error(lambda: ec2_client.delete_subnet(SubnetId=net.a))[0] == "DependencyViolation"
    ec2_client.delete_subnet(SubnetId=net.a2)  # not one of its subnets
