"""S3 lifecycle rules: transitions between storage classes and expirations, per filter.

S3 refuses a configuration (InvalidArgument / InvalidRequest) when:
- a transition to STANDARD_IA or ONEZONE_IA comes before day 30 (objects must spend 30 days
  in STANDARD first);
- the transitions do not follow the storage-class waterfall with strictly increasing days
  (STANDARD_IA, INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE), a class
  appears twice, or a transition leaves an IA class less than 30 days after reaching it;
- the expiration is not later than every transition;
- an abort of incomplete multipart uploads, or the removal of expired delete markers, is
  combined with a tag filter (both apply to the whole bucket or a prefix only);
- two rules share an id, or a rule has no action.
The same rules hold for noncurrent versions (days since they became noncurrent).

The fields are validated by the models; the rules above span several fields, so
lifecycle_problems checks them on the canonical rules (a stack check, see checks.py) and
names the field each one is about. Transitions are sorted by day in canonical form, as S3's
order means nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from pydantic import Field, field_validator

from stackdeploy.specs.base import Spec, check_user_tags

StorageClass = Literal[
    "STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"
]
# The waterfall: objects only ever move down this list.
WATERFALL: tuple[str, ...] = (
    "STANDARD_IA",
    "INTELLIGENT_TIERING",
    "ONEZONE_IA",
    "GLACIER_IR",
    "GLACIER",
    "DEEP_ARCHIVE",
)
INFREQUENT_ACCESS = ("STANDARD_IA", "ONEZONE_IA")
IA_MINIMUM_DAYS = 30
MAX_RULES = 1000
MAX_ID_LENGTH = 255


class Transition(Spec):
    days: int = Field(ge=0, description="Days after creation (or after becoming noncurrent).")
    storage_class: StorageClass = Field(description="Where objects move, e.g. GLACIER.")


class NoncurrentTransition(Transition):
    newer_versions: int | None = Field(
        None,
        ge=1,
        le=100,
        description="Keep this many newer noncurrent versions in the current class.",
    )


class LifecycleRule(Spec):
    id: str = Field(description="Unique name of the rule (up to 255 characters).")
    enabled: bool = True
    prefix: str = Field("", description="Only keys starting with this; all keys if empty.")
    tags: dict[str, str] = Field(
        default_factory=dict, description="Only objects carrying all these tags."
    )
    transitions: list[Transition] = Field(
        default_factory=list, description="Storage-class changes of current versions."
    )
    expiration_days: int | None = Field(
        None, ge=1, description="Days after creation when current versions expire."
    )
    expired_object_delete_marker: bool = Field(
        False,
        description="Remove delete markers whose object has no versions left (versioned "
        "buckets); not with expiration_days or tags.",
    )
    noncurrent_transitions: list[NoncurrentTransition] = Field(
        default_factory=list, description="Storage-class changes of noncurrent versions."
    )
    noncurrent_expiration_days: int | None = Field(
        None, ge=1, description="Days after becoming noncurrent when versions are deleted."
    )
    noncurrent_newer_versions: int | None = Field(
        None,
        ge=1,
        le=100,
        description="With noncurrent_expiration_days: keep this many newer noncurrent versions.",
    )
    abort_incomplete_multipart_upload_days: int | None = Field(
        None, ge=1, description="Abort multipart uploads not completed after this many days."
    )

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not 1 <= len(value) <= MAX_ID_LENGTH:
            raise ValueError(f"a rule id is 1 to {MAX_ID_LENGTH} characters")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        return check_user_tags(tags)


Path = tuple[str | int, ...]
Problem = tuple[Path, str]  # (path relative to the bucket's properties, message)


def lifecycle_problems(rules: Sequence[dict[str, Any]]) -> Iterator[Problem]:
    """Every rule S3 would refuse in a bucket's canonical lifecycle_rules, with its path."""
    if len(rules) > MAX_RULES:
        yield ("lifecycle_rules",), f"at most {MAX_RULES} rules per bucket ({len(rules)} given)"
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        at: Path = ("lifecycle_rules", index)
        if rule["id"] in seen:
            yield (*at, "id"), f"lifecycle rule id '{rule['id']}' is used twice"
        seen.add(rule["id"])
        yield from _rule_problems(at, rule)


