"""Listener and listener rule behaviour the contract suite does not show: TLS settings read
the way AWS reports them, certificate changes, redirect defaults, actions made outside
stackdeploy, refusals explained, gone parents, rule priorities and conditions."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from stackdeploy.aws.session import ClientFactory
from stackdeploy.errors import ProviderError
from stackdeploy.model.live import LiveResource
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action
from stackdeploy.providers.base import ResourceContext
from tests.providers.cases_elbv2 import (
    HTTPS_LISTENER,
    LISTENER,
    LISTENER_RULE,
    fail_next,
    rewrite,
)
from tests.providers.harness import REGION, STACK, ContractCase, ContractRun


def _run(case: ContractCase, clients: ClientFactory, aws: str) -> ContractRun:
    return ContractRun(case, clients, aws)


def _create(run: ContractRun, raw: dict[str, Any]) -> tuple[ResourceContext, LiveResource]:
    ctx = run.context()
    return ctx, run.provider.create(ctx, run.canonical(raw))


def _apply(run: ContractRun, ctx: ResourceContext, live: LiveResource, raw: dict[str, Any]) -> Any:
    change = make_plan(run.stack_with(raw), run.live_state(live)).change("subject")
    assert change.action is Action.UPDATE
    return change, run.provider.update(ctx, live, change.after or {}, change.changes)


def _acm_certificate(endpoint: str, domain: str) -> str:
    acm = boto3.client("acm", region_name=REGION, endpoint_url=endpoint)
    return str(acm.request_certificate(DomainName=domain)["CertificateArn"])


def test_an_http_listener_has_no_tls_settings(clients: ClientFactory, aws: str) -> None:
    run = _run(LISTENER, clients, aws)
    _, created = _create(run, LISTENER.properties(run.prerequisites))
    # moto reports a default TLS policy on HTTP listeners too; AWS reports none.
    assert (created.properties["ssl_policy"], created.properties["certificate_arn"]) == (None, None)


def test_a_new_certificate_is_set_in_place(clients: ClientFactory, aws: str) -> None:
    run = _run(HTTPS_LISTENER, clients, aws)
    first = _acm_certificate(aws, "www.example.com")
    raw = {**HTTPS_LISTENER.properties(run.prerequisites), "certificate_arn": first}
    ctx, created = _create(run, raw)
    renewed = _acm_certificate(aws, "www2.example.com")
    change, updated = _apply(run, ctx, created, {**raw, "certificate_arn": renewed})
    assert [c.path for c in change.changes] == ["certificate_arn"]
    assert updated.properties["certificate_arn"] == renewed
    assert updated.properties["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"


def test_redirect_parts_left_out_read_back_as_aws_defaults(
    clients: ClientFactory, aws: str
) -> None:
    run = _run(LISTENER, clients, aws)
    raw = LISTENER.in_place_change(run.prerequisites, LISTENER.properties(run.prerequisites))
    _, created = _create(run, raw)
    assert created.properties["default_action"]["redirect"] == {
        "protocol": "HTTPS",
        "port": "443",
        "host": "#{host}",
        "path": "/#{path}",
        "query": "#{query}",
        "status_code": "HTTP_301",
    }
    assert make_plan(run.stack_with(raw), run.live_state(created)).change("subject").action is (
        Action.NOOP
    )


def test_a_weighted_forward_made_outside_is_drift(clients: ClientFactory, aws: str) -> None:
    run = _run(LISTENER, clients, aws)
    raw = LISTENER.properties(run.prerequisites)
    _create(run, raw)
    ours = raw["default_action"]["target_group_arn"]
    canary = run.prerequisites.target_group_arn("canary")

    def weighted(parsed: dict[str, Any]) -> None:
        groups = [{"TargetGroupArn": arn, "Weight": 1} for arn in (ours, canary)]
        for listener in parsed["Listeners"]:
            listener["DefaultActions"] = [
                {"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}
            ]

    rewrite(run.clients, "DescribeListeners", weighted)
    [found] = run.provider.read_owned(REGION, STACK)
    change = make_plan(run.stack_with(raw), run.live_state(found)).change("subject")
    assert change.action is Action.UPDATE
    assert [c.path for c in change.changes] == ["default_action"]


def test_a_port_taken_outside_the_stack_is_explained(clients: ClientFactory, aws: str) -> None:
    run = _run(LISTENER, clients, aws)
    fail_next(run.clients, "CreateListener", "DuplicateListener")
    with pytest.raises(ProviderError) as raised:
        _create(run, LISTENER.properties(run.prerequisites))
    assert raised.value.code == "DuplicateListener"
    assert "port 80" in raised.value.message


def test_listeners_and_rules_of_a_deleted_load_balancer_read_as_absent(
    clients: ClientFactory, aws: str
) -> None:
    run = _run(LISTENER_RULE, clients, aws)
    _, rule = _create(run, LISTENER_RULE.properties(run.prerequisites))
    plain = boto3.client("elbv2", region_name=REGION, endpoint_url=aws)
    plain.delete_load_balancer(LoadBalancerArn=run.prerequisites.load_balancer_arn())
    assert run.provider.read_many(REGION, [rule.physical_id]) == {}
    listener = _run(LISTENER, clients, aws).provider
    assert listener.read_many(REGION, [run.prerequisites.alb_listener_arn()]) == {}


def test_a_priority_change_only_moves_the_rule(clients: ClientFactory, aws: str) -> None:
    run = _run(LISTENER_RULE, clients, aws)
    raw = LISTENER_RULE.properties(run.prerequisites)
    ctx, created = _create(run, raw)
    run.clients.stats.calls.clear()
    _, updated = _apply(run, ctx, created, {**raw, "priority": 5})
    assert updated.properties["priority"] == 5
    assert "elbv2.SetRulePriorities" in run.clients.stats.calls
    assert "elbv2.ModifyRule" not in run.clients.stats.calls


def test_a_priority_in_use_is_explained(clients: ClientFactory, aws: str) -> None:
    run = _run(LISTENER_RULE, clients, aws)
    fail_next(run.clients, "CreateRule", "PriorityInUse")
    with pytest.raises(ProviderError) as raised:
        _create(run, LISTENER_RULE.properties(run.prerequisites))
    assert raised.value.code == "PriorityInUse"


def test_conditions_from_the_older_api_read_the_same(clients: ClientFactory, aws: str) -> None:
    """Rules made with the flat `Values` field (before the *Config shapes) are no change."""
    run = _run(LISTENER_RULE, clients, aws)
    raw = LISTENER_RULE.properties(run.prerequisites)
    _create(run, raw)

    def flat(parsed: dict[str, Any]) -> None:
        for rule in parsed["Rules"]:
            for condition in rule["Conditions"]:
                for key in ("PathPatternConfig", "HostHeaderConfig"):
                    if key in condition:
                        condition["Values"] = condition.pop(key)["Values"]

    rewrite(run.clients, "DescribeRules", flat)
    [found] = run.provider.read_owned(REGION, STACK)
    assert found.properties["conditions"] == [
        {"path_patterns": ["/api/*"]},
        {"host_headers": ["api.example.com"]},
    ]
    assert make_plan(run.stack_with(raw), run.live_state(found)).change("subject").action is (
        Action.NOOP
    )
