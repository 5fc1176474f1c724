"""Validation shared by the RDS types: identifiers, classes, windows, storage and versions.

Every rule here is one RDS enforces at the API; checking it in the spec lets `deploy validate`
name the file, line and field before anything is sent to AWS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field, field_validator

from stackdeploy.specs.base import StackDefaults, TaggedSpec, is_ref_like

Engine = Literal["mariadb", "mysql", "postgres"]
StorageType = Literal["gp2", "gp3", "io1", "io2", "standard"]

IDENTIFIER_MAX_LENGTH = 63
# Letters, digits and hyphens, starting with a letter: DB instance identifiers and parameter
# group names (RDS also refuses a trailing hyphen and two hyphens in a row).
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9-]*$")
_INSTANCE_CLASS = re.compile(r"^db\.[a-z0-9-]+\.[a-z0-9-]+$")
# RDS tag keys and values: Unicode letters, digits, white space and _ . : / = + - @ only.
_TAG_CHARACTERS = re.compile(r"^[\w .:/=+\-@]*$")
_SECURITY_GROUP = re.compile(r"^sg-[0-9a-f]+$")
_BACKUP_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_MAINTENANCE_WINDOW = re.compile(r"^([a-z]{3}):(\d{2}):(\d{2})-([a-z]{3}):(\d{2}):(\d{2})$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
MIN_WINDOW_MINUTES = 30
# Full versions, as DescribeDBInstances reports them: "8.0.39", "10.11.9", "16.4".
_FULL_VERSION = {
    "mysql": re.compile(r"^\d+\.\d+\.\d+$"),
    "mariadb": re.compile(r"^\d+\.\d+\.\d+$"),
    "postgres": re.compile(r"^\d+\.\d+(\.\d+)?$"),
}
VERSION_EXAMPLES = {"mysql": "8.0.39", "mariadb": "10.11.9", "postgres": "16.4"}
# Allocated storage (GiB) each storage type allows for MariaDB, MySQL and PostgreSQL.
STORAGE_LIMITS = {
    "gp2": (20, 65536),
    "gp3": (20, 65536),
    "io1": (100, 65536),
    "io2": (100, 65536),
    "standard": (5, 3072),
}
GP3_IOPS_MIN_STORAGE = 400  # below it gp3 has a fixed baseline and takes no Iops
MAX_SECURITY_GROUPS = 5


class RdsTaggedSpec(TaggedSpec):
    """Tags under RDS's own character rules, which are narrower than EC2's."""

    @field_validator("tags")
    @classmethod
    def _rds_tag_characters(cls, tags: dict[str, str]) -> dict[str, str]:
        for key, value in tags.items():
            for text, what in ((key, "key"), (value, "value")):
                if not is_ref_like(text) and not _TAG_CHARACTERS.match(text):
                    raise ValueError(
                        f"tag {what} '{text}' has characters RDS rejects (allowed: letters, "
                        "digits, spaces and _ . : / = + - @)"
                    )
        return tags


def identifier_problem(
    value: str, what: str, max_length: int = IDENTIFIER_MAX_LENGTH
) -> str | None:
    """Why RDS would reject a DB instance identifier or parameter group name, or None."""
    if is_ref_like(value):
        return None
    if not 1 <= len(value) <= max_length:
        return f"{what} '{value}' is {len(value)} characters; RDS allows 1 to {max_length}"
    if not _IDENTIFIER.match(value):
        return (
            f"{what} '{value}' must start with a letter and hold only letters, digits and hyphens"
        )
    if value.endswith("-") or "--" in value:
        return f"{what} '{value}' cannot end with a hyphen or hold two hyphens in a row"
    return None


def check_identifier(value: str | None, what: str) -> str | None:
    problem = None if value is None else identifier_problem(value, what)
    if problem:
        raise ValueError(problem)
    return value


def check_instance_class(value: str) -> str:
    if not is_ref_like(value) and not _INSTANCE_CLASS.match(value):
        raise ValueError(f"'{value}' is not a DB instance class such as db.t3.micro")
    return value


def check_security_groups(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    for value in values:
        if not is_ref_like(value) and not _SECURITY_GROUP.match(value):
            raise ValueError(f"'{value}' is not a security group id (sg-...)")
    if len(set(values)) != len(values):
        raise ValueError("vpc_security_group_ids lists a group more than once")
    if len(values) > MAX_SECURITY_GROUPS:
        raise ValueError(
            f"at most {MAX_SECURITY_GROUPS} security groups per DB instance ({len(values)} given)"
        )
    return values


# -- windows ---------------------------------------------------------------------------------


def _clock(hours: str, minutes: str, text: str) -> int:
    hour, minute = int(hours), int(minutes)
    if hour > 23 or minute > 59:
        raise ValueError(f"'{text}' has a time that does not exist (hh:mi, 00:00 to 23:59)")
    return hour * 60 + minute


def backup_minutes(text: str) -> set[int]:
    """The minutes of the week a daily backup window covers ("hh24:mi-hh24:mi", UTC)."""
    match = _BACKUP_WINDOW.match(text)
    if not match:
        raise ValueError(f"backup window '{text}' is not hh24:mi-hh24:mi in UTC, e.g. 03:00-03:30")
    start = _clock(match[1], match[2], text)
    end = _clock(match[3], match[4], text)
    length = (end - start) % MINUTES_PER_DAY
    if length < MIN_WINDOW_MINUTES:
        raise ValueError(f"backup window '{text}' must last at least {MIN_WINDOW_MINUTES} minutes")
    week = 7 * MINUTES_PER_DAY
    return {
        (day * MINUTES_PER_DAY + start + minute) % week
        for day in range(7)
        for minute in range(length)
    }


def maintenance_minutes(text: str) -> set[int]:
    """The minutes of the week a maintenance window covers ("ddd:hh24:mi-ddd:hh24:mi", UTC)."""
    match = _MAINTENANCE_WINDOW.match(text)
    if not match or match[1] not in DAYS or match[4] not in DAYS:
        raise ValueError(
            f"maintenance window '{text}' is not ddd:hh24:mi-ddd:hh24:mi in UTC, "
            "e.g. sun:05:00-sun:05:30"
        )
    week = 7 * MINUTES_PER_DAY
    start = DAYS.index(match[1]) * MINUTES_PER_DAY + _clock(match[2], match[3], text)
    end = DAYS.index(match[4]) * MINUTES_PER_DAY + _clock(match[5], match[6], text)
    length = (end - start) % week
    if length < MIN_WINDOW_MINUTES:
        raise ValueError(
            f"maintenance window '{text}' must last at least {MIN_WINDOW_MINUTES} minutes"
        )
    return {(start + minute) % week for minute in range(length)}


def check_windows(backup: str | None, maintenance: str | None) -> None:
    """Both windows well formed, and apart: RDS refuses a backup window that overlaps the
    maintenance window."""
    backups = None if backup is None or is_ref_like(backup) else backup_minutes(backup)
    upkeep = (
        None
        if maintenance is None or is_ref_like(maintenance)
        else maintenance_minutes(maintenance)
    )
    if backups and upkeep and backups & upkeep:
        raise ValueError(
            f"the backup window {backup} overlaps the maintenance window {maintenance}; "
            "RDS needs them apart"
        )


def lower_maintenance_window(value: str | None) -> str | None:
    """RDS reports day names in lower case ("sun:05:00-sun:05:30")."""
    return value.lower() if value is not None and not is_ref_like(value) else value


# -- storage and versions ----------------------------------------------------------------------


def storage_problem(
    storage_type: str, allocated: int, iops: int | None, *, sizes_only: bool = False
) -> str | None:
    """Why RDS would refuse this storage (the size alone with `sizes_only`), or None."""
    low, high = STORAGE_LIMITS[storage_type]
    if not low <= allocated <= high:
        return (
            f"allocated_storage {allocated} GiB is outside {low} to {high} GiB for "
            f"{storage_type} storage"
        )
    if sizes_only:
        return None
    if storage_type in ("io1", "io2") and iops is None:
        return f"{storage_type} storage needs iops (provisioned IOPS, e.g. 3000)"
    if storage_type in ("gp2", "standard") and iops is not None:
        return f"iops cannot be set for {storage_type} storage (only io1, io2 and gp3)"
    if storage_type == "gp3" and iops is not None and allocated < GP3_IOPS_MIN_STORAGE:
        return (
            f"gp3 storage below {GP3_IOPS_MIN_STORAGE} GiB has a fixed 3000 IOPS baseline; "
            "leave iops out or allocate more storage"
        )
    return None


def version_tuple(value: Any) -> tuple[int, ...] | None:
    """8.0.39 -> (8, 0, 39); None for anything that is not a dotted number (UNKNOWN too)."""
    if not isinstance(value, str) or not re.fullmatch(r"\d+(\.\d+)*", value):
        return None
    return tuple(int(part) for part in value.split("."))


def check_engine_version(engine: str, version: str) -> str:
    if is_ref_like(version):
        return version
    if not _FULL_VERSION[engine].match(version):
        raise ValueError(
            f"engine_version '{version}' is not a full {engine} version; give it as AWS "
            f"reports it, e.g. {VERSION_EXAMPLES[engine]} (a partial one would read back "
            "different and show as a change)"
        )
    return version


def parameter_family(engine: str, version: str) -> str | None:
    """The parameter group family an engine version needs: mysql8.0, mariadb10.11, postgres16."""
    parts = version_tuple(version)
    if parts is None:
        return None
    if engine == "postgres" and parts[0] >= 10:
        return f"postgres{parts[0]}"
    if len(parts) < 2:
        return None
    return f"{engine}{parts[0]}.{parts[1]}"


def grows_only(before: Any, after: Any) -> bool:
    """A replace_when rule: a smaller number than the live one cannot be applied in place."""
    return (
        isinstance(before, int)
        and isinstance(after, int)
        and not isinstance(after, bool)
        and after < before
    )


def upgrades_only(before: Any, after: Any) -> bool:
    """A replace_when rule: RDS upgrades engines in place but never downgrades them."""
    old, new = version_tuple(before), version_tuple(after)
    return old is not None and new is not None and new < old


def lower_case(field: str) -> StackDefaults:
    """stack_defaults for a name RDS keeps in lower case (instance identifiers, subnet and
    parameter group names): the plan shows it the same way, so a mixed-case stack name or
    logical id never reads as a change (generated names included)."""

    def lower(properties: dict[str, Any], _stack: str) -> dict[str, Any]:
        name = properties.get(field)
        if isinstance(name, str) and not is_ref_like(name):
            return {**properties, field: name.lower()}
        return properties

    return lower


def listed(names: Iterable[str]) -> str:
    items = list(names)
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else items[0]


BACKUP_WINDOW_FIELD = Field(
    None,
    description="Daily backup window, hh24:mi-hh24:mi in UTC (at least 30 minutes, apart from "
    "the maintenance window); omitted: AWS picks one.",
)
MAINTENANCE_WINDOW_FIELD = Field(
    None,
    description="Weekly maintenance window, ddd:hh24:mi-ddd:hh24:mi in UTC (e.g. "
    "sun:05:00-sun:05:30); omitted: AWS picks one.",
)


SNAPSHOT_MAX_LENGTH = 255


def final_snapshot_identifier(stack: str, logical_id: str, instance: str) -> str:
    """<stack>-<logical id>-final-<instance>, as an RDS snapshot identifier allows it (lower
    case letters, digits and single hyphens, starting with a letter).

    `instance` names the very instance deleted: its DbiResourceId (db-ABC..., unique forever,
    so a database deleted, made again and deleted again never clashes with its own earlier
    snapshot). The name is then a function of what the plan read, not of the clock: the plan
    shows the real name, apply uses exactly that one, and a plan made twice is the same.
    """
    unique = re.sub(r"^db-", "", instance.lower())
    raw = f"{stack}-{logical_id}-final-{unique}".replace("_", "-").lower()
    name = re.sub(r"[^a-z0-9-]", "-", raw)
    name = re.sub(r"-{2,}", "-", name).strip("-")
    name = name if name[:1].isalpha() else f"s-{name}"
    return name[:SNAPSHOT_MAX_LENGTH].rstrip("-")


def kept_final_snapshot(
    stack: str, logical_id: str, live: dict[str, Any], applied: dict[str, Any] | None
) -> str | None:
    """The final snapshot a delete of this DB instance keeps, or None when it keeps none
    (skip_final_snapshot, as the instance's tag records it or the last apply did)."""
    if live.get("skip_final_snapshot") or (applied and applied.get("skip_final_snapshot")):
        return None
    instance = str(live.get("resource_id") or live.get("identifier") or live.get("id") or "")
    # The creation time as well: AWS's resource ids never repeat, but an emulator's may, and
    # an instance made again under the same identifier is made at another moment.
    created = re.sub(r"\D", "", str(live.get("created_at") or ""))[:17]
    return final_snapshot_identifier(
        stack, logical_id, f"{instance}-{created}" if created else instance
    )
