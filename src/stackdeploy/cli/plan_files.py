"""Telling saved plans from stack files, so that neither is taken for the other.

`deploy apply` takes either; every other stack command takes a stack file only and names a
saved plan (or another JSON document, such as `plan --json` output) given to it instead of
parsing it as YAML. A saved plan is applied exactly as it was made: the options that shape a
plan are refused with it.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stackdeploy.apply.saved_plan import load_saved_plan, looks_like_saved_plan
from stackdeploy.config import limits
from stackdeploy.errors import DeployError
from stackdeploy.model.stack import Stack
from stackdeploy.plan.types import Plan


def is_plan_file(path: Path) -> bool:
    """Whether `path` starts as a saved plan does (of any format version)."""
    try:
        with path.open("rb") as handle:
            return looks_like_saved_plan(handle.read(256))
    except OSError:  # a folder or an unreadable file: loading it as a stack file says why
        return False


def read_plan_file(path: Path) -> tuple[Stack, Plan]:
    """The stack and plan saved in `path`, checked (apply/saved_plan.py); no AWS call."""
    size = path.stat().st_size
    if size > limits.PLAN_FILE_BYTES:
        raise DeployError(
            f"plan file {path} is {limits.describe_size(size)}; saved plans are limited to "
            f"{limits.describe_size(limits.PLAN_FILE_BYTES)}"
        )
    try:
        return load_saved_plan(path)
    except RecursionError:
        raise DeployError(f"plan file {path} nests too deeply to be a saved plan") from None


_SWITCHES = frozenset({"--adopt", "--force-owned"})  # options that take no value


def refuse_shaping_options(source: Path, given: Sequence[str]) -> None:
    """A saved plan is applied as it was made: the options that would shape another plan
    (`given`, as the user wrote them) are refused, not ignored."""
    if not given:
        return
    flags = ", ".join(given)
    them = "this option" if len(given) == 1 else "these options"
    written = " ".join(flag if flag in _SWITCHES else f"{flag} ..." for flag in given)
    raise DeployError(
        f"{flags} cannot be used with a saved plan: {source} was made with its own stack "
        "file, variables, region, copy, targets, expiry and ownership options, and is "
        "applied exactly as it was made and reviewed",
        hint=f"to plan with {them}, make a new plan: deploy plan STACK_FILE {written} "
        f"-o {shlex.quote(str(source))}, then apply that",
    )


def check_stack_file(path: Path) -> None:
    """Refuse a saved plan or another JSON document given where a stack file is expected,
    saying what it is and what to do, rather than reporting its fields as unknown."""
    if is_plan_file(path):
        quoted = shlex.quote(str(path))
        made_from = _source_of(path)
        again = (
            f"deploy plan {shlex.quote(made_from)}"
            if made_from
            else "deploy plan with the stack file it was made from"
        )
        raise DeployError(
            f"{path} is a saved plan, not a stack file",
            hint=f"apply it with `deploy apply {quoted}`, or show it with `deploy show {quoted}`; "
            f"to plan again, run `{again}`",
        )
    document = _foreign_json(path)
    if document is None:
        return
    if "resource_changes" in document or "format_version" in document:
        hint = (
            "it looks like the output of `deploy plan --json`, which is for reading; to "
            "apply a reviewed plan later, save it with `deploy plan STACK_FILE -o plan.json`"
        )
    else:
        hint = (
            "a stack file names its stack (stack: NAME); a saved plan starts with "
            '"format": "stackdeploy-plan/..." and is made by `deploy plan STACK_FILE -o FILE`'
        )
    raise DeployError(f"{path} is JSON, but neither a stack file nor a saved plan", hint=hint)


def _source_of(path: Path) -> str | None:
    """The stack file a readable saved plan was made from, if it names one."""
    try:
        stack, _ = read_plan_file(path)
    except (DeployError, OSError):
        return None
    return None if stack.source_file.startswith("<") else stack.source_file


# Keys of JSON documents people mistake for stack files or plans (`plan --json`, a saved
# plan of another tool): never fields of a stack file.
_NOT_A_STACK_FILE = frozenset({"format", "format_version", "resource_changes"})


def _foreign_json(path: Path) -> dict[str, Any] | None:
    """A `.json` file holding a JSON object that is no stack file: it names no stack, or it
    has keys of another document."""
    if path.suffix.lower() != ".json":
        return None
    try:
        if path.stat().st_size > limits.STACK_FILE_BYTES:
            return None  # the stack loader reports the size
        text = path.read_bytes()
        if not text.lstrip().startswith(b"{"):
            return None
        document = json.loads(text)
    except (OSError, ValueError, RecursionError):
        return None  # not JSON after all: the stack loader says what is wrong
    if not isinstance(document, dict):
        return None
    if "stack" in document and not _NOT_A_STACK_FILE.intersection(document):
        return None  # a stack file written as JSON
    return document
