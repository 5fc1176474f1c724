"""Benchmark: AWS API calls and wall time of `deploy ls` and `deploy sweep --dry-run` over
many stacks in several regions, against the per-type scan of an account sweeper.

Sets up `--stacks` stacks of `--resources` resources each (a VPC, an internet gateway, a
route table, an IAM role, and subnets and security groups for the rest) on an in-process moto
server, stack i in region i % 3 of us-east-1, us-west-2 and eu-west-1, applied through the
engine. Every resource of every other stack (0, 2, 4, ...) is then retagged
`stackdeploy:expires=2020-01-01T00:00:00Z` with plain boto3, so a sweep has half of them to
plan. Then the CLI runs in this process with a fixed latency injected into every call (AWS
answers in 50-100 ms; moto in ~5 ms): `deploy ls` and `deploy sweep --dry-run` over the three
regions, each with --debug, whose call counts are parsed and checked against a botocore
`before-send` counter. Also checked: `ls --json` lists every stack with all its resources, the
sweep says half the stacks "would be swept", and the dry run sent no mutating call.

Baseline: what an account sweeper (aws-nuke, cloud-nuke) sends to find the same stacks. It
knows nothing of stackdeploy's tags, so it lists every type it knows in every region, then
reads each resource's tags where the list call does not return them. Computed, not run, from
the resources created:

  * per region, one list call for each regional type stackdeploy has (24: DescribeVpcs,
    DescribeSubnets, ..., DescribeDBInstances; one page each at these sizes); once for the
    account, one per IAM type (ListRoles, ListInstanceProfiles);
  * plus a tag read per resource of a type whose list carries no tags: IAM ListRoleTags per
    role and ListInstanceProfileTags per profile, KMS ListResourceTags per key, DynamoDB
    ListTagsOfResource per table, S3 GetBucketTagging per bucket, RDS ListTagsForResource
    per resource, ELB/ELBv2 DescribeTags per 20 ARNs. EC2's Describe* and Auto Scaling's
    DescribeAutoScalingGroups return tags, so they add nothing.

That is a lower bound: aws-nuke knows hundreds of types, not stackdeploy's 26, and a listener
or rule list needs one call per load balancer or listener (there are none here). A dry run of
the sweeper is the same scan, so the one baseline stands for both commands. Its time is
calls x latency, scheduled as aws-nuke v2 does (cmd/nuke.go, cmd/scan.go): regions one after
another ("global", where IAM is listed, is one of them), up to 16 types at once within a
region (ScannerParallelQueries), each type's list and tag reads one after another. For
comparison the other common shape is also shown: regions at once, types one after another.

    python bench/bench_inventory.py [--stacks 10] [--resources 20] [--latency-ms 60]
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import io
import json
import logging
import math
import os
import re
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
    }
)
# Settings that would point the CLI elsewhere than the in-process server and state folder.
for _name in (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "STACKDEPLOY_STATE_DIR",
    "STACKDEPLOY_STATE_BUCKET",
):
    os.environ.pop(_name, None)

try:
    import boto3
    from moto.server import ThreadedMotoServer

    from stackdeploy.apply.engine import Workspace, apply_planned, plan_stack
    from stackdeploy.aws import session as aws_session
    from stackdeploy.aws.session import ClientFactory
    from stackdeploy.cli.main import main as deploy
    from stackdeploy.config.loader import load_stack
    from stackdeploy.specs.base import MARK_TAG_EXPIRES, OWNERSHIP_TAG_STACK
    from stackdeploy.specs.registry import RESOURCE_TYPES
except ImportError as missing:  # moto is the `local` extra; flask etc. come with moto[server]
    print(f"skipped: {missing} (pip install -e '.[local]')")
    sys.exit(0)

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")
EXPIRED = "2020-01-01T00:00:00Z"
FIXED = ("vpc", "igw", "routes", "role")  # the rest are subnets and security groups

# Reads a sweeper needs per resource because the type's list call returns no tags:
# type -> (operation, resources per call).
TAG_READS: dict[str, tuple[str, int]] = {
    "aws.iam.role": ("iam.ListRoleTags", 1),
    "aws.iam.instance_profile": ("iam.ListInstanceProfileTags", 1),
    "aws.kms.key": ("kms.ListResourceTags", 1),
    "aws.dynamodb.table": ("dynamodb.ListTagsOfResource", 1),
    "aws.s3.bucket": ("s3.GetBucketTagging", 1),
    "aws.rds.db_subnet_group": ("rds.ListTagsForResource", 1),
    "aws.rds.db_parameter_group": ("rds.ListTagsForResource", 1),
    "aws.rds.db_instance": ("rds.ListTagsForResource", 1),
    "aws.rds.db_replica": ("rds.ListTagsForResource", 1),
    "aws.elb.load_balancer": ("elb.DescribeTags", 20),
    "aws.elbv2.load_balancer": ("elbv2.DescribeTags", 20),
    "aws.elbv2.target_group": ("elbv2.DescribeTags", 20),
    "aws.elbv2.listener": ("elbv2.DescribeTags", 20),
    "aws.elbv2.listener_rule": ("elbv2.DescribeTags", 20),
}
NUKE_PARALLEL_TYPES = 16  # aws-nuke v2 cmd/scan.go: ScannerParallelQueries
MUTATING = re.compile(
    r"\.(Create|Delete|Put|Modify|Tag|Untag|Update|Run|Terminate|Attach|Detach|Associate|"
    r"Disassociate|Authorize|Revoke|Replace|Start|Stop|Reboot)"
)


def stack_text(name: str, region: str, resources: int) -> str:
    rest = resources - len(FIXED)
    subnets, groups = (rest + 1) // 2, rest // 2
    lines = [
        f"stack: {name}",
        f"region: {region}",
        "resources:",
        "  vpc: {type: aws.ec2.vpc, properties: {cidr_block: 10.0.0.0/16}}",
        '  igw: {type: aws.ec2.internet_gateway, properties: {vpc_id: "${vpc.id}"}}',
        "  routes:",
        "    type: aws.ec2.route_table",
        "    properties:",
        "      vpc_id: ${vpc.id}",
        '      routes: [{destination_cidr_block: 0.0.0.0/0, gateway_id: "${igw.id}"}]',
        f"      subnet_ids: [{', '.join(f'${{subnet_{i}.id}}' for i in range(subnets))}]",
        "  role:",
        "    type: aws.iam.role",
        "    properties:",
        "      assume_role_policy:",
        "        Statement:",
        "          - {Effect: Allow, Principal: {Service: ec2.amazonaws.com},"
        " Action: sts:AssumeRole}",
    ]
    for i in range(subnets):
        lines.append(
            f"  subnet_{i}: {{type: aws.ec2.subnet, properties:"
            f' {{vpc_id: "${{vpc.id}}", cidr_block: 10.0.{i}.0/24}}}}'
        )
    for i in range(groups):
        lines += [
            f"  sg_{i}:",
            "    type: aws.ec2.security_group",
            "    properties:",
            "      vpc_id: ${vpc.id}",
            f"      ingress: [{{protocol: tcp, port: {8000 + i}, cidr_blocks: [10.0.0.0/16]}}]",
        ]
    return "\n".join(lines) + "\n"


@dataclass
class Wire:
    """What reaches the server: a fixed delay before every request, and a count of them."""

    latency: float = 0.0
    calls: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def before_send(self, event_name: str, **_: Any) -> None:
        # event_name is before-send.<service id>.<Operation>
        with self.lock:
            self.calls[event_name.split(".", 1)[1]] += 1
        if self.latency:
            time.sleep(self.latency)

    def install(self) -> None:
        """Every session the CLI's and the engine's client factories make gets the hook."""
        original = aws_session.new_boto3_session

        def session(profile: str | None) -> boto3.Session:
            made = original(profile)
            made.events.register("before-send", self.before_send)
            return made

        aws_session.new_boto3_session = session


@dataclass
class Run:
    code: int
    seconds: float
    stdout: str
    stderr: str
    sent: Counter[str]  # counted on the wire
    debug_total: int | None = None  # "AWS API calls: N (R retries)"
    debug_retries: int | None = None
    by_operation: dict[str, int] = field(default_factory=dict)  # the --debug list


def run_cli(wire: Wire, argv: list[str]) -> Run:
    out, err = io.StringIO(), io.StringIO()
    wire.calls.clear()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = deploy(argv)
    run = Run(
        code, time.perf_counter() - started, out.getvalue(), err.getvalue(), wire.calls.copy()
    )
    total = re.search(r"AWS API calls: (\d+) \((\d+) retries\)", run.stderr)
    if total:
        run.debug_total, run.debug_retries = int(total.group(1)), int(total.group(2))
        tail = run.stderr[total.end() :]
        run.by_operation = {m[1]: int(m[2]) for m in re.finditer(r"^\s+(\S+): (\d+)$", tail, re.M)}
    return run


def setup(url: str, folder: Path, stacks: int, resources: int) -> dict[str, str]:
    """Apply the stacks through the engine; retag every other one as expired. Name -> region."""
    placed = {f"inv-{i:02d}": REGIONS[i % len(REGIONS)] for i in range(stacks)}
    for name, region in placed.items():
        stack_file = folder / f"{name}.yaml"
        stack_file.write_text(stack_text(name, region, resources))
        stack = load_stack(stack_file)
        workspace = Workspace(ClientFactory(endpoint_url=url, default_region=region), folder)
        run = plan_stack(workspace, stack)
        with run.store.lock("bench"):
            result = apply_planned(workspace, run, parallelism=10)
        assert result.ok, result.failures
    expired = [name for i, name in enumerate(placed) if i % 2 == 0]
    iam = boto3.client("iam", region_name="us-east-1", endpoint_url=url)
    roles = {
        role["RoleName"]: {t["Key"]: t["Value"] for t in role.get("Tags") or []}
        for role in iam.list_roles()["Roles"]
    }
    mark = [{"Key": MARK_TAG_EXPIRES, "Value": EXPIRED}]
    for name in expired:
        ec2 = boto3.client("ec2", region_name=placed[name], endpoint_url=url)
        owned = ec2.describe_tags(
            Filters=[
                {"Name": "key", "Values": [OWNERSHIP_TAG_STACK]},
                {"Name": "value", "Values": [name]},
            ]
        )["Tags"]
        ec2.create_tags(Resources=sorted({t["ResourceId"] for t in owned}), Tags=mark)
        for role_name in roles:
            tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role_name)["Tags"]}
            if tags.get(OWNERSHIP_TAG_STACK) == name:
                iam.tag_role(RoleName=role_name, Tags=mark)
    return placed


def nuke_lanes(placed: dict[str, str], resources: int) -> dict[str, list[int]]:
    """Per region ("global" for IAM): the calls of each type's lister, list + tag reads."""
    created: Counter[tuple[str, str]] = Counter()
    rest = resources - len(FIXED)
    for region in placed.values():
        created[("aws.ec2.vpc", region)] += 1
        created[("aws.ec2.internet_gateway", region)] += 1
        created[("aws.ec2.route_table", region)] += 1
        created[("aws.ec2.subnet", region)] += (rest + 1) // 2
        created[("aws.ec2.security_group", region)] += rest // 2
        created[("aws.iam.role", "global")] += 1
    lanes: dict[str, list[int]] = {region: [] for region in (*REGIONS, "global")}
    for rtype, spec in sorted(RESOURCE_TYPES.items()):
        for region in ("global",) if spec.global_service else REGIONS:
            count = created[(rtype, region)]
            per = TAG_READS[rtype][1] if rtype in TAG_READS else 0
            lanes[region].append(1 + (math.ceil(count / per) if per else 0))
    return lanes


