"""Route table behaviour users rely on, beyond the generic contract."""

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
from stackdeploy.providers.ec2.route_table import RouteTableProvider
from stackdeploy.providers.ec2.routes import route_from_aws
from stackdeploy.specs.ec2.route_table import ROUTE_TABLE
from tests.providers.harness import REGION, STACK, Prerequisites, intercept

OTHER_SUBNET = "10.20.2.0/24"


@pytest.fixture
def provider(clients: ClientFactory) -> RouteTableProvider:
    return RouteTableProvider(clients)


@pytest.fixture
def prereqs(aws: str) -> Prerequisites:
    return Prerequisites(aws)


def _ctx(
    clients: ClientFactory, logical_id: str = "table", events: Recorder | None = None
) -> ResourceContext:
    return ResourceContext(
        stack=STACK,
        logical_id=logical_id,
        region=REGION,
        token=uuid.uuid4().hex,
        events=events or Recorder(),
        timing=clients.timing,
    )


def _props(raw: dict[str, Any], logical_id: str = "table") -> dict[str, Any]:
    return canonical_properties(ROUTE_TABLE, raw, STACK, logical_id, {})


def _update(
    provider: RouteTableProvider, ctx: ResourceContext, live: LiveResource, props: dict[str, Any]
) -> LiveResource:
    changes = diff_properties(ROUTE_TABLE, props, live.properties)
    updated = provider.update(ctx, live, props, changes)
    assert diff_properties(ROUTE_TABLE, props, updated.properties) == []
    return updated


def _nat_gateway_id(prereqs: Prerequisites) -> str:
    nat = prereqs.ec2.create_nat_gateway(
        SubnetId=prereqs.subnet_id(), AllocationId=prereqs.allocation_id()
    )
    return str(nat["NatGateway"]["NatGatewayId"])


def _explicit_tables_of(prereqs: Prerequisites, subnet_id: str) -> list[str]:
    tables = prereqs.ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["RouteTables"]
    return [
        table["RouteTableId"]
        for table in tables
        for association in table["Associations"]
        if association.get("SubnetId") == subnet_id and not association.get("Main")
    ]


def test_only_declared_routes_and_explicit_subnets_are_read(
    provider: RouteTableProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    props = _props(
        {
            "vpc_id": prereqs.vpc_id(),
            "routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": prereqs.igw_id()}],
            "subnet_ids": [prereqs.subnet_id()],
        }
    )
    created = provider.create(_ctx(clients), props)
    raw = prereqs.ec2.describe_route_tables(RouteTableIds=[created.physical_id])["RouteTables"]
    assert any(route["GatewayId"] == "local" for route in raw[0]["Routes"])
    assert created.properties["routes"] == props["routes"]  # no local route
    assert created.properties["subnet_ids"] == [prereqs.subnet_id()]
    assert created.properties["owner_id"]


