"""find_drift (issue 9): the last apply's record against what AWS holds, without AWS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stackdeploy.config.loader import load_stack
from stackdeploy.model.live import LiveResource, LiveState, Proof
from stackdeploy.model.stack import Stack
from stackdeploy.plan.drift import Baseline, PropertyDrift, Recorded, find_drift
from stackdeploy.report.drift_view import drift_to_public

STACK = """\
stack: net
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16, enable_dns_hostnames: true, tags: {team: web, Owner: a}}
    lifecycle: {ignore_changes: [tags.Owner]}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24, availability_zone: us-west-2a}
"""
VPC: dict[str, Any] = {
    "cidr_block": "10.0.0.0/16",
    "enable_dns_hostnames": True,
    "enable_dns_support": True,
    "instance_tenancy": "default",
    "tags": {"team": "web", "Owner": "a"},
}
SUBNET: dict[str, Any] = {
    "vpc_id": "vpc-1",
    "cidr_block": "10.0.1.0/24",
    "availability_zone": "us-west-2a",
    "map_public_ip_on_launch": False,
    "tags": {},
}


def stack_of(tmp_path: Path) -> Stack:
    path = tmp_path / "net.yaml"
    path.write_text(STACK)
    return load_stack(path)


def found(address: str, type_name: str, physical_id: str, **properties: Any) -> LiveResource:
    return LiveResource(
        type_name, physical_id, "us-west-2", properties, address, proof=Proof.RECORDED
    )


def test_what_changed_since_the_last_apply_and_what_is_gone(tmp_path: Path) -> None:
    live = LiveState(
        resources={
            "vpc": found(
                "vpc",
                "aws.ec2.vpc",
                "vpc-1",
                **{**VPC, "enable_dns_hostnames": False, "tags": {"team": "api", "Owner": "z"}},
            )
        }
    )
    recorded = {
        "vpc": Recorded("aws.ec2.vpc", "us-west-2", "vpc-1", VPC),
        "subnet": Recorded("aws.ec2.subnet", "us-west-2", "subnet-1", SUBNET),
    }
    drift = find_drift(stack_of(tmp_path), live, recorded, account="1")
    assert drift.has_drift and drift.compared == 2
    subnet, vpc = drift.resources
    assert subnet.deleted and subnet.physical_id == "subnet-1"
    assert vpc.baseline is Baseline.APPLIED
    # tags.Owner is under ignore_changes: never drift.
    assert vpc.changes == (
        PropertyDrift("enable_dns_hostnames", True, False),
        PropertyDrift("tags.team", "web", "api"),
    )
    public = drift_to_public(drift)
    assert [r["status"] for r in public["resources"]] == ["deleted", "changed"]


def test_without_a_recorded_apply_the_file_is_the_baseline(tmp_path: Path) -> None:
    """Found by its tags after a lost state: references resolve from what AWS holds."""
    live = LiveState(
        resources={
            "vpc": found("vpc", "aws.ec2.vpc", "vpc-1", **VPC),
            "subnet": found(
                "subnet", "aws.ec2.subnet", "subnet-1", **{**SUBNET, "tags": {"added": "x"}}
            ),
        }
    )
    drift = find_drift(stack_of(tmp_path), live, {}, account="1")
    [subnet] = drift.resources
    assert subnet.baseline is Baseline.DECLARED
    assert subnet.changes == (PropertyDrift("tags.added", None, "x"),)


def test_nothing_changed_is_no_drift(tmp_path: Path) -> None:
    live = LiveState(resources={"vpc": found("vpc", "aws.ec2.vpc", "vpc-1", **VPC)})
    recorded = {"vpc": Recorded("aws.ec2.vpc", "us-west-2", "vpc-1", VPC)}
    drift = find_drift(stack_of(tmp_path), live, recorded)
    assert not drift.has_drift and drift.compared == 1  # subnet: declared, never made
