"""Benchmark: time from stack file to validated Stack and graph, by file size.

Generates stacks of security groups, subnets and S3 buckets (about 16 YAML nodes per 6 lines,
like the example stacks), loads each and prints the time of every stage. Loading should grow
linearly with the size of the file.

    python bench/bench_load.py [--lines 1500 3000 6000 12000 24000]
    python bench/bench_load.py --lines 60000 --unbounded   # past the input limits

--unbounded lifts the limits of config/limits.py, to see how the pipeline itself scales
beyond them (a 60,000-line file is 1.6 MB: over the 1 MB limit, and 180,000 YAML nodes).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from stackdeploy.config import limits, loader
from stackdeploy.graph.build import build_graph


def stack_text(lines: int) -> str:
    out = [
        "stack: bench",
        "region: us-west-2",
        "vars:",
        "  cidr: 10.0.0.0/16",
        "tags: {project: bench}",
        "resources:",
        "  vpc:",
        "    type: aws.ec2.vpc",
        '    properties: {cidr_block: "{{ cidr }}"}',
    ]
    n = 0
    while len(out) < lines:
        if n % 3 == 0 and n < 12_000:  # a /16 holds 4,096 subnets of /28
            out += [
                f"  subnet_{n}:",
                "    type: aws.ec2.subnet",
                "    properties:",
                "      vpc_id: ${vpc.id}",
                f"      cidr_block: 10.0.{n // 48}.{(n // 3 % 16) * 16}/28",
                "      availability_zone: us-west-2a",
            ]
        elif n % 3 == 1:
            out += [
                f"  bucket_{n}:",
                "    type: aws.s3.bucket",
                "    properties:",
                f"      name: bench-bucket-{n}",
                "      versioning: Enabled",
                "      tags: {team: data}",
            ]
        else:
            out += [
                f"  sg_{n}:",
                "    type: aws.ec2.security_group",
                "    properties:",
                "      vpc_id: ${vpc.id}",
                f"      description: group {n}",
                "      ingress:",
                "        - {protocol: tcp, port: 443, cidr_blocks: [0.0.0.0/0]}",
                f"        - {{protocol: tcp, port: {1000 + n % 5000}, cidr_blocks: [10.0.0.0/16]}}",
            ]
        n += 1
    return "\n".join(out) + "\n"


def timed(stages: Counter[str], name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            stages[name] += time.perf_counter() - started

    return wrapper


def lift_limits() -> None:
    for name in dir(limits):
        if name.isupper() and name not in ("KB", "MB"):
            setattr(limits, name, 10**8 if name != "YAML_DEPTH" else 64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1500, 3000, 6000, 12000, 24000])
    parser.add_argument("--unbounded", action="store_true", help="lift the input limits")
    args = parser.parse_args()
    if args.unbounded:
        lift_limits()
    stages: Counter[str] = Counter()
    loader.render_template = timed(stages, "render", loader.render_template)
    loader.SourceMap = timed(stages, "source map", loader.SourceMap)  # type: ignore[misc]
    loader.parse_yaml = timed(stages, "yaml", loader.parse_yaml)
    loader.build_stack = timed(stages, "validate", loader.build_stack)
    print(f"{'lines':>7} {'bytes':>10} {'resources':>9} {'total s':>8}  stages (s)")
    with tempfile.TemporaryDirectory() as folder:
        for lines in args.lines:
            path = Path(folder) / f"stack-{lines}.yaml"
            path.write_text(stack_text(lines))
            stages.clear()
            started = time.perf_counter()
            stack = loader.load_stack(path)
            timed(stages, "graph", build_graph)(stack)
            total = time.perf_counter() - started
            detail = ", ".join(f"{name} {seconds:.2f}" for name, seconds in stages.items())
            size = path.stat().st_size
            print(f"{lines:>7} {size:>10,} {len(stack.resources):>9} {total:>8.2f}  {detail}")


if __name__ == "__main__":
    main()
