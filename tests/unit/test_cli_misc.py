"""CLI commands that need no AWS: schema, graph, validate errors; the emulator's install hint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackdeploy.cli.main import main
from stackdeploy.errors import EmulatorError
from stackdeploy.local import emulator
from stackdeploy.specs.registry import RESOURCE_TYPES

REPO = Path(__file__).resolve().parents[2]


def test_schema_covers_every_type(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    titles = {d.get("title") for d in schema["$defs"].values()}
    assert set(RESOURCE_TYPES) <= titles
    assert schema["additionalProperties"] is False


def test_graph_formats(capsys: pytest.CaptureFixture[str]) -> None:
    stack = str(REPO / "stacks" / "vpc-public-private.yaml")
    assert main(["graph", stack]) == 0
    assert '"internet_gateway" -> "nat_gateway";' in capsys.readouterr().out
    assert main(["graph", stack, "--format", "mermaid"]) == 0
    assert "nat_gateway --> private_routes" in capsys.readouterr().out


def test_validate_error_is_exit_1_with_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("stack: bad\nregion: us-west-2\nresources:\n  v: {type: aws.ec2.vpcc}\n")
    assert main(["validate", str(path), "--no-color"]) == 1
    err = capsys.readouterr().err
    assert "unknown resource type 'aws.ec2.vpcc'" in err
    assert f"{path}:4 (resources.v.type)" in err
    assert "did you mean aws.ec2.vpc?" in err


def test_local_without_moto_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(emulator.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EmulatorError) as caught:
        emulator.start()
    assert caught.value.hint is not None
    assert "pip install 'stackdeploy[local]'" in caught.value.hint


def test_a_saved_plan_is_told_from_a_stack_file_by_its_first_bytes(tmp_path: Path) -> None:
    from stackdeploy.apply.saved_plan import PLAN_FILE_FORMAT
    from stackdeploy.cli.plan_files import is_plan_file

    saved = {"format": PLAN_FILE_FORMAT, "plan": {}, "stack": {}, "targets": []}
    cases = {
        "plan.json": json.dumps(saved, indent=2, sort_keys=True),
        "other.json": json.dumps({"format": "something-else", "stack": {}}),
        "flow.yaml": '{stack: s, region: us-west-2, description: "format"}',
        "deep.json": '{"a": ' * 100_000 + "1" + "}" * 100_000,
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    assert [name for name in cases if is_plan_file(tmp_path / name)] == ["plan.json"]
    assert not is_plan_file(tmp_path)  # a folder is loaded as a stack file, which says why
