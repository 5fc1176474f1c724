"""Benchmark: AWS API calls and wall time of plan/apply/destroy on a wide network stack.

Runs the engine against an in-process moto server with a fixed latency injected into every
call (AWS answers in 50-100 ms; moto in ~5 ms), and compares the no-op plan's refresh calls
with the per-resource baseline: one read per resource, plus the extra reads Terraform's AWS
provider makes for some types (research/perf-anchors.md §5: aws_vpc reads 3 attributes more).

    python bench/bench_refresh.py [--subnets 40] [--groups 40] [--latency-ms 60]
    python bench/bench_refresh.py --workload compute [--instances 20]
    python bench/bench_refresh.py --stack stacks/three-tier.yaml
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }
)

import boto3
from moto.server import ThreadedMotoServer

from stackdeploy.apply.engine import Workspace, apply_planned, plan_stack
from stackdeploy.aws import session as aws_session
from stackdeploy.aws.session import ClientFactory
from stackdeploy.config.loader import LoadOptions, load_stack

# Read calls Terraform's AWS provider makes to refresh one resource of each type.
PER_RESOURCE_READS = {
    "aws.ec2.vpc": 4,  # DescribeVpcs + DescribeVpcAttribute x3
    "aws.ec2.subnet": 1,
    "aws.ec2.internet_gateway": 1,
    "aws.ec2.route_table": 1,
    "aws.ec2.eip": 1,
    "aws.ec2.nat_gateway": 1,
    "aws.ec2.security_group": 1,
    "aws.ec2.security_group_rule": 1,  # DescribeSecurityGroupRules, by id
    # perf-anchors.md §5: DescribeInstances, DescribeInstanceTypes, DescribeTags,
    # DescribeInstanceAttribute x4, DescribeVolumes (burstable types add one more).
    "aws.ec2.instance": 8,
    # Not in the research notes; the smallest read each needs (the object, its tags or
    # attributes), so the baseline is if anything low.
    "aws.iam.role": 3,  # GetRole, ListAttachedRolePolicies, ListRolePolicies
    "aws.iam.instance_profile": 1,  # GetInstanceProfile
    "aws.elbv2.load_balancer": 3,  # DescribeLoadBalancers, ...Attributes, DescribeTags
    "aws.elbv2.target_group": 3,  # DescribeTargetGroups, ...Attributes, DescribeTags
    "aws.elbv2.listener": 2,  # DescribeListeners, DescribeTags
    "aws.ec2.launch_template": 2,  # DescribeLaunchTemplates, ...Versions
    "aws.autoscaling.group": 1,  # DescribeAutoScalingGroups
    # perf-anchors.md §5: aws_s3_bucket reads 15 calls.
    "aws.s3.bucket": 15,
    # Assumed, as above: the object, plus the reads its settings need.
    "aws.rds.db_instance": 2,  # DescribeDBInstances, ListTagsForResource
    "aws.rds.db_subnet_group": 2,  # DescribeDBSubnetGroups, ListTagsForResource
    "aws.dynamodb.table": 4,  # DescribeTable, ...TimeToLive, ...ContinuousBackups, tags
    "aws.kms.key": 5,  # DescribeKey, GetKeyPolicy, GetKeyRotationStatus, tags, aliases
}

STACK = """\
stack: bench-wide
region: us-west-2
vars: {{subnets: {subnets}, groups: {groups}}}
resources:
  vpc: {{type: aws.ec2.vpc, properties: {{cidr_block: 10.0.0.0/16, enable_dns_hostnames: true}}}}
  igw: {{type: aws.ec2.internet_gateway, properties: {{vpc_id: "${{vpc.id}}"}}}}
  public:
    type: aws.ec2.route_table
    properties:
      vpc_id: ${{vpc.id}}
      routes: [{{destination_cidr_block: 0.0.0.0/0, gateway_id: "${{igw.id}}"}}]
      subnet_ids:
{{% for i in range(subnets) %}}
        - ${{subnet_{{{{ i }}}}.id}}
{{% endfor %}}
{{% for i in range(subnets) %}}
  subnet_{{{{ i }}}}:
    type: aws.ec2.subnet
    properties: {{vpc_id: "${{vpc.id}}", cidr_block: "10.0.{{{{ i }}}}.0/24"}}
{{% endfor %}}
{{% for i in range(groups) %}}
  sg_{{{{ i }}}}:
    type: aws.ec2.security_group
    properties:
      vpc_id: ${{vpc.id}}
      ingress: [{{protocol: tcp, port: {{{{ 8000 + i }}}}, cidr_blocks: [10.0.0.0/16]}}]
{{% endfor %}}
"""

# A web fleet: network, IAM, N instances, and a load-balanced Auto Scaling group.
COMPUTE_STACK = Path(__file__).parent / "compute.yaml"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _with_latency(seconds: float) -> Any:
    original = aws_session.new_boto3_session

    def session(profile: str | None) -> boto3.Session:
        made = original(profile)

        def delay(**_: Any) -> None:
            time.sleep(seconds)

        made.events.register("before-send", delay)
        return made

    return session


def measure(workspace: Workspace, stack: Any, *, destroy: bool, execute: bool) -> dict[str, Any]:
    stats = workspace.clients.stats
    stats.calls.clear()
    started = time.monotonic()
    run = plan_stack(workspace, stack, destroy=destroy)
    planned_calls = sum(stats.calls.values())
    plan_seconds = time.monotonic() - started
    result = None
    if execute:
        with run.store.lock("bench"):
            result = apply_planned(workspace, run, parallelism=10)
        assert result.ok, result.failures
    return {
        "refresh_calls": planned_calls,
        "refresh_seconds": plan_seconds,
        "total_calls": sum(stats.calls.values()),
        "total_seconds": time.monotonic() - started,
        "changes": len(run.plan.actionable()),
        "by_operation": dict(stats.calls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subnets", type=int, default=40)
    parser.add_argument("--groups", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=60.0)
    parser.add_argument("--workload", choices=("network", "compute"), default="network")
    parser.add_argument(
        "--stack", type=Path, help="benchmark this stack file instead (e.g. stacks/three-tier.yaml)"
    )
    parser.add_argument("--instances", type=int, default=20)
    args = parser.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto logs every request
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    aws_session.new_boto3_session = _with_latency(args.latency_ms / 1000)
    try:
        folder = Path(tempfile.mkdtemp(prefix="stackdeploy-bench-"))
        if args.stack:
            stack = load_stack(args.stack)
        elif args.workload == "compute":
            stack = load_stack(COMPUTE_STACK, LoadOptions(cli_vars=[f"instances={args.instances}"]))
        else:
            stack_file = folder / "wide.yaml"
            stack_file.write_text(STACK.format(subnets=args.subnets, groups=args.groups))
            stack = load_stack(stack_file)
        clients = ClientFactory(
            endpoint_url=f"http://127.0.0.1:{port}", default_region=stack.region
        )
        workspace = Workspace(clients, folder / "state")
        baseline = sum(PER_RESOURCE_READS[r.type] for r in stack.resources.values())

        apply = measure(workspace, stack, destroy=False, execute=True)
        noop = measure(workspace, stack, destroy=False, execute=False)
        destroy = measure(workspace, stack, destroy=True, execute=True)
    finally:
        server.stop()

    counts = Counter(r.type.rsplit(".", 1)[-1] for r in stack.resources.values())
    listed = ", ".join(f"{n} {kind}" for kind, n in counts.most_common())
    print(f"stack: {len(stack.resources)} resources ({listed})")
    print(f"injected latency {args.latency_ms:.0f} ms per call")
    print()
    print(f"{'phase':<12}{'API calls':>10}{'seconds':>10}")
    print(f"{'apply':<12}{apply['total_calls']:>10}{apply['total_seconds']:>10.2f}")
    print(f"{'no-op plan':<12}{noop['total_calls']:>10}{noop['total_seconds']:>10.2f}")
    print(f"{'destroy':<12}{destroy['total_calls']:>10}{destroy['total_seconds']:>10.2f}")
    print()
    print("refresh of a no-op plan (reads only):")
    print(f"  ours (batched by type):         {noop['refresh_calls']:>5} calls")
    print(f"  per-resource baseline:          {baseline:>5} calls")
    print(
        f"  ratio baseline / ours:          {baseline / noop['refresh_calls']:>5.1f}x fewer calls"
    )
    # Per-resource refresh: 10 resources at a time, each reading its calls one after another,
    # so it takes at least the spread-out total and at least the longest single resource.
    latency = args.latency_ms / 1000
    longest = max(PER_RESOURCE_READS[r.type] for r in stack.resources.values())
    modelled = max(baseline * latency / 10, longest * latency)
    print(
        f"  baseline at parallelism 10:     {modelled:>5.2f} s (modelled: max(calls x latency"
        f" / 10, {longest} sequential reads of one resource x latency))"
    )
    print(f"  ours, measured:                 {noop['refresh_seconds']:>5.2f} s")
    print()
    print("no-op plan calls by operation:")
    for operation, calls in sorted(noop["by_operation"].items(), key=lambda item: -item[1]):
        print(f"  {operation:<48}{calls:>5}")


if __name__ == "__main__":
    main()
