"""State operations: `deploy unlock` removes a lock a killed run left (only with its id), and
a missing state bucket is named before any refresh."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from tests.e2e.conftest import REPO, Cli, CliResult
from tests.e2e.leftovers import owned_resources
from tests.strict import StrictAws

pytestmark = pytest.mark.e2e

NETWORK = """\
stack: locked
region: us-west-2
resources:
  vpc:
    type: aws.ec2.vpc
    properties: {cidr_block: 10.0.0.0/16}
"""

# A run that takes the stack's lock and is then killed before it can release it.
HOLDER = """\
import sys, time
from pathlib import Path
from stackdeploy.apply.engine import Workspace
from stackdeploy.aws.session import ClientFactory
from stackdeploy.model.stack import Stack

endpoint, state_dir, bucket = sys.argv[1:4]
clients = ClientFactory(endpoint_url=endpoint, default_region="us-west-2")
workspace = Workspace(clients, Path(state_dir), bucket or None)
stack = Stack(name="locked", region="us-west-2", source_file=sys.argv[4])
with workspace.store(stack).lock("apply"):
    print("holding", flush=True)
    time.sleep(600)
"""


def _killed_holder(aws: str, workdir: Path, stack: str, bucket: str = "") -> None:
    """Take the lock in another process, then SIGKILL it: its lock stays behind."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, aws, str(workdir / "state"), bucket, stack],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "holding"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)


def _printed_unlock(refused: CliResult) -> list[str]:
    """The `deploy unlock ...` command a refusal printed, as arguments for the cli fixture."""
    found = re.search(r"run `(deploy unlock [^`]+)`", refused.stderr)
    assert found is not None, refused.stderr
    return shlex.split(found.group(1))[1:]


def _lock_id(refused: CliResult) -> str:
    found = re.search(r"lock id ([0-9a-f]+)", refused.stderr)
    assert found is not None, refused.stderr
    return found.group(1)


def test_unlock_removes_an_s3_lock_left_by_a_killed_run_and_only_with_its_id(
    cli: Cli, workdir: Path, aws: str
) -> None:
    s3 = boto3.client("s3", region_name="us-west-2", endpoint_url=aws)
    s3.create_bucket(
        Bucket="team-state", CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )
    stack = workdir / "net.yaml"
    stack.write_text(NETWORK)
    shared = ["--state-bucket", "team-state/ci"]
    _killed_holder(aws, workdir, str(stack), "team-state/ci")

    refused = cli("apply", str(stack), "--auto-approve", *shared)
    assert refused.code == 1
    assert "stack locked is locked by pid" in refused.stderr
    assert f"on {socket.gethostname()} (apply)" in refused.stderr
    command = _printed_unlock(refused)
    lock_id = _lock_id(refused)
    assert command == ["unlock", str(stack), lock_id, *shared]
    assert owned_resources(aws, "locked") == {}

    wrong = cli("unlock", str(stack), "0123456789ab", *shared)
    assert wrong.code == 1
    assert "lock id 0123456789ab does not match the lock on stack locked" in wrong.stderr
    assert "held by pid" in wrong.stderr and f"lock id {lock_id}" in wrong.stderr
    assert cli("apply", str(stack), "--auto-approve", *shared).code == 1  # still locked

    unlocked = cli(*command)
    assert unlocked.code == 0, unlocked.stderr
    assert "Removed the lock on stack locked held by pid" in unlocked.stdout
    again = cli(*command)
    assert again.code == 1
    assert "stack locked is not locked" in again.stderr
    applied = cli("apply", str(stack), "--auto-approve", *shared)
    assert applied.code == 0, applied.stderr
    assert sorted(owned_resources(aws, "locked")) == ["vpc"]


def _write_lock(workdir: Path, aws: str, holder: dict[str, object]) -> Path:
    """A local lock file as a run of `holder` would have left it."""
    folder = workdir / "state" / "state" / "locked"
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / f"123456789012-us-west-2@{aws.split('://')[1].replace(':', '_')}.lock"
    lock.write_text(json.dumps(holder))
    return lock


def test_unlock_removes_a_local_lock_of_a_runner_that_is_gone(
    cli: Cli, workdir: Path, aws: str
) -> None:
    """A lock from another host (a CI container that was killed) is never broken on its
    own; the printed command removes it."""
    stack = workdir / "net.yaml"
    stack.write_text(NETWORK)
    gone = {"id": "5eed0fc0ffee", "pid": 4242, "host": "runner-gone", "command": "destroy"}
    lock = _write_lock(workdir, aws, gone)
    refused = cli("apply", str(stack), "--auto-approve")
    assert refused.code == 1
    assert "stack locked is locked by pid 4242 on runner-gone (destroy), lock id 5eed0fc0ffee" in (
        refused.stderr
    )
    assert str(lock) in refused.stderr
    assert cli("unlock", str(stack), "badbadbadbad").code == 1
    assert lock.exists()
    assert cli(*_printed_unlock(refused)).code == 0
    assert not lock.exists()
    assert cli("apply", str(stack), "--auto-approve").code == 0


def test_a_lock_without_an_id_and_locks_of_stacks_without_a_file(
    cli: Cli, workdir: Path, aws: str
) -> None:
    """A lock written by hand (or an earlier stackdeploy) is known by its content's digest;
    `--stack NAME` finds the lock of a stack destroyed by name or swept."""
    stack = workdir / "net.yaml"
    stack.write_text(NETWORK)
    lock = _write_lock(workdir, aws, {"pid": 42, "host": "runner-7"})
    assert cli("plan", str(stack)).code == 0  # a plan takes no lock
    refused = cli("destroy", str(stack), "--auto-approve")
    assert refused.code == 1
    assert "locked by pid 42 on runner-7, lock id" in refused.stderr
    unlocked = cli("unlock", "--stack", "locked", _lock_id(refused), "--region", "us-west-2")
    assert unlocked.code == 0, unlocked.stderr
    assert not lock.exists()


def test_unlock_refuses_a_lock_whose_run_is_still_going(cli: Cli, workdir: Path, aws: str) -> None:
    stack = workdir / "net.yaml"
    stack.write_text(NETWORK)
    alive = {"id": "a11ve0000000", "pid": os.getpid(), "host": socket.gethostname()}
    lock = _write_lock(workdir, aws, alive)
    refused = cli("unlock", str(stack), "a11ve0000000")
    assert refused.code == 1
    assert "is still running" in refused.stderr
    assert lock.exists()


def test_plan_names_a_missing_state_bucket_before_any_refresh(
    cli: Cli, workdir: Path, strict_aws: StrictAws
) -> None:
    stack = workdir / "net.yaml"
    stack.write_text(NETWORK)
    for command in ("plan", "apply"):
        strict_aws.calls.clear()
        result = cli(
            command,
            str(stack),
            "--auto-approve" if command == "apply" else "--json",
            "--state-bucket",
            "no-such-bucket/ci",
        )
        assert result.code == 1, command
        assert "state bucket no-such-bucket does not exist" in result.stderr
        assert not [call for call in strict_aws.calls if call.startswith("ec2.")], strict_aws.calls
        assert not [c for c in strict_aws.calls if not c.startswith(("sts.", "s3."))]
