"""The strictness layer itself: each rule fires the way AWS would, then clears."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from stackdeploy.aws.session import ClientFactory
from tests.conftest import FAST, REGION
from tests.strict import faults, fixtures
from tests.strict.core import AwsError, Call, StrictAws, StrictLayerError
from tests.strict.probe import hooked_client, refusal

strict_aws = fixtures.strict_aws  # the fixture under test, as a conftest would import it


@pytest.fixture
def layer(aws: str, monkeypatch: pytest.MonkeyPatch) -> StrictAws:
    """The layer without throttling, so each rule can be watched on its own."""
    strict = StrictAws(aws, throttle_rate=0.0, pending_polls=2, refusals_advance_time=False)
    strict.install(monkeypatch)
    return strict


def _hooked(aws: str, service: str = "ec2") -> Any:
    """A raw client from the patched new_boto3_session, as the engine's factory makes them."""
    return hooked_client(aws, service)


@pytest.fixture
def ec2(layer: StrictAws, aws: str) -> Any:
    return _hooked(aws)


@pytest.fixture
def truth(layer: StrictAws) -> Any:
    """moto as it is, past the layer."""
    return layer.plain("ec2", REGION)


def _error(call: Callable[[], object]) -> tuple[str, str, int]:
    return refusal(call)


class Network:
    """A VPC with a subnet, an attached internet gateway and an Elastic IP, made in moto."""

    def __init__(self, truth: Any) -> None:
        self.vpc = truth.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        self.subnet = truth.create_subnet(VpcId=self.vpc, CidrBlock="10.9.1.0/24")["Subnet"][
            "SubnetId"
        ]
        self.igw = truth.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        truth.attach_internet_gateway(InternetGatewayId=self.igw, VpcId=self.vpc)
        self.allocation = truth.allocate_address(Domain="vpc")["AllocationId"]

    def instance(self, truth: Any, **extra: Any) -> str:
        reservation = truth.run_instances(
            ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=self.subnet, **extra
        )
        return str(reservation["Instances"][0]["InstanceId"])


@pytest.fixture
def net(truth: Any) -> Network:
    return Network(truth)


def _nat_states(ec2: Any, nat_id: str, **filters: Any) -> list[str]:
    gateways = ec2.describe_nat_gateways(NatGatewayIds=[nat_id], **filters)["NatGateways"]
    return [g["State"] for g in gateways]


def _create_nat(ec2: Any, net: Network) -> str:
    created = ec2.create_nat_gateway(SubnetId=net.subnet, AllocationId=net.allocation)
    assert created["NatGateway"]["State"] == "pending"
    return str(created["NatGateway"]["NatGatewayId"])


# -- NAT gateway time model ------------------------------------------------------------------


def test_nat_gateway_is_pending_for_two_polls_then_available(
    ec2: Any, truth: Any, net: Network
) -> None:
    nat = _create_nat(ec2, net)
    assert _nat_states(truth, nat) == ["available"]  # moto has no clock
    assert [_nat_states(ec2, nat) for _ in range(3)] == [["pending"], ["pending"], ["available"]]


def test_nat_gateway_is_deleting_for_two_polls_and_state_filters_see_it(
    ec2: Any, truth: Any, net: Network
) -> None:
    nat = _create_nat(ec2, net)
    _nat_states(ec2, nat), _nat_states(ec2, nat)  # wait it out
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert _nat_states(truth, nat) == ["deleted"]
    deleting = [{"Name": "state", "Values": ["deleting"]}]
    # moto alone would match "deleting" against its own "deleted" and list nothing.
    assert _nat_states(ec2, nat, Filter=deleting) == ["deleting"]
    assert _nat_states(ec2, nat) == ["deleting"]
    assert _nat_states(ec2, nat, Filter=deleting) == []
    assert _nat_states(ec2, nat) == ["deleted"]


