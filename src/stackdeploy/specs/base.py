"""The declaration every resource type makes, and shared validation helpers."""

from __future__ import annotations

import enum
import hashlib
import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from stackdeploy.specs.references import Reference

if TYPE_CHECKING:
    from stackdeploy.model.stack import Stack

OWNERSHIP_TAG_STACK = "stackdeploy:stack"
OWNERSHIP_TAG_ID = "stackdeploy:id"
# A random id per stack, made at its first apply and kept in its state record: the proof,
# beyond tags anyone may copy by hand, that this copy of the stack created the resource.
OWNERSHIP_TAG_LINEAGE = "stackdeploy:lineage"
OWNERSHIP_TAGS = (OWNERSHIP_TAG_STACK, OWNERSHIP_TAG_ID, OWNERSHIP_TAG_LINEAGE)
# Stack marks: tags every resource of a stack carries, that say what the stack is rather than
# who owns a resource, so that an account can be inventoried and swept from its tags alone.
MARK_TAG_COPY = "stackdeploy:copy"  # the copy's name, for a copy of a stack (--copy)
MARK_TAG_EXPIRES = "stackdeploy:expires"  # ISO 8601 UTC (2026-12-03T22:00:00Z); "" = never
MARK_TAG_LIFECYCLE = "stackdeploy:lifecycle"  # "exercise" for throwaway stacks; else absent
MARK_TAGS = (MARK_TAG_COPY, MARK_TAG_EXPIRES, MARK_TAG_LIFECYCLE)
# What a retained resource (lifecycle.retain_on_delete) loses: nothing claims it afterwards.
CLAIM_TAGS = (*OWNERSHIP_TAGS, *MARK_TAGS)
RESERVED_TAG_PREFIXES = ("aws:", "stackdeploy:")
# The property of a type with template_properties that gives its templates more variables,
# like Terraform's templatefile(path, vars); and the name its templates see it by.
TEMPLATE_VARS = "template_vars"
TEMPLATE_RESOURCE = "resource"
MAX_USER_TAGS = 50 - len(OWNERSHIP_TAGS) - len(MARK_TAGS)  # AWS allows 50 per resource


class ReplaceStrategy(enum.Enum):
    """How a replacement is carried out."""

    DELETE_THEN_CREATE = "delete_then_create"
    CREATE_THEN_DELETE = "create_then_delete"


class Spec(BaseModel):
    """Base of every resource spec: unknown fields are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TaggedSpec(Spec):
    tags: dict[str, str] = Field(
        default_factory=dict,
        description="Tags for this resource, merged over the stack's tags.",
    )

    @field_validator("tags")
    @classmethod
    def _user_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        return check_user_tags(tags)


def check_user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    for key, value in tags.items():
        if key.startswith(RESERVED_TAG_PREFIXES):
            raise ValueError(f"tag key '{key}' uses a reserved prefix (aws: or stackdeploy:)")
        if not 1 <= len(key) <= 128:
            raise ValueError(f"tag key '{key}' must be 1 to 128 characters")
        if len(value) > 256:
            raise ValueError(f"tag '{key}' has a value longer than 256 characters")
    if len(tags) > MAX_USER_TAGS:
        raise ValueError(f"at most {MAX_USER_TAGS} tags per resource ({len(tags)} given)")
    return dict(tags)


@dataclass(frozen=True)
class Issue:
    """A rule a stack breaks, found by a cross-resource check."""

    logical_id: str
    path: tuple[str | int, ...]  # relative to the resource's properties
    message: str
    hint: str | None = None
    # Something the stack file alone cannot settle (a permission AWS may grant elsewhere):
    # shown by validate and plan at its field, without stopping them.
    warning: bool = False


StackCheck = Callable[["Stack"], Iterable[Issue]]
Canonicalizer = Callable[[dict[str, Any]], dict[str, Any]]
# Defaults that depend on the stack's name (properties, stack name) -> properties.
StackDefaults = Callable[[dict[str, Any], str], dict[str, Any]]
# How an omitted name is generated: (stack, logical id, max length) -> name.
NameFormat = Callable[[str, str, int], str]
NameScope = Literal["region", "account", "everywhere"]
# A rule on an update that depends on what AWS holds, for changes AWS refuses in either form
# (S3 versioning, once enabled, can only be suspended): (logical id, desired, live) -> issues.
UpdateCheck = Callable[[str, dict[str, Any], dict[str, Any]], Iterable[Issue]]
KeptOnDelete = Callable[[str, str, dict[str, Any], dict[str, Any] | None], str | None]


@dataclass(frozen=True)
class Place:
    """Where a resource lives: what, with its properties, determines AWS-assigned values."""

    region: str
    account: str

    @property
    def partition(self) -> str:
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"


@dataclass(frozen=True)
class Derived:
    """An attribute AWS assigns that is known before the resource exists, from `inputs` (its
    properties) and its place: a bucket's ARN from its name. A reference to it resolves at
    plan time and orders nothing, so two resources may name each other this way."""

    inputs: tuple[str, ...]
    derive: Callable[[Mapping[str, Any], Place], Any]


def derived_from_name(derive: Callable[[str, Place], Any]) -> Derived:
    """An attribute derived from the resource's `name` alone."""
    return Derived(("name",), lambda props, place: derive(str(props["name"]), place))