def _rule_problems(at: Path, rule: dict[str, Any]) -> Iterator[Problem]:
    actions = (
        "transitions",
        "expiration_days",
        "expired_object_delete_marker",
        "noncurrent_transitions",
        "noncurrent_expiration_days",
        "abort_incomplete_multipart_upload_days",
    )
    if not any(rule.get(action) for action in actions):
        yield at, f"rule '{rule['id']}' does nothing: give it one of {', '.join(actions)}"
    yield from _waterfall_problems(at, rule, "transitions", "expiration_days")
    yield from _waterfall_problems(at, rule, "noncurrent_transitions", "noncurrent_expiration_days")
    if rule["expired_object_delete_marker"]:
        if rule["expiration_days"] is not None:
            yield (
                (*at, "expired_object_delete_marker"),
                "expired_object_delete_marker cannot be combined with expiration_days",
            )
        if rule["tags"]:
            yield (
                (*at, "expired_object_delete_marker"),
                "expired_object_delete_marker cannot be used with a tag filter",
            )
    if rule["tags"] and rule["abort_incomplete_multipart_upload_days"] is not None:
        yield (
            (*at, "abort_incomplete_multipart_upload_days"),
            "abort_incomplete_multipart_upload_days cannot be used with a tag filter "
            "(uploads in progress have no tags)",
        )
    if rule["noncurrent_newer_versions"] is not None and rule["noncurrent_expiration_days"] is None:
        yield (
            (*at, "noncurrent_newer_versions"),
            "noncurrent_newer_versions needs noncurrent_expiration_days",
        )


def _waterfall_problems(
    at: Path, rule: dict[str, Any], field: str, expiration_field: str
) -> Iterator[Problem]:
    """Transitions in days order go down the waterfall, with IA's 30-day minimums, and the
    expiration comes after them all. (Canonical transitions are sorted by days.)"""
    transitions: list[dict[str, Any]] = rule[field]
    where: Path = (*at, field)
    seen: set[str] = set()
    for transition in transitions:
        target, days = transition["storage_class"], transition["days"]
        if target in seen:
            yield where, f"{target} is listed more than once"
        seen.add(target)
        if target in INFREQUENT_ACCESS and days < IA_MINIMUM_DAYS:
            yield (
                where,
                f"a transition to {target} needs at least {IA_MINIMUM_DAYS} days (got {days}): "
                "objects stay in STANDARD for 30 days first",
            )
    for before, after in itertools.pairwise(transitions):
        if before["storage_class"] == after["storage_class"]:
            continue
        lower = WATERFALL.index(after["storage_class"]) > WATERFALL.index(before["storage_class"])
        if after["days"] == before["days"] or not lower:
            yield (
                where,
                f"{after['storage_class']} at day {after['days']} must come after "
                f"{before['storage_class']} at day {before['days']}: storage classes only move "
                f"down ({' > '.join(WATERFALL)}), each step on a later day",
            )
        elif before["storage_class"] in INFREQUENT_ACCESS and after["days"] - before["days"] < 30:
            yield (
                where,
                f"{after['storage_class']} at day {after['days']} is less than 30 days after "
                f"{before['storage_class']} at day {before['days']}: objects stay at least "
                f"30 days in {before['storage_class']}",
            )
    expiration = rule[expiration_field]
    if expiration is not None and transitions and expiration <= transitions[-1]["days"]:
        yield (
            (*at, expiration_field),
            f"expiration at day {expiration} must come after the last transition "
            f"({transitions[-1]['storage_class']} at day {transitions[-1]['days']})",
        )


def canonical_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """Transitions sorted by days, as they read back (their order means nothing)."""
    result = dict(rule)
    for key in ("transitions", "noncurrent_transitions"):
        result[key] = sorted(
            rule[key], key=lambda t: (t["days"], WATERFALL.index(t["storage_class"]))
        )
    return result
