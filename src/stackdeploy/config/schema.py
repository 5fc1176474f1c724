"""The JSON Schema of stack files, generated from the pydantic models of every type."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from stackdeploy.config.documents import REGION, STACK_NAME, LifecycleDocument, StackDocument
from stackdeploy.specs.registry import RESOURCE_TYPES


def _resource_model(type_name: str) -> type[BaseModel]:
    rtype = RESOURCE_TYPES[type_name]
    name = (
        "".join(part.capitalize() for part in type_name.replace("_", ".").split(".")) + "Resource"
    )
    model: type[BaseModel] = create_model(
        name,
        __config__=ConfigDict(extra="forbid", title=type_name),
        __doc__=rtype.summary,
        type=(Literal[type_name], Field(description="Resource type")),  # type: ignore[arg-type]
        properties=(rtype.spec, Field(description=rtype.summary)),
        depends_on=(
            list[str],
            Field(default_factory=list, description="Logical ids to create first"),
        ),
        region=(str | None, Field(None, pattern=REGION, description="Overrides the stack region")),
        lifecycle=(
            LifecycleDocument,
            Field(
                default_factory=LifecycleDocument,
                description="This resource's guards: prevent_destroy, ignore_changes, "
                "retain_on_delete (the stack's own lifecycle is the top-level one)",
            ),
        ),
    )
    return model


def stack_json_schema() -> dict[str, Any]:
    models = tuple(_resource_model(name) for name in sorted(RESOURCE_TYPES))
    resource = Annotated[Union[models], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007
    stack_model: type[BaseModel] = create_model(
        "StackFile",
        __config__=ConfigDict(extra="forbid", title="stackdeploy stack file"),
        stack=(str, Field(pattern=STACK_NAME, description="Stack name; tags every resource")),
        region=(str | None, Field(None, pattern=REGION, description="Default region")),
        description=(str, ""),
        vars=(dict[str, Any], Field(default_factory=dict, description="Variables with defaults")),
        tags=(dict[str, str], Field(default_factory=dict, description="Tags for every resource")),
        resources=(dict[str, resource], Field(default_factory=dict)),
        outputs=(dict[str, Any], Field(default_factory=dict)),
    )
    schema = stack_model.model_json_schema()
    # The top-level fields the loader reads as they are, with their descriptions.
    document = StackDocument.model_json_schema()["properties"]
    for name in ("lifecycle", "expires_after"):
        schema["properties"][name] = document[name]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
