"""load_stack: stack file -> variables -> Jinja2 -> YAML -> validated Stack.

Every problem found is collected and reported together with file, line and field path, and
nothing here talks to AWS.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stackdeploy.config import limits
from stackdeploy.config.render import render_file, render_template, template_search_path
from stackdeploy.config.sandbox import RenderBudget
from stackdeploy.config.sourcemap import SourceMap
from stackdeploy.config.textfile import read_text_file
from stackdeploy.config.variables import declared_variables, resolve_variables, top_level_scalar
from stackdeploy.config.yamlsource import YamlDocument, YamlPath, format_path, parse_yaml
from stackdeploy.errors import ConfigError, ConfigErrors, DeployError, SourceLocation
from stackdeploy.graph.build import build_graph
from stackdeploy.model.refs import find_refs
from stackdeploy.model.stack import Resource, Stack
from stackdeploy.specs.base import ResourceType, check_user_tags
from stackdeploy.specs.registry import RESOURCE_TYPES, similar_type_names

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


@dataclass(frozen=True)
class LoadOptions:
    var_files: Sequence[Path] = ()
    cli_vars: Sequence[str] = ()
    region_override: str | None = None  # --region
    fallback_region: str | None = None  # AWS_REGION / profile, when the file names none


@dataclass
class _Collector:
    document: YamlDocument
    errors: list[ConfigError] = field(default_factory=list)

    def add(self, path: YamlPath, message: str, hint: str | None = None) -> None:
        self.errors.append(ConfigError(message, location=self.document.location(path), hint=hint))

    def add_validation(self, prefix: YamlPath, error: ValidationError) -> None:
        for item in error.errors():
            location = tuple(part for part in item["loc"] if part != "__root__")
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = f"unknown field '{location[-1]}'"
            elif item["type"] == "missing":
                message = f"missing required field '{location[-1]}'"
            self.add((*prefix, *location), message)


def load_stack(path: Path, options: LoadOptions | None = None) -> Stack:
    try:
        return _load_stack(path, options or LoadOptions())
    except RecursionError:
        # The bounds on YAML depth and template includes should stop recursion first; this
        # is the last resort, so that no input ends in an internal error.
        raise ConfigError(
            f"{path} nests too deeply to load",
            location=SourceLocation(str(path)),
            hint="look for templates that include each other, or data nested hundreds deep",
        ) from None


def _load_stack(path: Path, options: LoadOptions) -> Stack:
    file = str(path)
    text = read_text_file(
        path, "stack file", limits.STACK_FILE_BYTES, "CloudFormation's limit for a template"
    )
    variables = resolve_variables(
        declared_variables(text, file), options.var_files, options.cli_vars, file
    )
    file_region = top_level_scalar(text, "region")
    region = options.region_override or file_region or options.fallback_region
    context: dict[str, Any] = {"region": region} if region else {}
    stack_name = top_level_scalar(text, "stack")
    if stack_name:
        context["stack_name"] = stack_name
    context.update(variables)
    context["vars"] = variables
    search_path = template_search_path(path)
    budget = RenderBudget()  # shared by the stack file and every template it renders
    rendered = render_template(text, file, context, search_path, budget)
    document = parse_yaml(rendered, file, SourceMap(text, rendered))
    digest = hashlib.sha256(rendered.encode()).hexdigest()
    return build_stack(
        document,
        variables,
        options,
        digest,
        render=lambda name: render_file(name, context, search_path, budget),
    )


def build_stack(
    document: YamlDocument,
    variables: dict[str, Any],
    options: LoadOptions,
    digest: str,
    render: Callable[[str], str] | None = None,
) -> Stack:
    collector = _Collector(document)
    data = document.data
    if not isinstance(data, dict):
        raise ConfigError("a stack file must be a YAML mapping", location=document.location(()))
    try:
        parsed = StackDocument.model_validate(data)
    except ValidationError as error:
        collector.add_validation((), error)
        raise ConfigErrors(collector.errors) from None

    region = options.region_override or parsed.region or options.fallback_region
    if region is None:
        raise ConfigError(
            "no region: the stack file has no region: and none was given",
            location=document.location(()),
            hint="add region: us-west-2 (for example) to the stack file, or pass --region",
        )
    try:
        stack_tags = check_user_tags(parsed.tags)
    except ValueError as error:
        collector.add(("tags",), str(error))
        stack_tags = {}

    resources = dict(_resources(parsed, region, stack_tags, collector, render))
    source_lines = {
        format_path(path): line
        for path, rendered in document.lines.items()
        if (line := document.line_of_rendered(rendered)) is not None
    }
    stack = Stack(
        name=parsed.stack,
        region=region,
        description=parsed.description,
        tags=stack_tags,
        variables=variables,
        resources=resources,
        outputs=parsed.outputs,
        source_file=document.file,
        source_digest=digest,
        source_lines=source_lines,
    )
    _check_references(stack, parsed, collector)
    if not collector.errors:
        try:
            build_graph(stack)
        except DeployError as error:
            collector.errors.append(error)  # type: ignore[arg-type]
    warnings: list[str] = []
    if not collector.errors:
        warnings = _run_type_checks(stack, collector)
    if collector.errors:
        raise ConfigErrors(collector.errors)
    return stack.model_copy(update={"warnings": tuple(warnings)}) if warnings else stack


def _resources(
    parsed: StackDocument,
    region: str,
    stack_tags: dict[str, str],
    collector: _Collector,
    render: Callable[[str], str] | None,
) -> Iterator[tuple[str, Resource]]:
    for logical_id, declared in parsed.resources.items():
        path: YamlPath = ("resources", logical_id)
        if not LOGICAL_ID.match(logical_id):
            collector.add(
                path,
                f"'{logical_id}' is not a valid logical id",
                hint="use letters, digits, _ and -, starting with a letter or _",
            )
            continue
        rtype = RESOURCE_TYPES.get(declared.type)
        if rtype is None:
            similar = similar_type_names(declared.type)
            hint = f"did you mean {' or '.join(similar)}?" if similar else "see: deploy schema"
            collector.add((*path, "type"), f"unknown resource type '{declared.type}'", hint)
            continue
        raw = _read_files(rtype, declared.properties, collector, path)
        if raw is None:
            continue
        try:
            properties = canonical_properties(rtype, raw, parsed.stack, logical_id, stack_tags)
        except ValidationError as error:
            collector.add_validation((*path, "properties"), error)
            continue
        if not _render_templates(rtype, properties, render, collector, path):
            continue
        yield (
            logical_id,
            Resource(
                logical_id=logical_id,
                type=rtype.name,
                region=declared.region or region,
                properties=properties,
                depends_on=tuple(declared.depends_on),
                generated_name=rtype.name_property is not None
                and raw.get(rtype.name_property) is None,
            ),
        )


def _read_files(
    rtype: ResourceType, declared: dict[str, Any], collector: _Collector, path: YamlPath
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
            collector.errors.append(error)
            return None
        properties[target] = text.strip()
    return properties


def _render_templates(
    rtype: ResourceType,
    properties: dict[str, Any],
    render: Callable[[str], str] | None,
    collector: _Collector,
    path: YamlPath,
) -> bool:
    """Render templates into their target properties (e.g. user_data)."""
    for template_field, target in rtype.template_properties.items():
        name = properties.pop(template_field, None)
        if name is None:
            continue
        if render is None:
            collector.add((*path, "properties", template_field), "templates need a stack file")
            return False
        try:
            properties[target] = render(str(name))
        except ConfigError as error:
            if error.location is None:
                error.location = collector.document.location((*path, "properties", template_field))
            collector.errors.append(error)
            return False
    return True


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


def _check_references(stack: Stack, parsed: StackDocument, collector: _Collector) -> None:
    known = set(parsed.resources)
    places: list[tuple[YamlPath, Any, str | None]] = [
        (("resources", logical_id, "properties"), declared.properties, logical_id)
        for logical_id, declared in parsed.resources.items()
    ]
    places.append((("outputs",), parsed.outputs, None))
    for logical_id, declared_resource in stack.resources.items():
        rtype = RESOURCE_TYPES[declared_resource.type]
        for template_field, rendered_into in rtype.template_properties.items():
            if template_field in parsed.resources[logical_id].properties:
                template_path: YamlPath = ("resources", logical_id, "properties", template_field)
                rendered = declared_resource.properties.get(rendered_into)
                places.append((template_path, rendered, logical_id))
    for prefix, value, owner in places:
        for ref, path in find_refs(value):
            where = (*prefix, *path)
            if ref.target not in known:
                similar = _close(ref.target, known)
                collector.add(
                    where,
                    f"reference {ref} names '{ref.target}', which is not a resource in this stack",
                    hint=f"did you mean {similar}?" if similar else None,
                )
                continue
            if ref.target == owner:
                collector.add(
                    where,
                    f"{owner} refers to itself ({ref})",
                    hint="a security group rule uses `self: true` to name its own group",
                )
                continue
            target = stack.resources.get(ref.target)
            if target is None:
                continue  # the target had its own error
            allowed = RESOURCE_TYPES[target.type].referenceable()
            if ref.attribute not in allowed:
                collector.add(
                    where,
                    f"{target.type} '{ref.target}' has no attribute '{ref.attribute}'",
                    hint=f"attributes: {', '.join(sorted(allowed))}",
                )
    for logical_id, declared in parsed.resources.items():
        for index, dependency in enumerate(declared.depends_on):
            if dependency not in known:
                collector.add(
                    ("resources", logical_id, "depends_on", index),
                    f"depends_on names '{dependency}', which is not a resource in this stack",
                )


def _close(name: str, known: set[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(name, sorted(known), n=1)
    return matches[0] if matches else None


def _run_type_checks(stack: Stack, collector: _Collector) -> list[str]:
    """Errors go to the collector; warnings are returned as text naming their field."""
    warnings = []
    used = sorted({resource.type for resource in stack.resources.values()})
    for type_name in used:
        for check in RESOURCE_TYPES[type_name].checks:
            for issue in check(stack):
                location = stack.property_location(issue.logical_id, issue.path)
                if issue.warning:
                    hint = f" (hint: {issue.hint})" if issue.hint else ""
                    warnings.append(f"{location}: {issue.message}{hint}")
                    continue
                collector.errors.append(
                    ConfigError(issue.message, location=location, hint=issue.hint)
                )
    return warnings
