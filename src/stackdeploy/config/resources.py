"""The resources of a stack file: each declaration checked against its type, its files read,
its templates rendered, and its properties brought to canonical form."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from stackdeploy.config import limits
from stackdeploy.config.collector import ErrorCollector
from stackdeploy.config.documents import LOGICAL_ID, ResourceDocument, StackDocument
from stackdeploy.config.guards import resource_lifecycle
from stackdeploy.config.lifecycle import exercise_properties
from stackdeploy.config.textfile import read_text_file
from stackdeploy.config.yamlsource import YamlPath
from stackdeploy.errors import ConfigError
from stackdeploy.model.stack import Resource
from stackdeploy.specs.base import TEMPLATE_RESOURCE, TEMPLATE_VARS, ResourceType
from stackdeploy.specs.registry import RESOURCE_TYPES, similar_type_names

# Renders a template file by name with these variables, over the stack's own.
RenderTemplate = Callable[[str, Mapping[str, Any]], str]


@dataclass
class DeclaredResources:
    """What the file's resource declarations came to."""

    valid: dict[str, Resource] = field(default_factory=dict)
    # Those that failed, with the type they were declared with (None: no known type).
    unvalidated: dict[str, str | None] = field(default_factory=dict)


def known_type(type_name: object) -> str | None:
    """The type a declaration names, if stackdeploy knows it."""
    return type_name if isinstance(type_name, str) and type_name in RESOURCE_TYPES else None


def declare_resources(
    parsed: StackDocument,
    region: str,
    stack_tags: dict[str, str],
    collector: ErrorCollector,
    render: RenderTemplate | None,
) -> DeclaredResources:
    declared = DeclaredResources()
    for logical_id, entry in parsed.resources.items():
        resource = _resource(logical_id, entry, parsed, region, stack_tags, collector, render)
        if resource is None:
            declared.unvalidated[logical_id] = known_type(entry.type)
        else:
            declared.valid[logical_id] = resource
    return declared


def _resource(
    logical_id: str,
    declared: ResourceDocument,
    parsed: StackDocument,
    region: str,
    stack_tags: dict[str, str],
    collector: ErrorCollector,
    render: RenderTemplate | None,
) -> Resource | None:
    """The resource a declaration makes, or None when it has errors (reported)."""
    path: YamlPath = ("resources", logical_id)
    if not LOGICAL_ID.match(logical_id):
        collector.add(
            path,
            f"'{logical_id}' is not a valid logical id",
            hint="use letters, digits, _ and -, starting with a letter or _",
        )
        return None
    rtype = RESOURCE_TYPES.get(declared.type)
    if rtype is None:
        similar = similar_type_names(declared.type)
        hint = f"did you mean {' or '.join(similar)}?" if similar else "see: deploy schema"
        collector.add((*path, "type"), f"unknown resource type '{declared.type}'", hint)
        return None
    lifecycle = resource_lifecycle(rtype, declared.lifecycle, parsed.lifecycle, collector, path)
    raw = _read_files(rtype, declared.properties, collector, path)
    if raw is None:
        return None
    if parsed.lifecycle == "exercise":
        raw, conflicts = exercise_properties(rtype, raw)
        for name, problem in conflicts:
            collector.add(
                (*path, "properties", name),
                problem,
                hint="leave it out (an exercise keeps nothing), or make the stack "
                "lifecycle: durable",
            )
        if conflicts:
            return None
    try:
        properties = canonical_properties(rtype, raw, parsed.stack, logical_id, stack_tags)
    except ValidationError as error:
        collector.add_validation((*path, "properties"), error, rtype.spec)
        return None
    identity = Identity(logical_id, rtype.name, declared.region or region)
    if not _render_templates(rtype, identity, properties, render, collector, path):
        return None
    if lifecycle is None:
        return None
    return Resource(
        logical_id=logical_id,
        type=rtype.name,
        region=identity.region,
        properties=properties,
        depends_on=tuple(declared.depends_on),
        generated_name=rtype.name_property is not None and raw.get(rtype.name_property) is None,
        lifecycle=lifecycle,
    )


def _read_files(
    rtype: ResourceType, declared: dict[str, Any], collector: ErrorCollector, path: YamlPath
) -> dict[str, Any] | None:
    """The properties with each file property (e.g. public_key_file) replaced by the file's
    content under its target name, before validation, so the content is validated and
    canonicalized exactly like an inline value. None when a file cannot be read."""
    properties = dict(declared)
    for file_field, target in rtype.file_properties.items():
        file_path = properties.get(file_field)
        if file_path is None or target in properties:
            continue  # absent, or both given: the spec says which one to keep
        del properties[file_field]
        where = collector.document.location((*path, "properties", file_field))
        resolved = Path(str(file_path)).expanduser()
        if not resolved.is_absolute():
            resolved = Path(collector.document.file).parent / resolved
        try:
            text = read_text_file(
                resolved, "file", limits.PROPERTY_FILE_BYTES, "they hold keys and the like"
            )
        except ConfigError as error:
            error.location = where
            collector.add_error(error)
            return None
        properties[target] = text.strip()
    return properties


class Identity(NamedTuple):
    """Who a resource is, beyond its properties."""

    logical_id: str
    type: str
    region: str


def _render_templates(
    rtype: ResourceType,
    identity: Identity,
    properties: dict[str, Any],
    render: RenderTemplate | None,
    collector: ErrorCollector,
    path: YamlPath,
) -> bool:
    """Render templates into their target properties (e.g. user_data), each with the stack's
    variables, the resource itself and the variables its template_vars give."""
    names = {field: properties.pop(field, None) for field in rtype.template_properties}
    variables = properties.pop(TEMPLATE_VARS, None) if rtype.template_properties else None
    own = template_view(rtype, identity, properties)
    context = {**(variables or {}), TEMPLATE_RESOURCE: own}
    for template_field, target in rtype.template_properties.items():
        name = names[template_field]
        if name is None:
            continue
        where: YamlPath = (*path, "properties", template_field)
        if render is None:
            collector.add(where, "templates need a stack file")
            return False
        try:
            properties[target] = render(str(name), context)
        except ConfigError as error:
            if error.location is None:
                error.location = collector.document.location(where)
            collector.add_error(error, at=where)
            return False
    return True


def template_view(
    rtype: ResourceType, identity: Identity, properties: Mapping[str, Any]
) -> dict[str, Any]:
    """What a template sees as `resource`: the properties as validated (references still
    `${...}` text, which resolves at apply time wherever the template writes it), with its
    logical id, type and region; not what the templates themselves are to render. A copy, so
    that no template changes the resource."""
    rendered_into = set(rtype.template_properties.values())
    view = {k: v for k, v in properties.items() if k not in rendered_into}
    return copy.deepcopy({**view, **identity._asdict()})


def canonical_properties(
    rtype: ResourceType,
    raw: dict[str, Any],
    stack_name: str,
    logical_id: str,
    stack_tags: dict[str, str],
) -> dict[str, Any]:
    """Validate raw properties and bring them to the canonical form the differ compares.

    Raises pydantic.ValidationError for invalid input.
    """
    spec = rtype.spec.model_validate(raw)
    properties = rtype.canonical(spec.model_dump(mode="json", by_alias=True))
    if rtype.name_property and properties.get(rtype.name_property) is None:
        properties[rtype.name_property] = rtype.generated_name_for(stack_name, logical_id)
    if rtype.stack_defaults:
        properties = rtype.stack_defaults(properties, stack_name)
    if rtype.taggable:
        properties["tags"] = {**stack_tags, **properties.get("tags", {})}
    return properties
