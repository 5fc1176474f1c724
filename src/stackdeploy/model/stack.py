"""A validated stack: the desired resources, their properties and where they were written."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from stackdeploy.config.yamlsource import YamlPath, format_path
from stackdeploy.errors import SourceLocation
from stackdeploy.model.refs import Ref, find_refs, single_ref
from stackdeploy.specs.base import MARK_TAG_COPY, MARK_TAG_EXPIRES, MARK_TAG_LIFECYCLE


class Guards(BaseModel):
    """What protects a resource from being deleted (its lifecycle block): recorded in the
    state at every apply, so that they still hold once the resource is gone from the file."""

    model_config = ConfigDict(frozen=True)

    # A plan that would delete or replace it stops before changing anything.
    prevent_destroy: bool = False
    # On destroy or removal from the file it is untagged and forgotten, never deleted.
    retain_on_delete: bool = False


# `ignore_changes: all`: every property, after create.
IGNORE_ALL = "all"


class ResourceLifecycle(Guards):
    """A resource's `lifecycle:` block (not the stack's `lifecycle: durable|exercise`)."""

    # Property paths (dotted: "tags.Owner") the plan never diffs nor updates, or (IGNORE_ALL,).
    ignore_changes: tuple[str, ...] = ()

    def guards(self) -> Guards:
        return Guards(prevent_destroy=self.prevent_destroy, retain_on_delete=self.retain_on_delete)


class Resource(BaseModel):
    """One declared resource, with properties in canonical form (references still unresolved)."""

    model_config = ConfigDict(frozen=True)

    logical_id: str
    type: str
    region: str
    properties: dict[str, Any]
    depends_on: tuple[str, ...] = ()
    # The name property was left out and filled with "<stack>-<logical id>": stackdeploy may
    # give it another form when a replacement must exist next to the old resource.
    generated_name: bool = False
    lifecycle: ResourceLifecycle = ResourceLifecycle()

    def refs(self) -> list[Ref]:
        return sorted({ref for ref, _ in find_refs(self.properties)})

    def dependencies(self) -> set[str]:
        """Logical ids this resource needs first: reference targets and depends_on (not itself:
        the references a resource may make to itself are known before it is created)."""
        others = {ref.target for ref in self.refs() if ref.target != self.logical_id}
        return others | set(self.depends_on)


# The source of a stack named on the command line instead of read from a file (destroy,
# unlock and sweep by name): the commands a plan suggests then name it the same way.
BY_NAME = "--stack "


class Stack(BaseModel):
    """A rendered, validated stack file."""

    model_config = ConfigDict(frozen=True)

    name: str
    region: str
    description: str = ""
    tags: dict[str, str] = Field(default_factory=dict)
    variables: dict[str, Any] = Field(default_factory=dict)
    resources: dict[str, Resource] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)
    # What the stack is (its marks, tagged on every resource; specs/base.py MARK_TAGS).
    copy_name: str | None = None  # the copy's name when this is a copy of a stack (--copy)
    expires: str | None = None  # ISO 8601 UTC; None: never
    # `expires_after: 4h` in the file: the expiry is set this long after the first apply
    # (apply/engine.py resolves it into `expires`).
    expires_after_seconds: int | None = None
    lifecycle: Literal["durable", "exercise"] = "durable"
    source_file: str = "<memory>"
    source_digest: str = ""
    # Dotted YAML path -> line in the source file, for errors found after loading.
    source_lines: dict[str, int] = Field(default_factory=dict)
    # What the checks could not settle from the file alone, each with where it was written.
    warnings: tuple[str, ...] = ()
    # Resources the file declares that failed validation, by logical id, with the type they
    # were declared with (None when that is no known type). Only the loader sets it, while it
    # collects errors, so that cross-resource checks can run on the other resources without
    # concluding anything from what these might say; a loaded stack has none.
    unvalidated: dict[str, str | None] = Field(default_factory=dict, exclude=True)

    def location(self, path: YamlPath) -> SourceLocation:
        dotted = format_path(path)
        probe = path
        while probe and format_path(probe) not in self.source_lines:
            probe = probe[:-1]
        return SourceLocation(self.source_file, self.source_lines.get(format_path(probe)), dotted)

    def property_location(self, logical_id: str, path: YamlPath) -> SourceLocation:
        return self.location(("resources", logical_id, "properties", *path))

    def target_of(self, value: Any, attribute: str = "id") -> Resource | None:
        """The resource a value refers to, when the value is exactly `${that.<attribute>}`."""
        ref = single_ref(value)
        if ref is None or ref.attribute != attribute:
            return None
        return self.resources.get(ref.target)

    def may_hold_unvalidated(self, type_name: str) -> bool:
        """Whether a resource of this type may be among those that failed validation."""
        return any(declared in (type_name, None) for declared in self.unvalidated.values())

    def marks(self) -> dict[str, str]:
        """The mark tags every resource of this stack carries."""
        marks = {MARK_TAG_EXPIRES: self.expires or ""} if self.expires else {}
        if self.copy_name:
            marks[MARK_TAG_COPY] = self.copy_name
        if self.lifecycle == "exercise":
            marks[MARK_TAG_LIFECYCLE] = "exercise"
        return marks

    @classmethod
    def named(
        cls, name: str, region: str, lifecycle: Literal["durable", "exercise"] = "durable"
    ) -> Stack:
        """A stack known by its name alone (no file): empty, so that destroying it removes
        everything its tags and state say it owns."""
        return cls(name=name, region=region, lifecycle=lifecycle, source_file=BY_NAME + name)

    @property
    def by_name(self) -> bool:
        return self.source_file.startswith(BY_NAME)

    def regions(self) -> set[str]:
        return {self.region} | {r.region for r in self.resources.values()}
