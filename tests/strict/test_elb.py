"""The Classic Load Balancer rules of the strictness layer: each fires as AWS would, then clears."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.events import Recorder
from stackdeploy.model.live import LiveResource
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.ec2.security_group import SecurityGroupProvider
from stackdeploy.providers.elb.load_balancer import ClassicLoadBalancerProvider
from tests.conftest import FAST, REGION
from tests.strict.core import StrictAws
from tests.strict.probe import hooked_client, refusal

HTTP = [{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}]


@pytest.fixture
def layer(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """No throttling, two refused attempts per release, refusals letting time pass."""
    strict = StrictAws(aws, throttle_rate=0.0, pending_polls=2, refusals_advance_time=True)
    strict.install(monkeypatch)
    return strict


@pytest.fixture
def ec2(layer: StrictAws, aws: str) -> Any:
    return hooked_client(aws, "ec2")


@pytest.fixture
def elb(layer: StrictAws, aws: str) -> Any:
    return hooked_client(aws, "elb")


class Network:
    """A VPC with a subnet, an attached internet gateway and a security group, in moto."""

    def __init__(self, layer: StrictAws) -> None:
        truth = layer.plain("ec2", REGION)
        self.vpc = truth.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        self.subnet = truth.create_subnet(
            VpcId=self.vpc, CidrBlock="10.9.1.0/24", AvailabilityZone=f"{REGION}a"
        )["Subnet"]["SubnetId"]
        self.igw = truth.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        truth.attach_internet_gateway(InternetGatewayId=self.igw, VpcId=self.vpc)
        self.group = truth.create_security_group(
            GroupName="web", Description="web", VpcId=self.vpc
        )["GroupId"]


@pytest.fixture
def net(layer: StrictAws) -> Network:
    return Network(layer)


def _error(call: Callable[[], object]) -> tuple[str, str]:
    code, message, _ = refusal(call)
    return code, message


def _create(elb: Any, net: Network, name: str = "web", **extra: Any) -> None:
    elb.create_load_balancer(
        LoadBalancerName=name,
        Listeners=HTTP,
        Subnets=[net.subnet],
        SecurityGroups=[net.group],
        **extra,
    )


def _refusals(ec2: Any, net: Network) -> dict[str, Callable[[], object]]:
    return {
        "group": lambda: ec2.delete_security_group(GroupId=net.group),
        "subnet": lambda: ec2.delete_subnet(SubnetId=net.subnet),
        "gateway": lambda: ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc),
    }


GROUP_IN_USE = "resource {group} has a dependent object"
SUBNET_IN_USE = "The subnet '{subnet}' has dependencies and cannot be deleted."
MAPPED = (
    "Network {vpc} has some mapped public address(es). "
    "Please unmap those public address(es) before detaching the gateway."
)


def _messages(net: Network) -> dict[str, tuple[str, str]]:
    return {
        "group": ("DependencyViolation", GROUP_IN_USE.format(group=net.group)),
        "subnet": ("DependencyViolation", SUBNET_IN_USE.format(subnet=net.subnet)),
        "gateway": ("DependencyViolation", MAPPED.format(vpc=net.vpc)),
    }


def test_live_load_balancer_holds_its_group_subnet_and_public_addresses(
    layer: StrictAws, ec2: Any, elb: Any, net: Network
) -> None:
    _create(elb, net)
    refusals, messages = _refusals(ec2, net), _messages(net)
    for _ in range(3):  # a live load balancer never lets go, however long one waits
        assert {what: _error(call) for what, call in refusals.items()} == messages
    assert layer.count("DependencyViolation") == 9


def test_deleted_load_balancer_releases_its_interfaces_after_a_while(
    layer: StrictAws, ec2: Any, elb: Any, net: Network
) -> None:
    _create(elb, net)
    elb.delete_load_balancer(LoadBalancerName="web")
    refusals, messages = _refusals(ec2, net), _messages(net)
    for what in ("group", "gateway", "subnet"):
        for _ in range(2):  # each refused attempt lets time pass
            assert _error(refusals[what]) == messages[what]
        refusals[what]()
    assert layer.count("DependencyViolation") == 6


def test_release_takes_no_time_without_refusals_advancing_it(
    layer: StrictAws, ec2: Any, elb: Any, net: Network
) -> None:
    layer.refusals_advance_time = False
    _create(elb, net)
    elb.delete_load_balancer(LoadBalancerName="web")
    for _ in range(4):
        assert _error(_refusals(ec2, net)["group"])[0] == "DependencyViolation"


def test_internal_load_balancer_maps_no_public_address(ec2: Any, elb: Any, net: Network) -> None:
    _create(elb, net, Scheme="internal")
    _refusals(ec2, net)["gateway"]()
    assert _error(_refusals(ec2, net)["group"])[0] == "DependencyViolation"


def test_deleting_a_missing_load_balancer_releases_nothing(
    ec2: Any, elb: Any, net: Network
) -> None:
    elb.delete_load_balancer(LoadBalancerName="never-existed")  # AWS: success
    for call in _refusals(ec2, net).values():
        call()


def test_same_name_with_another_configuration_is_a_duplicate(
    layer: StrictAws, elb: Any, net: Network
) -> None:
    _create(elb, net)
    other = [{"Protocol": "TCP", "LoadBalancerPort": 22, "InstancePort": 22}]
    assert _error(
        lambda: elb.create_load_balancer(
            LoadBalancerName="web", Listeners=other, Subnets=[net.subnet]
        )
    ) == (
        "DuplicateLoadBalancerName",
        "The specified load balancer name already exists for this account: web",
    )
    assert layer.count("DuplicateLoadBalancerName") == 1
    # The same configuration: AWS returns the existing load balancer. The layer cannot
    # answer a success, so moto's own refusal stands (not injected by the layer).
    assert _error(lambda: _create(elb, net))[0] == "DuplicateLoadBalancerName"
    assert layer.count("DuplicateLoadBalancerName") == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("a" * 33, "LoadBalancer name cannot be longer than 32 characters"),
        ("web_lb", "cannot contain characters that are not letters, or digits or the dash"),
        ("-web", "LoadBalancer name cannot begin or end with a hyphen"),
        ("web-", "LoadBalancer name cannot begin or end with a hyphen"),
    ],
)
def test_invalid_names_are_refused(
    layer: StrictAws, elb: Any, net: Network, name: str, message: str
) -> None:
    code, text = _error(lambda: _create(elb, net, name=name))
    assert code == "ValidationError"
    assert message in text
    assert layer.plain("elb", REGION).describe_load_balancers()["LoadBalancerDescriptions"] == []
    _create(elb, net, name="a" * 32)  # the longest valid name


def test_without_security_groups_the_vpcs_default_group_is_used(
    layer: StrictAws, elb: Any, net: Network
) -> None:
    truth = layer.plain("ec2", REGION)
    elb.create_load_balancer(LoadBalancerName="web", Listeners=HTTP, Subnets=[net.subnet])
    default = truth.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [net.vpc]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]["GroupId"]
    described = elb.describe_load_balancers(LoadBalancerNames=["web"])
    assert described["LoadBalancerDescriptions"][0]["SecurityGroups"] == [default]
    groups = truth.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [net.vpc]}])
    assert sorted(g["GroupName"] for g in groups["SecurityGroups"]) == ["default", "web"]


def test_the_engine_waits_out_the_release(layer: StrictAws, aws: str, net: Network) -> None:
    """Deleting the load balancer and then its group: the group's provider retries the
    refusals until AWS has released the interfaces."""
    clients = ClientFactory(endpoint_url=aws, default_region=REGION, timing=FAST)
    events = Recorder()
    ctx = ResourceContext("s", "lb", REGION, "token", events, FAST)
    _create(hooked_client(aws, "elb"), net)
    lb = LiveResource("aws.elb.load_balancer", "web", REGION, {})
    ClassicLoadBalancerProvider(clients).delete(ctx, lb)
    group = LiveResource("aws.ec2.security_group", net.group, REGION, {})
    SecurityGroupProvider(clients).delete(ctx, group)
    assert layer.count("DependencyViolation", "ec2.DeleteSecurityGroup") == 2
    assert not layer.plain("ec2", REGION).describe_security_groups(
        Filters=[{"Name": "group-id", "Values": [net.group]}]
    )["SecurityGroups"]
