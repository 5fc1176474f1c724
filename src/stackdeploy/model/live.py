"""What discovery found in AWS, in the same shape as the desired properties."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Proof(enum.Enum):
    """Why stackdeploy believes a found resource is this stack's own, strongest first.

    Tags prove little: tagging rights are granted far more widely than delete rights. A
    resource is adopted on its tags, but deleted only on a proof that this stack made it.
    """

    RECORDED = "recorded in the state as created by this stack"
    INTENT = "found by the name an interrupted create recorded in the state"
    LINEAGE = "tagged with this stack's lineage"
    TAGS = "tagged for this stack, but not with its lineage"
    UNTAGGED = "named in the state record, but its tags do not name this stack"

    @property
    def made_by_this_stack(self) -> bool:
        """The state or the lineage says this stack created it (tags alone do not)."""
        return self in (Proof.RECORDED, Proof.INTENT, Proof.LINEAGE)

    @property
    def in_state(self) -> bool:
        """The state record itself vouches for it: enough even for a data store."""
        return self in (Proof.RECORDED, Proof.INTENT)


@dataclass(frozen=True)
class Owner:
    """What a resource's ownership tags say (each None where the tag is missing), and the
    stack marks it carries (copy, expiry, lifecycle: specs/base.py MARK_TAGS) as pairs."""

    stack: str | None = None
    logical_id: str | None = None
    lineage: str | None = None
    marks: tuple[tuple[str, str], ...] = ()


NO_OWNER = Owner()


@dataclass(frozen=True)
class LiveResource:
    """One resource as AWS reports it.

    `properties` holds the spec-shaped properties (canonical form, user tags only) plus the
    AWS-assigned attributes (id, arn, ...). `logical_id` comes from the ownership tag or the
    state record; it is None for a resource found only by its physical id. `owner` is what
    its ownership tags say; `proof` is set by discovery, from the tags and the state record.
    """

    type: str
    physical_id: str
    region: str
    properties: dict[str, Any]
    logical_id: str | None = None
    owner: Owner = NO_OWNER
    proof: Proof = Proof.TAGS

    @classmethod
    def tagged(
        cls, type_name: str, physical_id: str, region: str, properties: dict[str, Any], owner: Owner
    ) -> LiveResource:
        """A resource named after the logical id its ownership tag gives."""
        return cls(type_name, physical_id, region, properties, owner.logical_id, owner)


@dataclass
class LiveState:
    """Everything discovery found for a stack, keyed by logical id."""

    resources: dict[str, LiveResource] = field(default_factory=dict)
    # Extra resources tagged with a logical id another resource already holds (an interrupted
    # run can leave one, or someone tagged a resource of their own as ours).
    duplicates: list[LiveResource] = field(default_factory=list)
    # The stack's lineage: the state record's, or, with no state record, the one every
    # resource tagged for the stack agrees on (None when there is none or they disagree).
    lineage: str | None = None
