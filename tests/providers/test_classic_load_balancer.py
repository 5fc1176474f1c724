"""Classic Load Balancer behaviour the contract suite does not show: same-name creates (adopt
our own leftover, refuse anyone else's), batched reads, AWS's answers moto does not give
(eventual consistency, the real InstanceProtocol), and the order of in-place changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ProviderError
from stackdeploy.events import Retrying
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.diff import diff_properties
from stackdeploy.plan.planner import make_plan
from stackdeploy.providers.base import ResourceContext
from stackdeploy.providers.elb import reads
from stackdeploy.specs.base import OWNERSHIP_TAG_ID, OWNERSHIP_TAG_STACK
from tests.providers.cases_elb import CERTIFICATE, WEB
from tests.providers.harness import REGION, STACK, ContractRun

Respond = Callable[[dict[str, Any]], dict[str, Any] | None]


@pytest.fixture
def run(clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(WEB, clients, aws)


@pytest.fixture
def raw(aws: str) -> Any:
    """A plain ELB client on the same moto: someone else's load balancers, and the truth."""
    return boto3.client("elb", region_name=REGION, endpoint_url=aws)


def _answer(run: ContractRun, operation: str, respond: Respond) -> None:
    """Answer ELB `operation` for AWS with what `respond(params)` returns: {"Code": ...} for an
    error, any other dict for a success, None to let moto answer."""

    def handler(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        answer = respond(params["body"])
        if answer is None:
            return None
        status = 400 if "Code" in answer else 200
        parsed = {"Error": answer} if status == 400 else dict(answer)
        parsed["ResponseMetadata"] = {"HTTPStatusCode": status}
        return AWSResponse("", status, {}, None), parsed

    elb = run.clients.client("elb", REGION)
    elb.meta.events.register_first(f"before-call.elasticloadbalancing.{operation}", handler)


def _fail_once(run: ContractRun, operation: str, code: str, times: int = 1) -> None:
    left = [times]

    def respond(_: dict[str, Any]) -> dict[str, Any] | None:
        if not left[0]:
            return None
        left[0] -= 1
        return {"Code": code, "Message": f"{code} (injected by the test)"}

    _answer(run, operation, respond)


def _record(run: ContractRun, *operations: str) -> list[tuple[str, dict[str, Any]]]:
    """The given ELB calls, in order, with their request parameters."""
    seen: list[tuple[str, dict[str, Any]]] = []
    elb = run.clients.client("elb", REGION)
    for operation in operations:

        def handler(params: dict[str, Any], operation: str = operation, **_: Any) -> None:
            seen.append((operation, dict(params)))

        event = f"before-parameter-build.elasticloadbalancing.{operation}"
        elb.meta.events.register(event, handler)
    return seen


def _props(run: ContractRun, **changes: Any) -> dict[str, Any]:
    return run.canonical({**WEB.properties(run.prerequisites), **changes})


def _create(run: ContractRun, **changes: Any) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    return ctx, run.provider.create(ctx, _props(run, **changes))


def _update(run: ContractRun, live: LiveResource, **changes: Any) -> LiveResource:
    raw_props = {**WEB.properties(run.prerequisites), **changes}
    change = make_plan(run.stack_with(raw_props), run.live_state(live)).change("subject")
    updated = run.provider.update(run.context(), live, change.after or {}, change.changes)
    assert diff_properties(run.rtype, change.after or {}, updated.properties) == []
    return updated


def _leftover(raw: Any, run: ContractRun, tags: dict[str, str]) -> None:
    """A load balancer with the subject's name, made outside the provider."""
    tagged = {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}
    raw.create_load_balancer(
        LoadBalancerName=f"{STACK}-subject",
        Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 22, "InstancePort": 22}],
        Subnets=[run.prerequisites.subnet_id()],
        **tagged,
    )


def _listener_ports(raw: Any, name: str) -> list[int]:
    described = raw.describe_load_balancers(LoadBalancerNames=[name])["LoadBalancerDescriptions"]
    return sorted(d["Listener"]["LoadBalancerPort"] for d in described[0]["ListenerDescriptions"])


# -- same-name creates ----------------------------------------------------------------------


def test_same_name_create_adopts_our_own_leftover(run: ContractRun, raw: Any) -> None:
    """A run interrupted after CreateLoadBalancer left it; the next create converges it."""
    _leftover(raw, run, {OWNERSHIP_TAG_STACK: STACK, OWNERSHIP_TAG_ID: "subject"})
    _, created = _create(run)
    assert diff_properties(run.rtype, _props(run), created.properties) == []
    assert _listener_ports(raw, created.physical_id) == [80]
    assert len(raw.describe_load_balancers()["LoadBalancerDescriptions"]) == 1


