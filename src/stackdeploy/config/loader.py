"""load_stack: stack file -> variables -> Jinja2 -> YAML -> validated Stack.

Every problem found is collected and reported together with file, line and field path, and
nothing here talks to AWS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from stackdeploy.config import limits
from stackdeploy.config.collector import ErrorCollector
from stackdeploy.config.copies import StackCopy, copy_stack_name, copy_variables, probe_copy
from stackdeploy.config.copy_checks import check_generated_names, check_unique_names
from stackdeploy.config.crosschecks import check_cycles, check_references, run_type_checks
from stackdeploy.config.documents import parse_stack_document
from stackdeploy.config.lifecycle import parse_expiry
from stackdeploy.config.render import render_file, render_template, template_search_path
from stackdeploy.config.resources import (
    RenderTemplate,
    canonical_properties,
    declare_resources,
    known_type,
)
from stackdeploy.config.sandbox import RenderBudget
from stackdeploy.config.sourcemap import SourceMap
from stackdeploy.config.textfile import read_text_file
from stackdeploy.config.variables import declared_variables, resolve_variables, top_level_scalar
from stackdeploy.config.yamlsource import YamlDocument, format_path, parse_yaml
from stackdeploy.errors import ConfigError, ConfigErrors, DeployError, SourceLocation
from stackdeploy.model.stack import Stack
from stackdeploy.specs.base import check_user_tags

__all__ = ["LoadOptions", "build_stack", "canonical_properties", "load_stack"]


@dataclass(frozen=True)
class LoadOptions:
    var_files: Sequence[Path] = ()
    cli_vars: Sequence[str] = ()
    region_override: str | None = None  # --region
    fallback_region: str | None = None  # AWS_REGION / profile, when the file names none
    copy: StackCopy | None = None  # --copy: load this copy of the stack (config/copies.py)


def load_stack(path: Path, options: LoadOptions | None = None) -> Stack:
    options = options or LoadOptions()
    try:
        stack = _load_stack(path, options)
        if options.copy is not None:
            check_generated_names(stack, options.copy)
            check_unique_names(stack, _load_probe(path, options, options.copy))
        return stack
    except RecursionError:
        # The bounds on YAML depth and template includes should stop recursion first; this
        # is the last resort, so that no input ends in an internal error.
        raise ConfigError(
            f"{path} nests too deeply to load",
            location=SourceLocation(str(path)),
            hint="look for templates that include each other, or data nested hundreds deep",
        ) from None


def _load_probe(path: Path, options: LoadOptions, copy: StackCopy) -> Stack | None:
    """The file once more as another copy: what is equal in both would collide. None when
    that copy does not load (the file treats copies differently); nothing is compared then,
    rather than reporting errors about a copy nobody asked for."""
    try:
        return _load_stack(path, replace(options, copy=probe_copy(copy)))
    except DeployError:
        return None


@dataclass(frozen=True)
class Rendered:
    """A stack file after Jinja2, with what rendering it used."""

    file: str
    text: str  # as written
    rendered: str  # after Jinja2: the YAML that is parsed
    variables: dict[str, Any]
    context: dict[str, Any]
    search_path: list[Path]
    budget: RenderBudget


def render_stack_file(path: Path, options: LoadOptions | None = None) -> Rendered:
    """The stack file rendered with its variables (`deploy render` prints `rendered`)."""
    options = options or LoadOptions()
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
        context["stack_name"] = f"{stack_name}-{options.copy.name}" if options.copy else stack_name
    context.update(variables)
    context["vars"] = variables
    context.update(copy_variables(options.copy, variables, file))
    search_path = template_search_path(path)
    budget = RenderBudget()  # shared by the stack file and every template it renders
    rendered = render_template(text, file, context, search_path, budget)
    return Rendered(file, text, rendered, variables, context, search_path, budget)


def _load_stack(path: Path, options: LoadOptions) -> Stack:
    done = render_stack_file(path, options)
    document = parse_yaml(done.rendered, done.file, SourceMap(done.text, done.rendered))
    digest = hashlib.sha256(done.rendered.encode()).hexdigest()
    return build_stack(
        document,
        done.variables,
        options,
        digest,
        render=lambda name, own: render_file(
            name, {**done.context, **own}, done.search_path, done.budget
        ),
    )


def build_stack(
    document: YamlDocument,
    variables: dict[str, Any],
    options: LoadOptions,
    digest: str,
    render: RenderTemplate | None = None,
) -> Stack:
    """The validated Stack, or every error found in the document: a resource that fails
    validation leaves the checks across resources to run on the others."""
    collector = ErrorCollector(document)
    parsed, failed_entries = parse_stack_document(document, collector)
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

    expires, expires_after = None, None
    if parsed.expires_after is not None:
        try:
            expires, expires_after = parse_expiry(parsed.expires_after)
        except ValueError as error:
            collector.add(("expires_after",), str(error))
    if options.copy is not None:  # generated names and ownership tags name the copy
        parsed = parsed.model_copy(update={"stack": copy_stack_name(parsed.stack, options.copy)})
    declared = declare_resources(parsed, region, stack_tags, collector, render)
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
        resources=declared.valid,
        outputs=parsed.outputs,
        lifecycle=parsed.lifecycle,
        expires=expires,
        expires_after_seconds=expires_after,
        copy_name=options.copy.name if options.copy else None,
        source_file=document.file,
        source_digest=digest,
        source_lines=source_lines,
        unvalidated={
            **{logical_id: known_type(t) for logical_id, t in failed_entries.items()},
            **declared.unvalidated,
        },
    )
    check_references(stack, parsed, collector)
    check_cycles(stack, parsed, collector)
    warnings = run_type_checks(stack, collector)
    if collector:
        raise ConfigErrors(collector.errors())
    return stack.model_copy(update={"warnings": tuple(warnings)}) if warnings else stack
