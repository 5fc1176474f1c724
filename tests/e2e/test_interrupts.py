"""Ctrl-C during an apply: acknowledged at once, naming what is in flight; that finishes and
is recorded, nothing new starts, and the next apply carries on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO, Cli
from tests.e2e.leftovers import owned_resources
from tests.strict import Call, StrictAws

pytestmark = pytest.mark.e2e

STACK = """\
stack: halted
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
  subnet:
    type: aws.ec2.subnet
    properties: {vpc_id: "${vpc.id}", cidr_block: 10.0.1.0/24}
  web_sg:
    type: aws.ec2.security_group
    properties: {vpc_id: "${vpc.id}"}
    depends_on: [subnet]
"""
SLOW_SECONDS = 2.0


def test_first_ctrl_c_is_acknowledged_at_once_and_in_flight_work_is_recorded(
    cli: Cli, workdir: Path, aws: str, strict_aws: StrictAws
) -> None:
    stack = workdir / "net.yaml"
    stack.write_text(STACK)
    interrupted = threading.Event()

    def slow_subnet(call: Call) -> None:
        """Ctrl-C arrives while the subnet is being created, which takes a while."""
        if not interrupted.is_set():
            interrupted.set()
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(SLOW_SECONDS)

    strict_aws.before("ec2", "CreateSubnet", slow_subnet)
    started = time.monotonic()
    result = cli("apply", str(stack), "--auto-approve")
    assert result.code == 130, result.stderr
    assert interrupted.is_set()
    assert time.monotonic() - started >= SLOW_SECONDS  # the subnet's create was waited for

    acknowledged = (
        "Interrupt received: waiting for 1 operation in flight to finish and be recorded "
        "(subnet: creating). Press Ctrl-C again to abandon it."
    )
    assert acknowledged in result.stderr
    # Said at once: before the create in flight came back, not after it.
    assert result.stderr.index(acknowledged) < result.stderr.index("subnet: Creation complete")
    assert "web_sg: Skipped (the run was interrupted)" in result.stderr
    assert "Interrupted: finished steps are recorded" in result.stdout

    [state] = (workdir / "state").rglob("halted/*.json")
    assert sorted(json.loads(state.read_text())["resources"]) == ["subnet", "vpc"]
    owned = owned_resources(aws, "halted")
    assert sorted(owned) == ["subnet", "vpc"]  # nothing new started after the Ctrl-C

    rerun = cli("apply", str(stack), "--auto-approve")
    assert rerun.code == 0, rerun.stderr
    assert "1 added" in rerun.stdout
    assert {k: len(v) for k, v in owned_resources(aws, "halted").items()} == {
        "vpc": 1,
        "subnet": 1,
        "security_group": 1,
    }


# `deploy apply` as its own process (main() without arguments, as the installed command runs
# it), with every CreateSubnet taking long enough to be interrupted twice.
DEPLOY_WITH_A_SLOW_SUBNET = """\
import signal, sys, time
import boto3
import stackdeploy.aws.session as session

signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal


def slow_session(profile=None):
    made = boto3.Session(profile_name=profile)

    def slow(model, **_):
        if model.name == "CreateSubnet":
            print("creating the subnet", file=sys.stderr, flush=True)
            time.sleep(60)

    made.events.register("before-call", slow)
    return made


session.new_boto3_session = slow_session
from stackdeploy.cli.main import main

sys.argv = ["deploy", "apply", *sys.argv[1:]]
sys.exit(main())
"""


def test_second_ctrl_c_ends_the_command_at_once(workdir: Path, aws: str) -> None:
    stack = workdir / "net.yaml"
    stack.write_text(STACK)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    arguments = [str(stack), "--auto-approve", "--endpoint-url", aws, "--no-color"]
    process = subprocess.Popen(
        [sys.executable, "-c", DEPLOY_WITH_A_SLOW_SUBNET, *arguments, "--state-dir", "state"],
        cwd=workdir,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=environment,
    )
    assert process.stderr is not None
    try:
        lines = iter(process.stderr.readline, "")
        assert next(line for line in lines if "creating the subnet" in line)
        process.send_signal(signal.SIGINT)
        acknowledgement = next(line for line in lines if "Interrupt received" in line)
        assert "(subnet: creating). Press Ctrl-C again to abandon it." in acknowledgement
        process.send_signal(signal.SIGINT)
        abandoned = time.monotonic()
        assert process.wait(timeout=20) == 130
        assert time.monotonic() - abandoned < 10  # not the minute the create still takes
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