@dataclass(frozen=True)
class ResourceType:
    """Declared behaviour of one AWS resource type (CloudFormation resource schema style)."""

    name: str  # "aws.ec2.vpc"
    spec: type[Spec]
    summary: str
    attributes: Mapping[str, str]  # read-only attributes AWS assigns -> description
    create_only: frozenset[str] = frozenset()  # a change forces replacement
    write_only: frozenset[str] = frozenset()  # sent to AWS, never read back
    unordered: frozenset[str] = frozenset()  # lists compared as sets
    taggable: bool = True
    replace_strategy: ReplaceStrategy = ReplaceStrategy.DELETE_THEN_CREATE
    # Types whose resources in the same stack must be deleted before this one, for ordering
    # rules AWS enforces without a reference between the two (IGW detach vs mapped public IPs).
    delete_after: frozenset[str] = frozenset()
    # Types whose resources in the same stack must exist before this one is created, for
    # rules AWS enforces without a reference (a public NAT gateway needs the VPC's IGW).
    create_after: frozenset[str] = frozenset()
    typical_create_seconds: float = 2.0  # scheduling priority: long poles start first
    replace_notes: Mapping[str, str] = field(default_factory=dict)  # property -> why it replaces
    # Properties that change in place except in one direction: property -> rule(before, after)
    # saying whether this particular change forces a replacement (RDS storage can grow in
    # place but never shrink). The rule gets raw values, UNKNOWN included; the reason shown is
    # replace_notes[property], as for a create-only property.
    replace_when: Mapping[str, Callable[[Any, Any], bool]] = field(default_factory=dict)
    update_notes: Mapping[str, str] = field(default_factory=dict)  # property -> side effects
    # Said in red with every replacement of this type, e.g. "replacing a database loses its
    # data unless a snapshot is taken".
    replace_warning: str | None = None
    checks: tuple[StackCheck, ...] = ()
    canonicalize: Canonicalizer | None = None  # user spec shape -> the shape AWS reads back
    # Fills defaults derived from the stack name, so the plan shows them (a key file path).
    stack_defaults: StackDefaults | None = None
    # Shown in the plan when a resource of this type is destroyed; a callable receives the
    # properties last applied (None when unknown) and may return None for "nothing to say".
    delete_notes: str | Callable[[dict[str, Any] | None], str | None] | None = None
    # What a delete leaves behind on purpose (an RDS final snapshot), named at plan time so
    # the plan shows it and apply keeps exactly that: (stack, logical id, live properties,
    # properties last applied or None) -> its name, or None when it keeps nothing.
    kept_on_delete: KeptOnDelete | None = None
    # A property holding a local file path whose content is read at load time into another
    # property, e.g. {"public_key_file": "public_key"} (paths relative to the stack file).
    file_properties: Mapping[str, str] = field(default_factory=dict)
    # A property that names the resource in AWS; filled with "<stack>-<logical id>" if omitted.
    name_property: str | None = None
    name_max_length: int = 255
    # How that name is generated (default generated_name); S3 bucket names are global, so
    # theirs end with the account id.
    name_format: NameFormat | None = None
    # Where AWS keeps that name unique, which copies of a stack (--copy) must respect: two
    # copies giving a resource the same name collide there. IAM names are unique in the
    # account, S3 bucket names everywhere.
    name_unique_in: NameScope = "region"
    # A property naming the resource inside which the name is unique instead (a security
    # group's name is unique in its VPC): copies that make their own of it never collide.
    name_unique_within: str | None = None
    # Other values that must be unique beyond the stack, by path (as in `references`) ->
    # where: a KMS alias "in the region", a private key file "on this machine".
    unique_properties: Mapping[str, str] = field(default_factory=dict)
    # Checked against the live resource when an update is planned; the plan stops with the
    # issues found, at their fields in the stack file.
    update_checks: tuple[UpdateCheck, ...] = ()
    # Properties AWS cannot return in a batched read (user data): the provider reports
    # digest_of(value), kept in a tag at create time, and the differ compares digests.
    digest_properties: frozenset[str] = frozenset()
    # A file property rendered at load time into another property, e.g.
    # {"user_data_template": "user_data"}, with the stack's variables, the resource itself as
    # `resource` and the variables of its TEMPLATE_VARS property; references inside resolve
    # at apply time. Neither the template nor its variables are properties AWS sees.
    template_properties: Mapping[str, str] = field(default_factory=dict)
    # IAM is global: discovered once, in the stack's region, not once per region.
    global_service: bool = False
    # The name_property is the physical id (IAM roles): refresh also reads the names the stack
    # declares, for services that cannot list resources by tag in one call.
    discover_by_name: bool = False
    # AWS-assigned attributes known before create (see Derived), by attribute name.
    derived_attributes: Mapping[str, Derived] = field(default_factory=dict)
    # What `lifecycle: exercise` sets (throwaway semantics: nothing kept, nothing protected),
    # property -> value; a stack file that sets one of them otherwise is an error.
    exercise_settings: Mapping[str, Any] = field(default_factory=dict)
    # Properties that name an availability zone: checked against the region's zones during
    # refresh, so a typo stops the plan instead of failing an apply halfway.
    zone_properties: frozenset[str] = frozenset()
    # It keeps data (a database, a table, a key that decrypts data, a bucket's objects): found
    # by its tags alone, it is never deleted without --force-owned; only the state may.
    data_store: bool = False
    # A second create makes a second resource (no client token, no name AWS keeps unique), so
    # a create re-checks AWS first when no account-wide lock keeps another runner out.
    duplicable: bool = False
    # Properties that name other resources, by path (see specs/references.py): deletion order
    # and what a resource left alone keeps come from these, never from equal strings.
    references: Mapping[str, Reference] = field(default_factory=dict)

    def referenceable(self) -> set[str]:
        """Names usable as `${resource.NAME}`: AWS-assigned attributes and every property
        (but the inputs of templates, which are gone once rendered)."""
        return set(self.attributes) | (set(self.spec.model_fields) - self.template_inputs())

    def template_inputs(self) -> set[str]:
        """The properties only templates read: the template files and their variables."""
        if not self.template_properties:
            return set()
        return {*self.template_properties, TEMPLATE_VARS}

    def generated_name_for(self, stack: str, logical_id: str) -> str:
        """The name of a resource whose name_property is omitted."""
        return (self.name_format or generated_name)(stack, logical_id, self.name_max_length)

    def canonical(self, properties: dict[str, Any]) -> dict[str, Any]:
        return self.canonicalize(properties) if self.canonicalize else properties

    def delete_note(self, applied: dict[str, Any] | None) -> str | None:
        if callable(self.delete_notes):
            return self.delete_notes(applied)
        return self.delete_notes


