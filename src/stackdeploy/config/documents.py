"""The shape of a stack file before any resource type looks at it: the top level and each
entry under `resources:`, as pydantic models (the JSON schema reuses their patterns)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stackdeploy.config.collector import ErrorCollector
from stackdeploy.config.yamlsource import YamlDocument, YamlPath
from stackdeploy.errors import ConfigError, ConfigErrors

STACK_NAME = r"^[A-Za-z][A-Za-z0-9-]{0,63}$"
LOGICAL_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$")
REGION = r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$"


class LifecycleDocument(BaseModel):
    """A resource's `lifecycle:` block: guards, as in Terraform. (The stack's own top-level
    `lifecycle: durable|exercise` is another thing.)"""

    model_config = ConfigDict(extra="forbid", title="Resource lifecycle")

    prevent_destroy: bool = Field(
        False,
        description="A plan that would delete or replace it (destroy, removal from the file, "
        "a change that forces replacement) fails before changing anything. Recorded in the "
        "state at apply, so it still holds once the resource is removed from the file.",
    )
    ignore_changes: list[str] | Literal["all"] = Field(
        default_factory=list,
        description="Properties (dotted paths allowed, e.g. tags.Owner) never diffed nor "
        "updated after create; `all` ignores every property.",
    )
    retain_on_delete: bool = Field(
        False,
        description="On destroy or removal from the file it is not deleted: its "
        "stackdeploy:* tags are removed and the state forgets it.",
    )


class ResourceDocument(BaseModel):
    """One entry under `resources:`."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="Resource type, e.g. aws.ec2.vpc")
    properties: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[str] = Field(
        default_factory=list, description="Logical ids to create first, beyond references."
    )
    region: str | None = Field(None, pattern=REGION, description="Overrides the stack region.")
    lifecycle: LifecycleDocument = Field(
        default_factory=LifecycleDocument,
        description="Guards: prevent_destroy, ignore_changes, retain_on_delete.",
    )


class StackDocument(BaseModel):
    """The top level of a stack file."""

    model_config = ConfigDict(extra="forbid")

    stack: str = Field(pattern=STACK_NAME, description="Stack name; tags every resource.")
    region: str | None = Field(None, pattern=REGION, description="Default region.")
    description: str = ""
    vars: dict[str, Any] = Field(default_factory=dict, description="Variables with defaults.")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags for every resource.")
    resources: dict[str, ResourceDocument] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    lifecycle: Literal["durable", "exercise"] = Field(
        "durable",
        description="exercise: nothing kept or protected on destroy (no final snapshots, "
        "buckets emptied, keys deleted after 7 days); durable keeps today's safety. A resource's "
        "guards (prevent_destroy, ignore_changes, retain_on_delete) go in its own lifecycle.",
    )
    expires_after: str | date | None = Field(
        None,
        description="30m, 4h, 2d or 1w after the first apply, or an ISO date or time (UTC): "
        "every resource is tagged stackdeploy:expires and `deploy sweep` destroys it then.",
    )


_GUARDS_HINT = (
    "a resource's guards go in its own block: lifecycle: {prevent_destroy: true, "
    "ignore_changes: [...], retain_on_delete: true}"
)


def _resource_hint(path: YamlPath) -> str | None:
    if path[:1] == ("lifecycle",):
        return _GUARDS_HINT + " (lifecycle: exercise is the stack's, at the top of the file)"
    return None


def _stack_hint(path: YamlPath) -> str | None:
    if path == ("lifecycle",):
        return f"the stack's lifecycle is durable or exercise; {_GUARDS_HINT}"
    return None


def parse_stack_document(
    document: YamlDocument, collector: ErrorCollector
) -> tuple[StackDocument, dict[str, object]]:
    """The top level, with every resource entry of the right shape; each other entry is
    reported and returned by logical id with the type it names, so that one entry with an
    unknown field hides nothing else. Raises when the top level itself is wrong."""
    data = document.data
    if not isinstance(data, dict):
        raise ConfigError("a stack file must be a YAML mapping", location=document.location(()))
    entries = data.get("resources")
    resources: dict[str, ResourceDocument] = {}
    failed: dict[str, object] = {}
    if isinstance(entries, dict):
        for logical_id, entry in entries.items():
            if not isinstance(logical_id, str):
                continue  # the top level's validation names a key that is not text
            try:
                resources[logical_id] = ResourceDocument.model_validate(entry)
            except ValidationError as error:
                collector.add_validation(
                    ("resources", logical_id), error, ResourceDocument, _resource_hint
                )
                failed[logical_id] = entry.get("type") if isinstance(entry, dict) else None
        data = {**data, "resources": {k: v for k, v in entries.items() if not isinstance(k, str)}}
    try:
        parsed = StackDocument.model_validate(data)
    except ValidationError as error:
        collector.add_validation((), error, StackDocument, _stack_hint)
        raise ConfigErrors(collector.errors()) from None
    return parsed.model_copy(update={"resources": resources}), failed
