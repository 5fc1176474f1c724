"""The installed `deploy` command with --local: starts the emulator, deploys, tears down."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    environment = {
        **os.environ,
        "XDG_CACHE_HOME": str(tmp_path / "cache"),  # our own emulator record, not the user's
        "STACKDEPLOY_STATE_DIR": str(tmp_path / "state"),
        "NO_COLOR": "1",
    }
    yield environment
    subprocess.run([*_deploy(), "local", "stop"], env=environment, capture_output=True, check=False)


def _deploy() -> list[str]:
    script = shutil.which("deploy", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "stackdeploy"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_deploy(), *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_local_flag_runs_the_whole_lifecycle_on_the_embedded_emulator(env: dict[str, str]) -> None:
    stack = "stacks/vpc-public-private.yaml"
    assert run(env, "local", "status").returncode == 1
    applied = run(env, "apply", stack, "--local", "--auto-approve")
    assert applied.returncode == 0, applied.stderr
    assert "Starting the local emulator" in applied.stderr
    assert "nat_gateway: Creation complete" in applied.stderr
    assert "Apply complete! Resources: 9 added" in applied.stdout
    status = run(env, "local", "status")
    assert status.returncode == 0
    assert "running at http://127.0.0.1:" in status.stdout
    assert run(env, "plan", stack, "--local", "--detailed-exitcode").returncode == 0
    destroyed = run(env, "destroy", stack, "--local", "--auto-approve")
    assert destroyed.returncode == 0, destroyed.stderr
    assert "Destroy complete! Resources: 9 destroyed." in destroyed.stdout
    assert run(env, "local", "stop").returncode == 0
    assert run(env, "local", "status").returncode == 1
