"""The `deploy` entry point and command registration."""

import os
import sys
import threading
from typing import Any

import typer

from stackdeploy import __version__
from stackdeploy.cli.commands.apply import apply
from stackdeploy.cli.commands.cost import cost
from stackdeploy.cli.commands.destroy import destroy
from stackdeploy.cli.commands.drift import drift
from stackdeploy.cli.commands.graph import graph
from stackdeploy.cli.commands.import_ import import_
from stackdeploy.cli.commands.local import local_app
from stackdeploy.cli.commands.ls import ls
from stackdeploy.cli.commands.output import output
from stackdeploy.cli.commands.plan import plan
from stackdeploy.cli.commands.render import render
from stackdeploy.cli.commands.schema import schema
from stackdeploy.cli.commands.show import show
from stackdeploy.cli.commands.sweep import sweep
from stackdeploy.cli.commands.unlock import unlock
from stackdeploy.cli.commands.validate import validate

app = typer.Typer(
    name="deploy",
    help="stackdeploy: declarative AWS stacks with fast plans, safe applies, complete teardowns.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # tracebacks only with --debug, never with locals
    rich_markup_mode="rich",
)
app.command()(validate)
app.command()(render)
app.command()(plan)
app.command()(apply)
app.command()(show)
app.command()(destroy)
app.command()(drift)
app.command(name="import")(import_)
app.command()(ls)
app.command()(sweep)
app.command()(cost)
app.command()(graph)
app.command()(output)
app.command()(unlock)
app.command()(schema)
app.add_typer(local_app, name="local")


def _version(value: bool) -> None:
    if value:
        print(f"stackdeploy {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """stackdeploy: declarative AWS stacks with fast plans, safe applies, complete teardowns."""


def _exception_types() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(aborts, usage errors) of the click that typer runs on, and of the classic click package.

    typer up to 0.25 re-exports the click package's exceptions; 0.26 and 0.27 vendor click as
    typer._click; 0.28 adds typer.TyperException as the base of the vendored ones. The base of
    every usage error is found from typer.BadParameter's ancestry, which all of them have.
    """
    aborts: list[type[BaseException]] = [typer.Abort, KeyboardInterrupt]
    usage: list[type[BaseException]] = [
        base for base in typer.BadParameter.__mro__ if base.__name__ == "ClickException"
    ]
    typer_base = getattr(typer, "TyperException", None)
    if isinstance(typer_base, type) and issubclass(typer_base, BaseException):
        usage.append(typer_base)
    try:
        import click

        aborts.append(click.exceptions.Abort)
        usage.append(click.exceptions.ClickException)
    except ImportError:  # typer 0.26 and later vendor click; the package may be absent
        pass
    return tuple(dict.fromkeys(aborts)), tuple(dict.fromkeys(usage))


ABORTS, USAGE_ERRORS = _exception_types()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    0 ok, 1 any error, 2 changes present (plan --detailed-exitcode), 130 interrupted. Run as
    the `deploy` command (no `argv`), a run interrupted twice ends at once (_abandon).
    """
    try:
        result: Any = app(args=argv, prog_name="deploy", standalone_mode=False)
    except ABORTS:
        result = 130
    except USAGE_ERRORS as error:
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            print(f"Error: {error}", file=sys.stderr)
        return 1  # usage errors are errors; 2 is reserved for "changes present"
    if result == 130 and argv is None:
        _abandon()
    return result if isinstance(result, int) else 0


def _abandon() -> None:
    """After a second Ctrl-C, operations still in flight are abandoned: end the process now
    rather than wait at exit for their threads (an AWS wait can last minutes). The next run
    finds what they made from the intent recorded before each create, and its tags."""
    main_thread = threading.main_thread()
    working = [t for t in threading.enumerate() if t is not main_thread and not t.daemon]
    if working:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)


if __name__ == "__main__":
    sys.exit(main())
