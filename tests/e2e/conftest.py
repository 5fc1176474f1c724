"""End-to-end fixtures: the real CLI entry point, in-process, against the moto server."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stackdeploy.cli.main import main
from stackdeploy.report.plan_json import short_action
from tests.conftest import FAST
from tests.strict.fixtures import strict_aws  # noqa: F401  (re-exported fixture)

REPO = Path(__file__).resolve().parents[2]


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def actions(self) -> dict[str, str]:
        """address -> create, update, replace or delete, for every change that is not a
        no-op (from `plan --json`'s Terraform-style `change.actions`)."""
        named = {
            change["address"]: short_action(change["change"]["actions"])
            for change in self.json()["resource_changes"]
        }
        return {address: action for address, action in named.items() if action != "no-op"}


Cli = Callable[..., CliResult]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A copy of stacks/ and templates/, so tests can edit stack files freely."""
    for folder in ("stacks", "templates"):
        if (REPO / folder).is_dir():
            shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


@pytest.fixture
def cli(
    aws: str, workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    """Run `deploy <args>` against moto, adding the AWS target and state options."""
    monkeypatch.setattr("stackdeploy.cli.runtime.TIMING", FAST)
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("HOME", str(workdir / "home"))  # created private keys land here

    def run(*args: str, target: bool = True) -> CliResult:
        capsys.readouterr()
        extra = ["--endpoint-url", aws, "--state-dir", str(workdir / "state"), "--no-color"]
        code = main([*args, *(extra if target else [])])
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run
