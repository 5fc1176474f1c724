"""Checks across the resources of a stack: references name resources and attributes that
exist, and each type's own cross-resource rules (specs: ResourceType.checks)."""

from __future__ import annotations

import difflib
from typing import Any

from stackdeploy.config.collector import ErrorCollector
from stackdeploy.config.documents import StackDocument
from stackdeploy.config.yamlsource import YamlPath
from stackdeploy.errors import ConfigError, GraphError
from stackdeploy.graph.build import (
    check_acyclic,
    dependency_graph,
    ordering_dependencies,
    ordering_targets,
    orders_nothing,
)
from stackdeploy.model.refs import Ref, find_refs
from stackdeploy.model.stack import Stack
from stackdeploy.specs.registry import RESOURCE_TYPES


def check_references(stack: Stack, parsed: StackDocument, collector: ErrorCollector) -> None:
    known = set(parsed.resources) | set(stack.unvalidated)
    # (where, the value written there, the resource it belongs to, references already
    # checked where the file wrote them)
    places: list[tuple[YamlPath, Any, str | None, set[Ref]]] = [
        (("resources", logical_id, "properties"), declared.properties, logical_id, set())
        for logical_id, declared in parsed.resources.items()
    ]
    places.append((("outputs",), parsed.outputs, None, set()))
    for logical_id, declared_resource in stack.resources.items():
        rtype = RESOURCE_TYPES[declared_resource.type]
        written = parsed.resources[logical_id].properties
        for template_field, rendered_into in rtype.template_properties.items():
            if template_field in written:
                template_path: YamlPath = ("resources", logical_id, "properties", template_field)
                rendered = declared_resource.properties.get(rendered_into)
                # A template that writes the resource's own properties (resource.subnet_id)
                # or its variables repeats their references: each is judged where written.
                checked = {ref for ref, _ in find_refs(written)}
                places.append((template_path, rendered, logical_id, checked))
    for prefix, value, owner, checked in places:
        for ref, path in find_refs(value):
            if ref in checked:
                continue
            where = (*prefix, *path)
            if ref.target not in known:
                similar = _close(ref.target, known)
                collector.add(
                    where,
                    f"reference {ref} names '{ref.target}', which is not a resource in this stack",
                    hint=f"did you mean {similar}?" if similar else None,
                )
                continue
            # Only a value known before create can be part of the resource's own creation:
            # a bucket policy's Resource naming "${bucket.arn}/*" (never rendered user data,
            # which is one string, no policy).
            if ref.target == owner and not orders_nothing(stack, ref, path):
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


def check_cycles(stack: Stack, parsed: StackDocument, collector: ErrorCollector) -> None:
    """A dependency cycle, found also through resources that failed validation: their
    references are read from the file as written."""
    dependencies = {
        logical_id: ordering_dependencies(stack, resource)
        if (resource := stack.resources.get(logical_id))
        else ordering_targets(stack, logical_id, declared.properties, declared.depends_on)
        for logical_id, declared in parsed.resources.items()
    }
    try:
        check_acyclic(dependency_graph(dependencies), stack)
    except GraphError as error:
        collector.add_error(error)


def _close(name: str, known: set[str]) -> str | None:
    matches = difflib.get_close_matches(name, sorted(known), n=1)
    return matches[0] if matches else None


def run_type_checks(stack: Stack, collector: ErrorCollector) -> list[str]:
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
                collector.add_error(ConfigError(issue.message, location=location, hint=issue.hint))
    return warnings
