"""What `deploy ls` shows: one row per stack, then what each holds by type; and the same as
JSON for scripts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stackdeploy.apply.account import Account, describe_regions
from stackdeploy.model.arns import GLOBAL
from stackdeploy.model.inventory import StackEntry, time_left
from stackdeploy.report.plan_view import Line

_HEADERS = ("stack", "copy", "regions", "resources", "created", "expires", "$/hour", "state")


def _short(kind: str) -> str:
    """aws.ec2.subnet -> ec2.subnet; other:<service>:<kind> stays as it is."""
    return kind.removeprefix("aws.")


def _regions(entry: StackEntry) -> str:
    regions = entry.aws_regions + (["iam"] if GLOBAL in entry.regions else [])
    return ",".join(regions) or "-"


def _row(entry: StackEntry, now: datetime) -> tuple[str, ...]:
    created = entry.created()
    expires = entry.expires()
    expiry = "never" if expires is None else f"{expires:%Y-%m-%d %H:%M} ({time_left(expires, now)})"
    return (
        entry.name,
        entry.copy or "-",
        _regions(entry),
        str(entry.resources),
        f"{created:%Y-%m-%d %H:%M}" if created else "unknown",
        expiry,
        entry.hourly_cost or "-",
        ("s3" if entry.state[0].startswith("s3://") else "here") if entry.state else "-",
    )


def inventory_lines(account: Account, now: datetime) -> list[Line]:
    """The table, the types per stack, kept snapshots, and where the scan looked."""
    where = describe_regions(account.regions)
    if not account.stacks:
        return [[(f"No stack owns anything in {where} (or in IAM).", "")]]
    rows = [_HEADERS] + [_row(account.stacks[name], now) for name in sorted(account.stacks)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]
    lines: list[Line] = []
    for number, row in enumerate(rows):
        text = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        style = "bold" if number == 0 else ("red" if "expired" in row[5] else "")
        lines.append([(text.rstrip(), style)])
    lines.append([])
    for name in sorted(account.stacks):
        entry = account.stacks[name]
        kinds = ", ".join(f"{_short(k)} {n}" for k, n in sorted(entry.counts.items()))
        lines.append([(f"{name}: ", "bold"), (kinds, "dim")])
        lines.extend([(f"  state: {path}", "dim")] for path in entry.state)
        for snapshot in entry.snapshots:
            lines.append(
                [(f"  kept final snapshot {snapshot.name} ({snapshot.region}), billed", "yellow")]
            )
    total = sum(entry.resources for entry in account.stacks.values())
    lines.append([])
    lines.append([(f"{len(account.stacks)} stacks, {total} resources in {where} and IAM.", "dim")])
    return lines


def inventory_to_public(account: Account, now: datetime) -> dict[str, Any]:
    stacks = []
    for name in sorted(account.stacks):
        entry = account.stacks[name]
        created, expires = entry.created(), entry.expires()
        stacks.append(
            {
                "stack": name,
                "copy": entry.copy,
                "regions": entry.aws_regions,
                "iam": GLOBAL in entry.regions,
                "resources": dict(sorted(entry.counts.items())),
                "resource_count": entry.resources,
                "created": created.isoformat() if created else None,
                "expires": expires.isoformat() if expires else None,
                "time_left": time_left(expires, now),
                "expired": entry.expired(now),
                "lifecycle": entry.lifecycle,
                "hourly_cost": entry.hourly_cost,
                "state": entry.state,
                "snapshots": [{"name": s.name, "region": s.region} for s in entry.snapshots],
            }
        )
    return {"as_of": now.isoformat(), "regions": account.regions, "stacks": stacks}
