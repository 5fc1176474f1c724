"""The shape of a stack file before any resource type looks at it: the top level and one
entry under `resources:`, as pydantic models (the JSON schema reuses their patterns)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

STACK_NAME = r"^[A-Za-z][A-Za-z0-9-]{0,63}$"
LOGICAL_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,127}$")
REGION = r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$"


class ResourceDocument(BaseModel):
    """One entry under `resources:`."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="Resource type, e.g. aws.ec2.vpc")
    properties: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[str] = Field(
        default_factory=list, description="Logical ids to create first, beyond references."
    )
    region: str | None = Field(None, pattern=REGION, description="Overrides the stack region.")


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
