"""Saved plans (`deploy plan -o FILE`, applied by `deploy apply FILE`): writing and checking.

A saved plan is JSON with sorted keys: `format` (first, so its first bytes tell it from a
stack file), `plan`, `sha256`, `stack` and `targets`. `sha256` is the digest of a canonical
serialisation of everything else (`content_digest`): a file changed after `deploy plan` wrote
it (a CIDR edited, the stack name swapped) no longer matches, and is refused before any AWS
call. The digest catches accidental and casual edits; anyone who edits the file can also
recompute it, so it is no signature.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from stackdeploy.errors import DeployError
from stackdeploy.model.stack import Stack
from stackdeploy.plan.serialize import plan_from_file, plan_to_file
from stackdeploy.plan.types import Plan

PLAN_FILE_FORMAT = "stackdeploy-plan/1"
_FORMAT_PREFIX = "stackdeploy-plan/"
DIGEST_KEY = "sha256"
_VERSION = re.compile(r"stackdeploy-plan/(\d+)")


def content_digest(document: dict[str, Any]) -> str:
    """sha256 (hex) of the document without its digest, serialised canonically: sorted keys,
    no whitespace, UTF-8. Formatting (indentation, key order) does not change it."""
    content = {key: value for key, value in document.items() if key != DIGEST_KEY}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def plan_document(stack: Stack, plan: Plan, targets: Collection[str]) -> dict[str, Any]:
    """The saved plan as a JSON value, with its digest."""
    content = {
        "format": PLAN_FILE_FORMAT,
        "stack": json.loads(stack.model_dump_json()),
        "targets": sorted(targets),
        "plan": plan_to_file(plan),
    }
    # Digested as it will be read back (tuples as lists, every key a string).
    document: dict[str, Any] = json.loads(json.dumps(content))
    document[DIGEST_KEY] = content_digest(document)
    return document


def save_plan(stack: Stack, plan: Plan, path: Path, targets: Collection[str]) -> None:
    """Write the plan to `path` whole or not at all (a temporary file renamed over it), so a
    run killed while writing never leaves half a plan under that name."""
    text = json.dumps(plan_document(stack, plan, targets), indent=2, sort_keys=True) + "\n"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise DeployError(f"cannot write plan file {path}: {error.strerror or error}") from None


def _again(path: Path) -> str:
    return f"make the plan again: deploy plan STACK_FILE -o {path}"


def check_document(document: Any, path: Path) -> dict[str, Any]:
    """The saved plan's JSON value, refused unless it is one this stackdeploy reads, exactly
    as `deploy plan` wrote it."""
    if not isinstance(document, dict) or not isinstance(document.get("format"), str):
        raise DeployError(
            f'{path} is not a saved plan: it has no "format": "{PLAN_FILE_FORMAT}"',
            hint=f"save a plan with deploy plan STACK_FILE -o {path}",
        )
    version = _VERSION.fullmatch(document["format"])
    if version is None:
        raise DeployError(
            f"{path} is not a saved plan: its format is {document['format']!r}, "
            f"not {PLAN_FILE_FORMAT!r}",
            hint=f"save a plan with deploy plan STACK_FILE -o {path}",
        )
    if document["format"] != PLAN_FILE_FORMAT:
        newer = int(version.group(1)) > int(PLAN_FILE_FORMAT.rsplit("/", 1)[1])
        raise DeployError(
            f"{path} was saved by {'a newer' if newer else 'another'} stackdeploy, in format "
            f"{document['format']}; this one reads {PLAN_FILE_FORMAT}",
            hint=f"apply it with the stackdeploy that made it, or {_again(path)}",
        )
    stored = document.get(DIGEST_KEY)
    if not isinstance(stored, str):
        raise DeployError(
            f"{path} carries no content digest ({DIGEST_KEY}): it was saved by an earlier "
            "stackdeploy or edited, and cannot be checked",
            hint=_again(path),
        )
    if content_digest(document) != stored:
        raise DeployError(
            f"{path} was changed after `deploy plan` wrote it: its content no longer matches "
            "the digest saved in it, so it is not the plan that was reviewed",
            hint=f"a saved plan is applied exactly as it was made; to change it, change the "
            f"stack file or the options and {_again(path)}",
        )
    return document


def load_saved_plan(path: Path) -> tuple[Stack, Plan]:
    """The stack and plan saved in `path`, checked (see check_document)."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise DeployError(f"cannot read plan file {path}: {error}") from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise DeployError(
            f"plan file {path} is incomplete or damaged: it is not valid JSON ({error})",
            hint=f"was it cut short while being written or copied? {_again(path)}",
        ) from None
    checked = check_document(document, path)
    try:
        return Stack.model_validate(checked["stack"]), plan_from_file(checked["plan"])
    except (ValidationError, KeyError, TypeError, ValueError, AttributeError):
        # The digest matched, so `deploy plan` wrote this: a bug, not a user's edit.
        raise DeployError(
            f"plan file {path} matches its digest but cannot be read back as a plan",
            hint=f"this is a bug in stackdeploy; {_again(path)}",
        ) from None


def looks_like_saved_plan(start: bytes) -> bool:
    """Whether a file's first bytes are those of a saved plan, of any format version."""
    return _PLAN_START.match(start) is not None


# Keys are sorted and "format" is the first, so reading the first bytes decides, and a stack
# file (of any size or nesting) is never parsed as JSON.
_PLAN_START = re.compile(rb'\s*\{\s*"format"\s*:\s*"%s' % re.escape(_FORMAT_PREFIX.encode()))
