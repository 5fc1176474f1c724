"""The GitHub Actions workflows to copy (examples/github/) keep what the README promises of them.
actionlint (in .ci/run) checks that they are valid; this checks what they do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "github"


def _workflow(name: str) -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    loaded["on"] = loaded.pop(True)  # YAML 1.1 reads the key `on` as true
    return loaded


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _scripts(workflow: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in _steps(workflow))


def test_the_examples_are_the_four_workflows() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.yml")) == [
        "apply.yml",
        "drift.yml",
        "plan.yml",
        "sweep.yml",
    ]
    assert not (REPO / ".github" / "workflow-templates").exists()


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "drift.yml", "sweep.yml"])
def test_aws_credentials_come_from_oidc_and_never_from_keys(name: str) -> None:
    workflow = _workflow(name)
    assert workflow["permissions"]["id-token"] == "write"
    (credentials,) = [
        s for s in _steps(workflow) if s.get("uses", "").startswith("aws-actions/configure-aws")
    ]
    assert set(credentials["with"]) == {"role-to-assume", "aws-region"}
    assert "secrets." not in (EXAMPLES / name).read_text()  # no access keys, no tokens
    assert workflow["defaults"]["run"]["shell"] == "bash"  # bash -eo pipefail


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "drift.yml"])
def test_each_stack_has_its_concurrency_group_and_the_shared_state(name: str) -> None:
    workflow = _workflow(name)
    (job,) = workflow["jobs"].values()
    assert "${{ matrix.stack }}" in job["concurrency"]["group"]
    assert workflow["env"]["STACKDEPLOY_STATE_BUCKET"] == "${{ vars.STACKDEPLOY_STATE_BUCKET }}"


def test_plan_comments_under_the_plans_marker_and_keeps_the_plan() -> None:
    workflow = _workflow("plan.yml")
    assert list(workflow["on"]) == ["pull_request"]
    scripts = _scripts(workflow)
    assert 'deploy plan "$STACK_FILE" --detailed-exitcode -o plan.json --markdown > plan.md' in (
        scripts
    )
    assert 'cat plan.md >> "$GITHUB_STEP_SUMMARY"' in scripts
    (comment,) = [s for s in _steps(workflow) if s.get("uses", "").startswith("actions/github-")]
    assert '"<!-- stackdeploy:"' in comment["with"]["script"]
    assert "updateComment" in comment["with"]["script"]
    (upload,) = [s for s in _steps(workflow) if s.get("uses", "").startswith("actions/upload-")]
    assert "plan.json" in upload["with"]["path"]
    assert upload["with"]["name"] == "plan-${{ matrix.stack }}"
    (job,) = workflow["jobs"].values()
    assert job["concurrency"]["cancel-in-progress"] is True


def test_apply_applies_a_saved_plan_only() -> None:
    workflow = _workflow("apply.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    scripts = _scripts(workflow)
    assert "gh run download" in scripts
    assert '--name "plan-$STACK"' in scripts
    applies = [line.strip() for line in scripts.splitlines() if "deploy apply" in line]
    assert applies == ["deploy apply saved/plan.json | tee apply.txt"]  # never a stack file
    (job,) = workflow["jobs"].values()
    assert job["concurrency"]["cancel-in-progress"] is False  # never stop an apply halfway


def test_drift_opens_updates_or_closes_one_issue_per_stack() -> None:
    workflow = _workflow("drift.yml")
    assert "schedule" in workflow["on"]
    assert workflow["permissions"]["issues"] == "write"
    scripts = _scripts(workflow)
    assert 'deploy drift "$STACK_FILE"' in scripts
    for command in ("gh issue create", "gh issue edit", "gh issue close"):
        assert command in scripts


def test_sweep_runs_over_every_region_on_a_schedule() -> None:
    workflow = _workflow("sweep.yml")
    assert "schedule" in workflow["on"]
    assert "deploy sweep --all-regions" in _scripts(workflow)