def makespan(jobs: list[int], workers: int) -> int:
    """Calls on the longest worker when jobs start in order on the first free of `workers`."""
    free = [0] * workers
    for job in jobs:
        heapq.heappush(free, heapq.heappop(free) + job)
    return max(free)


def check(condition: bool, what: str, problems: list[str]) -> None:
    if not condition:
        problems.append(what)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stacks", type=int, default=10)
    parser.add_argument("--resources", type=int, default=20, help="per stack, at least 6")
    parser.add_argument("--latency-ms", type=float, default=60.0)
    args = parser.parse_args()
    if args.resources < len(FIXED) + 2 or args.stacks < 2:
        parser.error("--resources needs at least 6 and --stacks at least 2")

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto logs every request
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    url = f"http://127.0.0.1:{port}"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    wire = Wire()
    wire.install()
    try:
        folder = Path(tempfile.mkdtemp(prefix="stackdeploy-bench-inventory-"))
        started = time.perf_counter()
        placed = setup(url, folder, args.stacks, args.resources)
        setup_seconds = time.perf_counter() - started
        wire.latency = args.latency_ms / 1000
        where = [a for region in REGIONS for a in ("--region", region)]
        common = [*where, "--endpoint-url", url, "--state-dir", str(folder), "--no-color"]
        listed = run_cli(wire, ["ls", *common, "--json"])
        ls = run_cli(wire, ["ls", *common, "--debug"])
        sweep = run_cli(wire, ["sweep", *common, "--dry-run", "--debug"])
    finally:
        server.stop()

    expired = (args.stacks + 1) // 2
    problems: list[str] = []
    for name, run in (("ls --json", listed), ("ls", ls), ("sweep --dry-run", sweep)):
        check(run.code == 0, f"{name} exited {run.code}: {run.stderr.strip()[-500:]}", problems)
    found: dict[str, int] = {}
    with contextlib.suppress(ValueError, KeyError, TypeError):
        found = {s["stack"]: s["resource_count"] for s in json.loads(listed.stdout)["stacks"]}
    check(set(found) == set(placed), f"ls --json listed {sorted(found)}", problems)
    check(
        all(n == args.resources for n in found.values()),
        f"ls --json resource counts {found}, expected {args.resources} each",
        problems,
    )
    swept = re.search(r"(\d+) of (\d+) stacks would be swept", sweep.stdout)
    check(
        swept is not None and swept.group(1) == swept.group(2) == str(expired),
        f"sweep --dry-run did not say {expired} of {expired} would be swept: {sweep.stdout!r}",
        problems,
    )
    would = [int(n) for n in re.findall(r"would destroy (\d+) resources", sweep.stdout)]
    check(
        would == [args.resources] * expired,
        f"sweep --dry-run planned {would} deletions, expected {args.resources} per stack",
        problems,
    )
    for name, run in (("ls", ls), ("sweep --dry-run", sweep)):
        check(
            run.debug_total == sum(run.sent.values()),
            f"{name}: --debug says {run.debug_total} calls, {sum(run.sent.values())} were sent",
            problems,
        )
        writes = sorted(op for op in run.by_operation if MUTATING.search(op))
        writes += sorted(op for op in run.sent if MUTATING.search(f".{op.split('.')[-1]}"))
        check(not writes, f"{name} sent mutating calls: {writes}", problems)

    latency = args.latency_ms / 1000
    lanes = nuke_lanes(placed, args.resources)
    base_calls = sum(sum(jobs) for jobs in lanes.values())
    nuke_seconds = sum(makespan(jobs, NUKE_PARALLEL_TYPES) for jobs in lanes.values()) * latency
    flat_seconds = max(sum(jobs) for jobs in lanes.values()) * latency
    regional_types = len(lanes[REGIONS[0]])

    total = args.stacks * args.resources
    spread = Counter(placed.values())
    print(
        f"{args.stacks} stacks x {args.resources} resources = {total} (each: VPC, internet"
        f" gateway, route table, IAM role, {(args.resources - 3) // 2} subnets,"
        f" {(args.resources - 4) // 2} security groups), in "
        + ", ".join(f"{region} {spread[region]}" for region in REGIONS)
    )
    print(f"{expired} stacks tagged expired; setup (no latency) took {setup_seconds:.1f} s")
    print(f"injected latency {args.latency_ms:.0f} ms per call; 3 regions looked in")
    print()
    print(f"{'command':<40}{'API calls':>10}{'seconds':>10}")
    for name, run in (("deploy ls", ls), ("deploy sweep --dry-run", sweep)):
        print(f"{name:<40}{sum(run.sent.values()):>10}{run.seconds:>10.2f}")
    print(f"{'sweeper baseline (modelled, both)':<40}{base_calls:>10}{nuke_seconds:>10.2f}")
    print()
    print(
        f"baseline: per region, one list call for each of stackdeploy's {regional_types}"
        " regional types; once,"
    )
    print("  ListRoles and ListInstanceProfiles; plus a tag read per resource whose list returns")
    print("  no tags (here ListRoleTags per role; EC2's lists carry tags).")
    print("  The same scan serves a sweeper's dry run. A lower bound: aws-nuke knows hundreds of")
    print("  types. Calls per region:")
    for region, jobs in lanes.items():
        print(f"    {region:<12}{sum(jobs):>5} calls in {len(jobs)} listers, longest {max(jobs)}")
    print(
        f"  time assumed as aws-nuke v2 schedules it: regions one after another, "
        f"{NUKE_PARALLEL_TYPES} types at once"
    )
    print(
        f"  per region, a type's list and tag reads in sequence: {nuke_seconds:.2f} s"
        f" (calls x {args.latency_ms:.0f} ms)"
    )
    print(f"  regions at once, types one after another instead: {flat_seconds:.2f} s")
    print()
    print(
        f"ls: {base_calls / sum(ls.sent.values()):.1f}x fewer calls than the baseline;"
        f" sweep --dry-run: {base_calls / sum(sweep.sent.values()):.1f}x"
    )
    # The sweep's scan is ls's without the cost reads (here DescribeSubnets per region).
    scan = sum(ls.sent.values()) - ls.sent["ec2.DescribeSubnets"]
    print(
        f"sweep --dry-run: the scan ({scan} calls), then a destroy plan per expired stack (4 at"
        f" a time), each reading every type in its regions:"
        f" {(sum(sweep.sent.values()) - scan) / expired:.0f} calls a stack"
    )
    print(
        "checked: ls --json lists all stacks with all their resources; the sweep says"
        f" {expired} of {expired} would be swept, {args.resources} deletions each; no mutating"
        " call; --debug counts equal calls on the wire"
        if not problems
        else "CHECKS FAILED:\n  " + "\n  ".join(problems)
    )
    for name, run in (("ls", ls), ("sweep --dry-run", sweep)):
        print()
        print(f"{name} calls by operation:")
        for operation, calls in sorted(run.sent.items(), key=lambda item: (-item[1], item[0])):
            print(f"  {operation:<48}{calls:>5}")
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