@pytest.mark.parametrize(
    "tags",
    [{}, {OWNERSHIP_TAG_STACK: "other", OWNERSHIP_TAG_ID: "subject"}],
    ids=["untagged", "another-stack"],
)
def test_same_name_create_refuses_anyone_elses(
    run: ContractRun, raw: Any, tags: dict[str, str]
) -> None:
    _leftover(raw, run, tags)
    with pytest.raises(ProviderError) as raised:
        _create(run)
    assert raised.value.code == "DuplicateLoadBalancerName"
    assert f"'{STACK}-subject' already exists" in raised.value.message
    assert _listener_ports(raw, f"{STACK}-subject") == [22]  # untouched


def test_existing_load_balancer_handed_back_by_aws_is_checked(run: ContractRun, raw: Any) -> None:
    """AWS answers a create whose name and configuration match an existing load balancer
    with that load balancer (moto always refuses): it must be ours before anything changes."""
    _leftover(raw, run, {"owner": "someone"})
    _answer(run, "CreateLoadBalancer", lambda _: {"DNSName": "existing.elb.amazonaws.com"})
    with pytest.raises(ProviderError) as raised:
        _create(run)
    assert raised.value.code == "DuplicateLoadBalancerName"
    assert run.clients.stats.calls["elb.ConfigureHealthCheck"] == 0


# -- reads --------------------------------------------------------------------------------


def test_read_owned_pages_and_batches_tags(
    run: ContractRun, raw: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reads, "PAGE_SIZE", 10)  # moto honours PageSize: 5 pages for 45
    subnet = run.prerequisites.subnet_id()
    for index in range(45):
        owner = STACK if index % 2 == 0 else "other"
        raw.create_load_balancer(
            LoadBalancerName=f"lb-{index:02d}",
            Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}],
            Subnets=[subnet],
            Tags=[
                {"Key": OWNERSHIP_TAG_STACK, "Value": owner},
                {"Key": OWNERSHIP_TAG_ID, "Value": f"lb{index}"},
            ],
        )
    owned = run.provider.read_owned(REGION, STACK)
    assert sorted(o.logical_id or "" for o in owned) == sorted(f"lb{i}" for i in range(0, 45, 2))
    calls = run.clients.stats.calls
    assert calls["elb.DescribeLoadBalancers"] == 5
    assert calls["elb.DescribeTags"] == 3  # 20 names per call
    assert calls["elb.DescribeLoadBalancerAttributes"] == 23  # the owned ones only


def test_read_many_leaves_out_missing_names(run: ContractRun) -> None:
    _, created = _create(run)
    found = run.provider.read_many(REGION, [created.physical_id, "never-existed"])
    assert list(found) == [created.physical_id]


def test_load_balancer_deleted_while_being_read_is_absent(run: ContractRun) -> None:
    _create(run)
    _fail_once(run, "DescribeTags", "LoadBalancerNotFound")
    _fail_once(run, "DescribeLoadBalancerAttributes", "LoadBalancerNotFound")
    assert run.provider.read_owned(REGION, STACK) == []


def test_instance_protocol_is_read_as_aws_reports_it(run: ContractRun) -> None:
    """An HTTPS listener forwards HTTP by default; moto echoes the front-end protocol, AWS
    reports InstanceProtocol as stored."""
    listener = {"protocol": "HTTPS", "port": 443, "instance_port": 80}
    _, created = _create(run, listeners=[{**listener, "ssl_certificate_id": CERTIFICATE}])

    def as_aws(parsed: dict[str, Any], **_: Any) -> None:
        for description in parsed.get("LoadBalancerDescriptions", []):
            for item in description["ListenerDescriptions"]:
                item["Listener"]["InstanceProtocol"] = "HTTP"

    elb = run.clients.client("elb", REGION)
    elb.meta.events.register("after-call.elasticloadbalancing.DescribeLoadBalancers", as_aws)
    read = run.provider.read(REGION, created.physical_id)
    assert read is not None
    assert read.properties["listeners"][0]["instance_protocol"] == "HTTP"
    wanted = _props(run, listeners=[{**listener, "ssl_certificate_id": CERTIFICATE}])
    assert diff_properties(run.rtype, wanted, read.properties) == []


