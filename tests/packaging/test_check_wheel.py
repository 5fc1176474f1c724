"""The wheel check of .ci/run (tests/packaging/check_wheel.py) on wheels made to fail it, and
the package data of the source tree declared to setuptools."""

from __future__ import annotations

import tomllib
import zipfile
from pathlib import Path

import pytest

from tests.packaging import check_wheel

REPO = Path(__file__).resolve().parents[2]


def _fake_project(tmp_path: Path) -> Path:
    package = tmp_path / "src" / "stackdeploy"
    for name in ("__init__.py", "py.typed", "pricing/prices.json", "specs/schema.json"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text("{}")
    (package / "__pycache__").mkdir()
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    (tmp_path / "pyproject.toml").write_text('[project]\nversion = "1.2.3"\n')
    return package


def _fake_wheel(
    tmp_path: Path, leave_out: frozenset[str] = frozenset(), version: str = "1.2.3"
) -> Path:
    info = f"stackdeploy-{version}.dist-info"
    files = {
        "stackdeploy/__init__.py": "{}",
        "stackdeploy/py.typed": "{}",
        "stackdeploy/pricing/prices.json": "{}",
        "stackdeploy/specs/schema.json": "{}",
        f"{info}/METADATA": f"Name: stackdeploy\nVersion: {version}\n"
        "License-Expression: Apache-2.0\n",
        f"{info}/entry_points.txt": "[console_scripts]\ndeploy = stackdeploy.cli.main:main\n",
        f"{info}/licenses/LICENSE": "Apache License",
    }
    wheel = tmp_path / f"stackdeploy-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            if name not in leave_out:
                archive.writestr(name, text)
    return wheel


def test_a_complete_wheel_passes_the_check(tmp_path: Path) -> None:
    package = _fake_project(tmp_path)
    assert check_wheel.package_files(package) == {
        "stackdeploy/__init__.py",
        "stackdeploy/py.typed",
        "stackdeploy/pricing/prices.json",
        "stackdeploy/specs/schema.json",
    }
    assert check_wheel.problems(_fake_wheel(tmp_path), package) == []


@pytest.mark.parametrize(
    ("left_out", "problem"),
    [
        ("stackdeploy/specs/schema.json", "stackdeploy/specs/schema.json is not in the wheel"),
        ("stackdeploy/py.typed", "stackdeploy/py.typed is not in the wheel"),
        ("stackdeploy-1.2.3.dist-info/licenses/LICENSE", "the LICENSE file is not in the wheel"),
        ("stackdeploy-1.2.3.dist-info/entry_points.txt", "the `deploy` console script"),
    ],
)
def test_a_wheel_without_a_file_fails_the_check(
    tmp_path: Path, left_out: str, problem: str
) -> None:
    package = _fake_project(tmp_path)
    found = check_wheel.problems(_fake_wheel(tmp_path, frozenset({left_out})), package)
    assert len(found) == 1
    assert found[0].startswith(problem)


def test_a_wheel_of_another_version_fails_the_check(tmp_path: Path) -> None:
    package = _fake_project(tmp_path)
    found = check_wheel.problems(_fake_wheel(tmp_path, version="1.2.2"), package)
    assert found == [
        "stackdeploy-1.2.3.dist-info/METADATA is not in the wheel (a version other than 1.2.3?)"
    ]


def test_the_package_data_of_the_source_tree_is_declared_to_setuptools() -> None:
    data = {n for n in check_wheel.package_files() if not n.endswith(".py")}
    assert {"stackdeploy/py.typed", "stackdeploy/pricing/prices.json"} <= data
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = declared["package-data"]["stackdeploy"]
    matched = {
        path.relative_to(check_wheel.PACKAGE.parent).as_posix()
        for pattern in patterns
        for path in check_wheel.PACKAGE.glob(pattern)
    }
    assert data <= matched, f"no package-data glob matches {sorted(data - matched)}"
