"""What discovery found in AWS, in the same shape as the desired properties."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LiveResource:
    """One resource as AWS reports it.

    `properties` holds the spec-shaped properties (canonical form, user tags only) plus the
    AWS-assigned attributes (id, arn, ...). `logical_id` comes from the ownership tag or the
    state record; it is None for a resource found only by its physical id.
    """

    type: str
    physical_id: str
    region: str
    properties: dict[str, Any]
    logical_id: str | None = None


@dataclass
class LiveState:
    """Everything discovery found for a stack, keyed by logical id."""

    resources: dict[str, LiveResource] = field(default_factory=dict)
    # Extra resources tagged with a logical id another resource already holds (an interrupted
    # run can leave one); they are planned for deletion.
    duplicates: list[LiveResource] = field(default_factory=list)
