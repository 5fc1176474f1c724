"""Check that a built wheel holds everything `deploy` needs: every module and data file under
src/stackdeploy (prices, py.typed, schemas, whatever is added later), the licence, the version
of pyproject.toml and the `deploy` entry point.

    python -m tests.packaging.check_wheel dist/stackdeploy-*.whl
"""

from __future__ import annotations

import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "src" / "stackdeploy"


def package_files(package: Path = PACKAGE) -> set[str]:
    """Every file of the package as the wheel names it ("stackdeploy/pricing/prices.json")."""
    return {
        path.relative_to(package.parent).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def problems(wheel: Path, package: Path = PACKAGE, pyproject: Path | None = None) -> list[str]:
    """What the wheel lacks, one sentence each; empty when it is complete."""
    project = tomllib.loads((pyproject or package.parents[1] / "pyproject.toml").read_text())
    version = project["project"]["version"]
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f"stackdeploy-{version}.dist-info"
        found = [f"{name} is not in the wheel" for name in sorted(package_files(package) - names)]
        if f"{info}/METADATA" not in names:
            return [
                *found,
                f"{info}/METADATA is not in the wheel (a version other than {version}?)",
            ]
        metadata = archive.read(f"{info}/METADATA").decode()
        entry_points = (
            archive.read(f"{info}/entry_points.txt").decode()
            if f"{info}/entry_points.txt" in names
            else ""
        )
    if not any(name.startswith(f"{info}/") and name.endswith("/LICENSE") for name in names):
        found.append("the LICENSE file is not in the wheel's dist-info")
    if "License-Expression: Apache-2.0" not in metadata:
        found.append("METADATA does not say License-Expression: Apache-2.0")
    if "deploy = stackdeploy.cli.main:main" not in entry_points:
        found.append("the `deploy` console script is not declared")
    return found


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 1
    failed = False
    for wheel in map(Path, argv):
        data = sorted(name for name in package_files() if not name.endswith(".py"))
        print(f"{wheel.name}: {len(package_files())} package files, data: {', '.join(data)}")
        for problem in problems(wheel):
            print(f"  {problem}", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