def digest_of(text: str) -> str:
    """How a digest-compared property reads back: "sha256:<hex>" of its text."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def generated_name(stack: str, logical_id: str, max_length: int) -> str:
    """A deterministic AWS name for a resource; long names keep a hash so they stay unique.

    Underscores become hyphens: load balancer and target group names allow only letters,
    digits and hyphens, and every other service accepts hyphens too.
    """
    name = f"{stack}-{logical_id}".replace("_", "-")
    if len(name) <= max_length:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: max_length - 9]}-{digest}"


def is_ref_like(value: object) -> bool:
    """Values holding a `${...}` reference are only known at apply time; skip literal checks."""
    return isinstance(value, str) and "${" in value


def check_ipv4_cidr(
    value: str, *, min_prefix: int | None = None, max_prefix: int | None = None
) -> str:
    """A canonical IPv4 CIDR, optionally limited to a prefix-length range."""
    if is_ref_like(value):
        return value
    try:
        network = ipaddress.IPv4Network(value, strict=False)
    except ValueError:
        raise ValueError(f"'{value}' is not an IPv4 CIDR block such as 10.0.0.0/16") from None
    if "/" not in value:
        raise ValueError(f"'{value}' has no prefix length; write it as {network}")
    if str(network) != value:
        raise ValueError(f"'{value}' has host bits set; the network is {network}")
    if (
        min_prefix is not None
        and max_prefix is not None
        and not (min_prefix <= network.prefixlen <= max_prefix)
    ):
        raise ValueError(
            f"'{value}' is a /{network.prefixlen}; AWS allows /{min_prefix} to /{max_prefix} here"
        )
    return value


def check_ipv6_cidr(value: str) -> str:
    if is_ref_like(value):
        return value
    try:
        network = ipaddress.IPv6Network(value, strict=False)
    except ValueError:
        raise ValueError(f"'{value}' is not an IPv6 CIDR block such as ::/0") from None
    if str(network) != value:
        raise ValueError(f"'{value}' is not in canonical form; write it as {network}")
    return value


def network_of(value: Any) -> ipaddress.IPv4Network | None:
    """The literal IPv4 network a property holds, or None for references and non-CIDRs."""
    if not isinstance(value, str) or is_ref_like(value):
        return None
    try:
        return ipaddress.IPv4Network(value)
    except ValueError:
        return None