# -- eventual consistency -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("ConfigureHealthCheck", "LoadBalancerNotFound"),
        ("RegisterInstancesWithLoadBalancer", "InvalidInstance"),
        ("CreateLoadBalancer", "InvalidSubnet"),
    ],
)
def test_create_waits_for_what_was_just_created(
    run: ContractRun, operation: str, code: str
) -> None:
    _fail_once(run, operation, code)
    _, created = _create(run)
    assert diff_properties(run.rtype, _props(run), created.properties) == []
    assert [e.code for e in run.events.events if isinstance(e, Retrying)] == [code]


def test_create_checks_ownership_once_the_new_load_balancer_is_visible(run: ContractRun) -> None:
    # The batch call and its one-by-one fallback both miss it, then it shows up.
    _fail_once(run, "DescribeTags", "LoadBalancerNotFound", times=2)
    _, created = _create(run)
    assert created.logical_id == "subject"
    assert [e.operation for e in run.events.events if isinstance(e, Retrying)] == [
        "elb.DescribeTags"
    ]


# -- in-place changes ---------------------------------------------------------------------


def test_new_certificate_keeps_the_listener(run: ContractRun) -> None:
    https = {"protocol": "HTTPS", "port": 443, "instance_protocol": "HTTPS", "instance_port": 80}
    _, created = _create(run, listeners=[{**https, "ssl_certificate_id": CERTIFICATE}])
    renewed = f"{CERTIFICATE}-2027"
    _update(run, created, listeners=[{**https, "ssl_certificate_id": renewed}])
    calls = run.clients.stats.calls
    assert calls["elb.SetLoadBalancerListenerSSLCertificate"] == 1
    assert calls["elb.DeleteLoadBalancerListeners"] == 0


def test_changed_listeners_are_replaced_port_by_port(run: ContractRun, raw: Any) -> None:
    two = [
        {"protocol": "HTTP", "port": 80, "instance_port": 8080},
        {"protocol": "TCP", "port": 22, "instance_port": 22},
    ]
    _, created = _create(run, listeners=two)
    moved = [{**listener, "instance_port": 9000 + n} for n, listener in enumerate(two)]
    seen = _record(run, "DeleteLoadBalancerListeners", "CreateLoadBalancerListeners")
    _update(run, created, listeners=moved)
    assert [op for op, _ in seen] == [
        "DeleteLoadBalancerListeners",
        "DeleteLoadBalancerListeners",
        "CreateLoadBalancerListeners",
    ]
    assert _listener_ports(raw, created.physical_id) == [22, 80]


def test_subnet_of_a_taken_zone_is_attached_after_the_detach(run: ContractRun) -> None:
    p = run.prerequisites
    zone_a, zone_b = p.subnet_id(), p.subnet_id("10.20.2.0/24", zone="b")
    _, created = _create(run, subnet_ids=[zone_a, zone_b])
    other_a, zone_c = p.subnet_id("10.20.3.0/24"), p.subnet_id("10.20.4.0/24", zone="c")
    seen = _record(run, "AttachLoadBalancerToSubnets", "DetachLoadBalancerFromSubnets")
    _update(run, created, subnet_ids=[other_a, zone_b, zone_c])
    assert [(operation, params["Subnets"]) for operation, params in seen] == [
        ("AttachLoadBalancerToSubnets", [zone_c]),  # a new zone first: it keeps serving
        ("DetachLoadBalancerFromSubnets", [zone_a]),
        ("AttachLoadBalancerToSubnets", [other_a]),  # zone a is free again
    ]


def test_unmanaged_registrations_are_left_alone(run: ContractRun, raw: Any) -> None:
    """instance_ids omitted: an Auto Scaling group registers and deregisters its own."""
    _, created = _create(run, instance_ids=None)
    scaled = run.prerequisites.running_instance_id("from-asg")
    raw.register_instances_with_load_balancer(
        LoadBalancerName=created.physical_id, Instances=[{"InstanceId": scaled}]
    )
    live = run.provider.read(REGION, created.physical_id)
    assert live is not None
    _update(run, live, instance_ids=None, tags={"tier": "web", "scaled": "yes"})
    described = raw.describe_load_balancers(LoadBalancerNames=[created.physical_id])
    instances = described["LoadBalancerDescriptions"][0]["Instances"]
    assert instances == [{"InstanceId": scaled}]
    assert run.clients.stats.calls["elb.DeregisterInstancesFromLoadBalancer"] == 0


def test_update_of_a_vanished_load_balancer_says_so(run: ContractRun, raw: Any) -> None:
    _, created = _create(run)
    raw.delete_load_balancer(LoadBalancerName=created.physical_id)
    with pytest.raises(ProviderError) as raised:
        _update(run, created, idle_timeout=90)
    assert raised.value.code == "LoadBalancerNotFound"