def test_nat_gateway_blocks_subnet_address_and_gateway_until_deleted(
    layer: StrictAws, ec2: Any, net: Network
) -> None:
    nat = _create_nat(ec2, net)
    # Even while pending, the gateway holds its subnet.
    assert _error(lambda: ec2.delete_subnet(SubnetId=net.subnet)) == (
        "DependencyViolation",
        f"The subnet '{net.subnet}' has dependencies and cannot be deleted.",
        400,
    )
    ec2.delete_nat_gateway(NatGatewayId=nat)
    for _ in range(2):  # each refused call sees the gateway still deleting
        assert _error(lambda: ec2.delete_subnet(SubnetId=net.subnet))[0] == "DependencyViolation"
        assert _error(lambda: ec2.release_address(AllocationId=net.allocation)) == (
            "AuthFailure",
            "You do not have permission to access the specified resource.",
            400,
        )
        assert _error(
            lambda: ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)
        )[:2] == (
            "DependencyViolation",
            f"Network {net.vpc} has some mapped public address(es). "
            "Please unmap those public address(es) before detaching the gateway.",
        )
        _nat_states(ec2, nat)
    assert _nat_states(ec2, nat) == ["deleted"]
    ec2.release_address(AllocationId=net.allocation)
    ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)
    ec2.delete_subnet(SubnetId=net.subnet)
    assert layer.count("DependencyViolation") == 5
    assert layer.count("AuthFailure", "ec2.ReleaseAddress") == 2


def test_refused_retries_let_time_pass_like_polls(aws: str, layer: StrictAws, net: Network) -> None:
    layer.refusals_advance_time = True
    ec2 = _hooked(aws)
    nat = _create_nat(ec2, net)
    ec2.delete_nat_gateway(NatGatewayId=nat)
    # An engine that retries DeleteSubnet instead of polling the gateway gets through too.
    for _ in range(2):
        assert _error(lambda: ec2.delete_subnet(SubnetId=net.subnet))[0] == "DependencyViolation"
    ec2.delete_subnet(SubnetId=net.subnet)
    assert layer.calls["ec2.DescribeNatGateways"] == 0


# -- dependency violations moto does not enforce ---------------------------------------------


def test_subnet_with_an_instance_cannot_be_deleted(ec2: Any, truth: Any, net: Network) -> None:
    instance = net.instance(truth)
    assert _error(lambda: ec2.delete_subnet(SubnetId=net.subnet))[0] == "DependencyViolation"
    truth.terminate_instances(InstanceIds=[instance])
    ec2.delete_subnet(SubnetId=net.subnet)


