"""A resource's `lifecycle:` block (prevent_destroy, ignore_changes, retain_on_delete), checked
against its type and the stack's lifecycle, at the lines where it was written."""

from __future__ import annotations

import difflib
import types
import typing

from stackdeploy.config.collector import ErrorCollector
from stackdeploy.config.documents import LifecycleDocument
from stackdeploy.config.yamlsource import YamlPath
from stackdeploy.model.stack import IGNORE_ALL, ResourceLifecycle
from stackdeploy.specs.base import ResourceType


def ignorable_properties(rtype: ResourceType) -> set[str]:
    """The property names `ignore_changes` may list for a type: what its resources hold
    (a file property stands for the property its file is read into)."""
    return (set(rtype.spec.model_fields) - rtype.template_inputs()) | set(
        rtype.file_properties.values()
    )


def _holds_one_value(rtype: ResourceType, name: str) -> bool:
    """Whether a property is a plain value (text, number, flag), with nothing to name inside."""
    field = rtype.spec.model_fields.get(name)
    if field is None:
        return False
    plain = {str, int, float, bool, type(None)}
    annotation = field.annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):  # X | None
        return set(typing.get_args(annotation)) <= plain
    return annotation in plain


def resource_lifecycle(
    rtype: ResourceType,
    declared: LifecycleDocument,
    stack_lifecycle: str,
    collector: ErrorCollector,
    path: YamlPath,
) -> ResourceLifecycle | None:
    """The resource's guards, or None when the block has errors (reported)."""
    where: YamlPath = (*path, "lifecycle")
    ok = True
    if stack_lifecycle == "exercise":
        for guard in ("prevent_destroy", "retain_on_delete"):
            if getattr(declared, guard):
                collector.add(
                    (*where, guard),
                    f"{guard} keeps a resource of an exercise stack, which keeps nothing",
                    hint="leave it out, or make the stack lifecycle: durable",
                )
                ok = False
    paths = _ignored_paths(rtype, declared, collector, where)
    if paths is None or not ok:
        return None
    return ResourceLifecycle(
        prevent_destroy=declared.prevent_destroy,
        retain_on_delete=declared.retain_on_delete,
        ignore_changes=paths,
    )


def _ignored_paths(
    rtype: ResourceType, declared: LifecycleDocument, collector: ErrorCollector, where: YamlPath
) -> tuple[str, ...] | None:
    entries = declared.ignore_changes
    if entries == IGNORE_ALL or IGNORE_ALL in entries:
        return (IGNORE_ALL,)
    known = ignorable_properties(rtype)
    renamed = dict(rtype.file_properties)
    paths: list[str] = []
    ok = True
    for index, entry in enumerate(entries):
        at: YamlPath = (*where, "ignore_changes", index)
        parts = entry.split(".")
        if not all(parts):
            collector.add(
                at,
                f"ignore_changes: '{entry}' is not a property path",
                hint="write a property, or property.key such as tags.Owner",
            )
            ok = False
            continue
        head = renamed.get(parts[0], parts[0])
        if head not in known:
            similar = difflib.get_close_matches(parts[0], sorted(known), n=2, cutoff=0.5)
            collector.add(
                at,
                f"ignore_changes: '{parts[0]}' is not a property of {rtype.name}",
                hint=f"did you mean {' or '.join(similar)}?"
                if similar
                else f"its properties: {', '.join(sorted(known))}",
            )
            ok = False
            continue
        if len(parts) > 1 and _holds_one_value(rtype, head):
            collector.add(
                at,
                f"ignore_changes: '{head}' holds a single value, with no '{parts[1]}' inside",
                hint=f"name it whole: {head}",
            )
            ok = False
            continue
        path = ".".join([head, *parts[1:]])
        if path not in paths:
            paths.append(path)
    return tuple(paths) if ok else None
