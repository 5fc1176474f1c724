"""Fixtures for provider tests that run a whole stack through the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from stackdeploy.cli.main import main
from tests.conftest import FAST
from tests.strict import StrictAws
from tests.strict.fixtures import strict_aws

__all__ = ["Run", "deploy", "strict_aws"]

# deploy(*args) -> (exit code, stdout, stderr)
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def deploy(
    aws: str,
    strict_aws: StrictAws,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Run:
    """`deploy <args>` in-process against moto with the strictness layer, state in tmp_path."""
    monkeypatch.setattr("stackdeploy.cli.runtime.TIMING", FAST)
    monkeypatch.chdir(tmp_path)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        extra = ["--endpoint-url", aws, "--state-dir", str(tmp_path / "state"), "--no-color"]
        code = main([*args, *extra])
        out, err = capsys.readouterr()
        return code, out, err

    return run