def test_security_group_referenced_by_another_cannot_be_deleted(
    ec2: Any, truth: Any, net: Network
) -> None:
    def group(name: str) -> str:
        made = truth.create_security_group(GroupName=name, Description=name, VpcId=net.vpc)
        return str(made["GroupId"])

    target, inbound, outbound = group("target"), group("inbound"), group("outbound")
    rule = [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": []}]
    rule[0]["UserIdGroupPairs"] = [{"GroupId": target}]
    truth.authorize_security_group_ingress(GroupId=target, IpPermissions=rule)  # self: fine
    truth.authorize_security_group_ingress(GroupId=inbound, IpPermissions=rule)
    truth.authorize_security_group_egress(GroupId=outbound, IpPermissions=rule)
    refused = ("DependencyViolation", f"resource {target} has a dependent object", 400)
    assert _error(lambda: ec2.delete_security_group(GroupId=target)) == refused
    truth.revoke_security_group_ingress(GroupId=inbound, IpPermissions=rule)
    assert _error(lambda: ec2.delete_security_group(GroupId=target)) == refused
    truth.revoke_security_group_egress(GroupId=outbound, IpPermissions=rule)
    ec2.delete_security_group(GroupId=target)


def test_security_group_in_use_cannot_be_deleted(ec2: Any, truth: Any, net: Network) -> None:
    group = truth.create_security_group(GroupName="web", Description="web", VpcId=net.vpc)
    instance = net.instance(truth, SecurityGroupIds=[group["GroupId"]])
    assert _error(lambda: ec2.delete_security_group(GroupId=group["GroupId"]))[0] == (
        "DependencyViolation"
    )
    # moto keeps the terminated instance's interface "in-use"; AWS deletes it.
    truth.terminate_instances(InstanceIds=[instance])
    ec2.delete_security_group(GroupId=group["GroupId"])


def test_default_security_group_cannot_be_deleted(ec2: Any, truth: Any, net: Network) -> None:
    default = truth.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [net.vpc]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"][0]["GroupId"]
    assert _error(lambda: ec2.delete_security_group(GroupId=default))[0] == "CannotDelete"


def test_associated_address_cannot_be_released(ec2: Any, truth: Any, net: Network) -> None:
    instance = net.instance(truth)
    association = truth.associate_address(AllocationId=net.allocation, InstanceId=instance)
    code, message, _ = _error(lambda: ec2.release_address(AllocationId=net.allocation))
    assert code == "InvalidIPAddress.InUse"
    assert message.endswith("is in use.")
    truth.disassociate_address(AssociationId=association["AssociationId"])
    ec2.release_address(AllocationId=net.allocation)


def test_address_of_a_terminated_instance_can_be_released(
    ec2: Any, truth: Any, net: Network
) -> None:
    instance = net.instance(truth)
    truth.associate_address(AllocationId=net.allocation, InstanceId=instance)
    truth.terminate_instances(InstanceIds=[instance])  # moto keeps the association; AWS not
    ec2.release_address(AllocationId=net.allocation)


def test_gateway_stays_while_public_addresses_are_mapped(
    ec2: Any, truth: Any, net: Network
) -> None:
    instance = net.instance(truth)
    association = truth.associate_address(AllocationId=net.allocation, InstanceId=instance)

    def detach() -> object:
        return ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)

    assert _error(detach)[0] == "DependencyViolation"
    truth.disassociate_address(AssociationId=association["AssociationId"])
    truth.modify_subnet_attribute(SubnetId=net.subnet, MapPublicIpOnLaunch={"Value": True})
    public = net.instance(truth)  # an auto-assigned public IPv4 address is mapped too
    assert _error(detach)[0] == "DependencyViolation"
    truth.terminate_instances(InstanceIds=[instance, public])
    detach()


def test_moto_answers_for_what_it_already_refuses(ec2: Any, net: Network) -> None:
    assert _error(lambda: ec2.delete_subnet(SubnetId="subnet-0000"))[0] == (
        "InvalidSubnetID.NotFound"
    )
    assert _error(lambda: ec2.release_address(AllocationId="eipalloc-0000"))[0] == (
        "InvalidAllocationID.NotFound"
    )
    assert _error(lambda: ec2.delete_internet_gateway(InternetGatewayId=net.igw))[0] == (
        "DependencyViolation"
    )
    assert _error(lambda: ec2.delete_security_group(GroupId="sg-0000"))[0] == (
        "InvalidGroup.NotFound"
    )


# -- VPC and subnet pending ------------------------------------------------------------------


def test_new_vpc_and_subnet_are_pending_on_the_first_describe(ec2: Any) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]
    assert vpc["State"] == "pending"
    available = [{"Name": "state", "Values": ["available"]}]
    assert ec2.describe_vpcs(VpcIds=[vpc["VpcId"]], Filters=available)["Vpcs"] == []
    assert ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"][0]["State"] == "available"
    subnet = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.7.1.0/24")["Subnet"]
    assert subnet["State"] == "pending"
    states = [
        ec2.describe_subnets(SubnetIds=[subnet["SubnetId"]])["Subnets"][0]["State"]
        for _ in range(2)
    ]
    assert states == ["pending", "available"]


# -- throttling and server errors ------------------------------------------------------------


