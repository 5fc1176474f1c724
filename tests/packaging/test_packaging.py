"""Packaging: the version's one source, the CLI's error handling on every supported typer, the
dependency bounds and the `local` extra declared in pyproject.toml."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest
import typer

import stackdeploy
from stackdeploy.aws.operations import OPERATIONS
from stackdeploy.cli import main as cli_main
from stackdeploy.cli.main import main

REPO = Path(__file__).resolve().parents[2]
STACK = str(REPO / "stacks" / "vpc-public-private.yaml")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]

# Services whose moto extra is left out of `local`, and why. moto's resourcegroupstaggingapi
# extra brings the libraries of every service it can read tags from (cfn-lint, sympy,
# openapi-spec-validator, graphql-core, joserfc: 20 MB of the 50); moto imports them only when
# such a service is used, and GetResources over stackdeploy's services needs none of them
# (`deploy ls --local` and tests/e2e/test_account.py run on the `local` extra alone).
NOT_A_MOTO_EXTRA = {"resourcegroupstaggingapi"}


def test_version_comes_from_the_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    assert stackdeploy.__version__ == importlib.metadata.version("stackdeploy")
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"stackdeploy {stackdeploy.__version__}\n"
    assert "version" not in PYPROJECT.get("dynamic", [])  # one source: pyproject's version


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--no-such-option"], "No such option"),
        (["validate"], "Missing argument"),
        (["graph", STACK, "--format", "x"], "Invalid value"),
        (["no-such-command"], "No such command"),
    ],
)
def test_usage_errors_exit_1_with_usage_and_no_traceback(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Usage: deploy" in err
    assert "Traceback" not in err


def test_usage_errors_are_caught_whichever_click_typer_runs_on() -> None:
    # typer <= 0.25: click's exceptions; 0.26, 0.27: typer._click's; 0.28+: under TyperException.
    assert issubclass(typer.BadParameter, cli_main.USAGE_ERRORS)
    assert issubclass(typer.Abort, cli_main.ABORTS)
    assert KeyboardInterrupt in cli_main.ABORTS


def _requirements() -> list[tuple[str, str]]:
    """(where, requirement) for every dependency and every extra's requirement."""
    listed = [("dependencies", r) for r in PYPROJECT["dependencies"]]
    for extra, requirements in PYPROJECT["optional-dependencies"].items():
        listed += [(extra, r) for r in requirements]
    return listed


def test_every_requirement_has_a_lower_bound_and_none_is_pinned() -> None:
    for where, requirement in _requirements():
        if requirement.startswith("stackdeploy["):
            continue  # an extra of our own, bounded where it is declared
        assert ">=" in requirement, f"{where}: {requirement} has no lower bound"
        assert "==" not in requirement, f"{where}: {requirement} is pinned"


def test_the_local_extra_has_the_moto_backend_of_every_service_stackdeploy_calls() -> None:
    services = {operation.split(".")[0] for operation in OPERATIONS}
    (moto,) = [r for r in PYPROJECT["optional-dependencies"]["local"] if r.startswith("moto[")]
    named = re.fullmatch(r"moto\[([a-z0-9,]+)\].*", moto)
    assert named is not None, moto
    extras = set(named[1].split(","))
    assert "server" not in extras  # it pulls every service's dependencies
    assert extras == services - NOT_A_MOTO_EXTRA
    local = PYPROJECT["optional-dependencies"]["local"]
    names = {re.split(r"[\[<>=!~; ]", r)[0].lower() for r in local}
    assert {"flask", "flask-cors"} <= names  # what `python -m moto.server` needs of moto[server]


def test_dev_installs_the_local_extra() -> None:
    assert "stackdeploy[local]" in PYPROJECT["optional-dependencies"]["dev"]