def test_target_change_replaces_the_route_in_place(
    provider: RouteTableProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    ctx = _ctx(clients)
    to_igw = {"destination_cidr_block": "0.0.0.0/0", "gateway_id": prereqs.igw_id()}
    created = provider.create(ctx, _props({"vpc_id": prereqs.vpc_id(), "routes": [to_igw]}))
    nat = _nat_gateway_id(prereqs)
    before = clients.stats.calls.copy()

    to_nat = {"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": nat}
    updated = _update(
        provider, ctx, created, _props({"vpc_id": prereqs.vpc_id(), "routes": [to_nat]})
    )

    calls = clients.stats.calls - before
    assert calls["ec2.ReplaceRoute"] == 1
    assert calls["ec2.DeleteRoute"] == calls["ec2.CreateRoute"] == 0
    assert updated.properties["routes"] == [to_nat]


def test_routes_are_added_and_removed_by_destination(
    provider: RouteTableProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    ctx = _ctx(clients)
    igw = prereqs.igw_id()
    old = {"destination_cidr_block": "172.16.0.0/12", "gateway_id": igw}
    kept = {"destination_cidr_block": "0.0.0.0/0", "gateway_id": igw}
    new = {"destination_ipv6_cidr_block": "::/0", "gateway_id": igw}
    created = provider.create(ctx, _props({"vpc_id": prereqs.vpc_id(), "routes": [old, kept]}))
    before = clients.stats.calls.copy()

    updated = _update(
        provider, ctx, created, _props({"vpc_id": prereqs.vpc_id(), "routes": [kept, new]})
    )

    calls = clients.stats.calls - before
    assert (calls["ec2.DeleteRoute"], calls["ec2.CreateRoute"], calls["ec2.ReplaceRoute"]) == (
        1,
        1,
        0,
    )
    assert sorted(map(str, updated.properties["routes"])) == sorted(map(str, [kept, new]))


def _strict_association(clients: ClientFactory, prereqs: Prerequisites) -> None:
    """AWS refuses a second explicit association for a subnet (moto accepts it silently)."""

    def respond(params: dict[str, Any]) -> str | None:
        subnet = params.get("SubnetId")
        if subnet and _explicit_tables_of(prereqs, subnet):
            return "Resource.AlreadyAssociated"
        return None

    intercept(clients, "AssociateRouteTable", respond)


@pytest.mark.parametrize("first", ["giver", "taker"])
def test_subnet_moves_between_tables_in_one_apply(
    provider: RouteTableProvider, clients: ClientFactory, prereqs: Prerequisites, first: str
) -> None:
    """Two independent updates, in either order: one table lets go, the other takes over."""
    _strict_association(clients, prereqs)
    moving, staying = prereqs.subnet_id(), prereqs.subnet_id(OTHER_SUBNET)
    vpc = prereqs.vpc_id()
    giver_ctx, taker_ctx = _ctx(clients, "giver"), _ctx(clients, "taker")
    giver = provider.create(giver_ctx, _props({"vpc_id": vpc, "subnet_ids": [moving]}, "giver"))
    taker = provider.create(taker_ctx, _props({"vpc_id": vpc, "subnet_ids": [staying]}, "taker"))

    def update_giver() -> None:
        _update(provider, giver_ctx, giver, _props({"vpc_id": vpc}, "giver"))

    def update_taker() -> None:
        props = _props({"vpc_id": vpc, "subnet_ids": [staying, moving]}, "taker")
        _update(provider, taker_ctx, taker, props)

    steps = [update_giver, update_taker] if first == "giver" else [update_taker, update_giver]
    before = clients.stats.calls.copy()
    for step in steps:
        step()

    # Taking over a subnet still associated elsewhere moves its association in one call.
    moved = (clients.stats.calls - before)["ec2.ReplaceRouteTableAssociation"]
    assert moved == (1 if first == "taker" else 0)
    assert _explicit_tables_of(prereqs, moving) == [taker.physical_id]
    tables = provider.read_many(REGION, [giver.physical_id, taker.physical_id])
    assert tables[giver.physical_id].properties["subnet_ids"] == []
    assert sorted(tables[taker.physical_id].properties["subnet_ids"]) == sorted([moving, staying])


def test_route_to_a_gateway_not_visible_yet_is_retried(
    provider: RouteTableProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    failures = iter(["InvalidGatewayID.NotFound", "InvalidGatewayID.NotFound"])
    intercept(clients, "CreateRoute", lambda params: next(failures, None))
    events = Recorder()
    route = {"destination_cidr_block": "0.0.0.0/0", "gateway_id": prereqs.igw_id()}

    created = provider.create(
        _ctx(clients, events=events), _props({"vpc_id": prereqs.vpc_id(), "routes": [route]})
    )

    assert created.properties["routes"] == [route]
    retries = [e for e in events.of(Retrying) if isinstance(e, Retrying)]
    assert [(e.operation, e.code) for e in retries] == [
        ("ec2.CreateRoute", "InvalidGatewayID.NotFound")
    ] * 2


def test_delete_disassociates_then_waits_out_dependency_violation(
    provider: RouteTableProvider, clients: ClientFactory, prereqs: Prerequisites
) -> None:
    ctx = _ctx(clients)
    subnet = prereqs.subnet_id()
    created = provider.create(ctx, _props({"vpc_id": prereqs.vpc_id(), "subnet_ids": [subnet]}))
    failures = iter(["DependencyViolation"])
    intercept(clients, "DeleteRouteTable", lambda params: next(failures, None))

    provider.delete(ctx, created)

    assert provider.read(REGION, created.physical_id) is None
    assert _explicit_tables_of(prereqs, subnet) == []


@pytest.mark.parametrize(
    ("aws_route", "canonical"),
    [
        pytest.param(
            {
                "DestinationCidrBlock": "0.0.0.0/0",
                "InstanceId": "i-0abc",
                "InstanceOwnerId": "123456789012",
                "NetworkInterfaceId": "eni-0abc",
                "Origin": "CreateRoute",
                "State": "active",
            },
            {"destination_cidr_block": "0.0.0.0/0", "instance_id": "i-0abc"},
            id="instance-reports-its-eni",
        ),
        pytest.param(
            {"DestinationIpv6CidrBlock": "::/0", "GatewayId": "igw-1", "Origin": "CreateRoute"},
            {"destination_ipv6_cidr_block": "::/0", "gateway_id": "igw-1"},
            id="ipv6",
        ),
        pytest.param(
            {
                "DestinationCidrBlock": "10.0.0.0/16",
                "GatewayId": "local",
                "Origin": "CreateRouteTable",
            },
            None,
            id="local",
        ),
        pytest.param(
            {
                "DestinationCidrBlock": "192.168.0.0/16",
                "GatewayId": "vgw-1",
                "Origin": "EnableVgwRoutePropagation",
            },
            None,
            id="propagated",
        ),
        pytest.param(
            {"DestinationPrefixListId": "pl-1", "GatewayId": "vpce-1", "Origin": "CreateRoute"},
            None,
            id="gateway-endpoint",
        ),
    ],
)
def test_routes_read_in_canonical_form(
    aws_route: dict[str, Any], canonical: dict[str, Any] | None
) -> None:
    assert route_from_aws(aws_route) == canonical