def test_retrying_client_gets_through_ten_percent_throttling(
    strict_aws: StrictAws, aws: str
) -> None:
    clients = ClientFactory(endpoint_url=aws, default_region=REGION, timing=FAST)
    ec2 = clients.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]

    def describe(_: int) -> int:
        return len(ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"])

    # From a pool, as the engine's executor calls AWS.
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(describe, range(500))) == [1] * 500
    throttles = strict_aws.throttles
    assert 25 <= throttles <= 80  # 10% of ~500 attempts
    assert sum(clients.stats.retries.values()) == throttles
    assert strict_aws.count("RequestLimitExceeded") == throttles


def test_throttling_error_per_protocol(layer: StrictAws, aws: str) -> None:
    layer.throttle_rate = 1.0
    ec2 = _hooked(aws)
    assert _error(ec2.describe_vpcs) == ("RequestLimitExceeded", "Request limit exceeded.", 503)
    ec2.describe_vpcs()  # never twice in a row
    assert _error(_hooked(aws, "sts").get_caller_identity)[::2] == ("Throttling", 400)
    assert _error(_hooked(aws, "dynamodb").list_tables)[::2] == ("ThrottlingException", 400)
    assert _error(_hooked(aws, "s3").list_buckets)[::2] == ("SlowDown", 503)
    assert layer.throttles == 4
    assert layer.calls["ec2.DescribeVpcs"] == 2


def test_server_errors_hit_reads_only(layer: StrictAws, aws: str) -> None:
    layer.server_error_rate = 1.0
    ec2 = _hooked(aws)
    assert _error(ec2.describe_vpcs)[::2] == ("InternalError", 500)
    ec2.create_vpc(CidrBlock="10.6.0.0/16")  # a write is never failed: it may have happened


def _call(operation: str) -> Call:
    return Call("ec2", operation, REGION, "ec2", {})


def _inject(strict: StrictAws, calls: list[Call]) -> list[str]:
    """Run the fault rule alone over calls: which codes it injects, "" for let through."""
    rule = faults._Faults(strict)
    codes = []
    for call in calls:
        try:
            rule(call)
            codes.append("")
        except AwsError as error:
            codes.append(error.code)
    return codes


def test_throttling_is_seeded_and_never_twice_in_a_row() -> None:
    strict = StrictAws("http://unused", throttle_rate=0.5, families=())
    calls = [_call("DescribeVpcs") for _ in range(200)]
    first, again = _inject(strict, calls), _inject(strict, calls)
    assert first == again
    assert 60 <= first.count("RequestLimitExceeded") <= 100
    assert all(not (a and b) for a, b in itertools.pairwise(first))
    other = _inject(StrictAws("http://unused", throttle_rate=0.5, seed=7, families=()), calls)
    assert other != first


def test_plain_clients_bypass_the_layer(layer: StrictAws, truth: Any) -> None:
    layer.throttle_rate = 1.0
    for _ in range(3):
        truth.describe_vpcs()
    assert layer.calls == {}
    assert layer.injections == []


def test_a_family_adds_rules_and_a_broken_rule_is_not_an_aws_answer(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def family(strict: StrictAws) -> None:
        def refuse_tags(call: Call) -> None:
            if call.params.get("Resources") == ["vpc-refused"]:
                raise AwsError("InvalidVpcID.NotFound", "The vpc ID 'vpc-refused' does not exist")
            # A read that fails: the layer's own bug, which must not reach the engine as AWS's.
            strict.plain("ec2", call.region).describe_vpcs(VpcIds=["vpc-0000"])

        strict.before("ec2", "CreateTags", refuse_tags)

    StrictAws(aws, throttle_rate=0.0, families=[family]).install(monkeypatch)
    ec2 = _hooked(aws)
    tags = [{"Key": "k", "Value": "v"}]
    assert _error(lambda: ec2.create_tags(Resources=["vpc-refused"], Tags=tags))[0] == (
        "InvalidVpcID.NotFound"
    )
    with pytest.raises(StrictLayerError, match=r"ec2\.CreateTags"):
        ec2.create_tags(Resources=["vpc-other"], Tags=tags)
