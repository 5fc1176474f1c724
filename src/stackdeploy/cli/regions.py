"""Which regions a command about the account's stacks looks in: --region (repeatable),
--all-regions (every region enabled for the account), else the configured region.

(No `from __future__ import annotations` here: typer reads these annotations at runtime.)
"""

from typing import Annotated

import typer

from stackdeploy.apply.engine import Workspace
from stackdeploy.cli.options import GlobalOptions
from stackdeploy.cli.runtime import fallback_region
from stackdeploy.discovery.inventory import enabled_regions
from stackdeploy.errors import DeployError

REGIONS_PANEL = "Where to look"
RegionsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--region",
        metavar="REGION",
        help="Look in this region (repeatable); default: the configured region.",
        rich_help_panel=REGIONS_PANEL,
    ),
]
AllRegionsOption = Annotated[
    bool,
    typer.Option(
        "--all-regions",
        help="Look in every region enabled for the account.",
        rich_help_panel=REGIONS_PANEL,
    ),
]


def home_region(options: GlobalOptions, regions: list[str] | None) -> str:
    """The region clients default to: the first one named, else the configured one."""
    if regions:
        return regions[0]
    configured = options.region or fallback_region(options)
    if configured:
        return configured
    if options.local:
        return "us-east-1"
    raise DeployError(
        "no region: name one with --region, or look everywhere with --all-regions",
        hint="or set AWS_REGION, or a region in your AWS profile",
    )


def chosen_regions(
    ws: Workspace, options: GlobalOptions, regions: list[str] | None, all_regions: bool
) -> list[str]:
    if regions and all_regions:
        raise DeployError("--region and --all-regions both say where to look; pass only one")
    if all_regions:
        return enabled_regions(ws.clients)
    return sorted(set(regions or [home_region(options, regions)]))
