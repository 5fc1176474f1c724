"""Lookups (`${ssm:/name}`): resolved per region at plan time; unknown until then."""

from __future__ import annotations

from pathlib import Path

from stackdeploy.config.loader import load_stack
from stackdeploy.model.live import LiveResource, LiveState, Proof
from stackdeploy.model.refs import Lookup, lookups_in
from stackdeploy.model.values import UNKNOWN
from stackdeploy.plan.planner import make_plan
from stackdeploy.plan.types import Action

PARAMETER = "/stacks/network/cidr"
STACK = f"""\
stack: look
region: us-west-2
resources:
  vpc: {{type: aws.ec2.vpc, properties: {{cidr_block: "${{ssm:{PARAMETER}}}"}}}}
  other:
    type: aws.ec2.vpc
    region: eu-west-1
    properties: {{cidr_block: "${{ssm:{PARAMETER}}}", tags: {{from: "${{ssm:{PARAMETER}}}"}}}}
"""


def load(tmp_path: Path) -> object:
    path = tmp_path / "s.yaml"
    path.write_text(STACK)
    return load_stack(path)


def test_lookups_are_found_and_are_not_graph_edges(tmp_path: Path) -> None:
    stack = load(tmp_path)
    assert lookups_in(stack.resources["vpc"].properties) == {Lookup("ssm", PARAMETER)}  # type: ignore[attr-defined]
    assert stack.resources["vpc"].dependencies() == set()  # type: ignore[attr-defined]


def test_values_are_per_region_and_unknown_when_unresolved(tmp_path: Path) -> None:
    stack = load(tmp_path)
    lookups = {Lookup("ssm", PARAMETER).scoped("us-west-2"): "10.0.0.0/16"}
    plan = make_plan(stack, LiveState(), lookups=lookups)  # type: ignore[arg-type]
    assert plan.change("vpc").after["cidr_block"] == "10.0.0.0/16"  # type: ignore[index]
    assert plan.change("other").after["cidr_block"] is UNKNOWN  # type: ignore[index]
    assert plan.lookups == lookups


def test_a_resolved_lookup_equal_to_live_is_no_change(tmp_path: Path) -> None:
    stack = load(tmp_path)
    live = LiveResource(
        "aws.ec2.vpc",
        "vpc-1",
        "us-west-2",
        {
            "cidr_block": "10.0.0.0/16",
            "enable_dns_support": True,
            "enable_dns_hostnames": False,
            "instance_tenancy": "default",
            "tags": {},
            "id": "vpc-1",
        },
        "vpc",
        proof=Proof.RECORDED,
    )
    lookups = {Lookup("ssm", PARAMETER).scoped("us-west-2"): "10.0.0.0/16"}
    plan = make_plan(stack, LiveState({"vpc": live}), lookups=lookups)  # type: ignore[arg-type]
    assert plan.change("vpc").action is Action.NOOP
