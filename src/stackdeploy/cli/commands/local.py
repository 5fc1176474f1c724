"""deploy local start|stop|status: the embedded local emulator."""

from typing import Annotated

import typer
from rich.console import Console

from stackdeploy.cli.options import GlobalOptions, run_guarded
from stackdeploy.local import emulator

local_app = typer.Typer(
    help="The embedded local AWS emulator (moto) that --local uses.", no_args_is_help=True
)


@local_app.command()
def start(port: Annotated[int | None, typer.Option(help="Port on 127.0.0.1.")] = None) -> None:
    """Start the emulator in the background (no-op if it runs)."""

    def body() -> None:
        info = emulator.start(port)
        Console(markup=False, emoji=False).print(
            f"Local emulator running at {info.endpoint} (pid {info.pid}, log {info.log})"
        )

    run_guarded(GlobalOptions(), body)


@local_app.command()
def stop() -> None:
    """Stop the emulator; everything deployed to it is gone."""

    def body() -> None:
        info = emulator.stop()
        Console(markup=False, emoji=False).print(
            "Local emulator stopped." if info else "Local emulator is not running."
        )

    run_guarded(GlobalOptions(), body)


@local_app.command()
def status() -> None:
    """Say whether the emulator runs, and where. Exit 1 when it does not."""
    info = emulator.status()
    if info is None:
        Console(markup=False, emoji=False).print(
            "Local emulator is not running. Start it with: deploy local start"
        )
        raise typer.Exit(1)
    Console(markup=False, emoji=False).print(
        f"Local emulator running at {info.endpoint} (pid {info.pid})"
    )
