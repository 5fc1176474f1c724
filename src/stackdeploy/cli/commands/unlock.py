"""deploy unlock: remove a stack's lock that a killed or lost run left behind.

The lock is found as every command finds the stack's state (the stack file, --copy, --region,
the account and endpoint, --state-bucket), and removed only when the id given is the lock's
own, printed by the run it refused: a lock taken since by another run stays.
"""

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from stackdeploy.cli.options import GlobalOptions, stack_command
from stackdeploy.cli.regions import home_region
from stackdeploy.cli.runtime import load, output_console, workspace
from stackdeploy.config.documents import STACK_NAME
from stackdeploy.discovery.state import describe_holder
from stackdeploy.errors import DeployError
from stackdeploy.events import ignore
from stackdeploy.model.stack import Stack


@stack_command
def unlock(
    stack_file: Annotated[
        str | None,
        typer.Argument(
            metavar="STACK_FILE",
            help="The stack file whose lock to remove (or name the stack with --stack).",
            show_default=False,
        ),
    ] = None,
    lock_id: Annotated[
        str | None,
        typer.Argument(
            metavar="LOCK_ID",
            help="The lock's id, as the run it refused printed it.",
            show_default=False,
        ),
    ] = None,
    stack: Annotated[
        str | None,
        typer.Option(
            "--stack",
            metavar="NAME",
            help="The stack's name instead of its file (a lock left by `destroy --stack` or "
            "`sweep`): deploy unlock --stack NAME LOCK_ID --region REGION.",
        ),
    ] = None,
    *,
    options: GlobalOptions,
) -> None:
    """Remove a lock left by a run that is gone, if LOCK_ID is its id."""
    if stack is not None:
        if lock_id is not None:
            raise DeployError(
                f"unlock got both a stack file ({stack_file}) and --stack {stack}; pass only one",
                hint="deploy unlock STACK_FILE LOCK_ID, or deploy unlock --stack NAME LOCK_ID",
            )
        lock_id = stack_file
        target = _by_name(options, stack)
    else:
        if stack_file is None:
            raise DeployError(
                "unlock needs the stack file and the lock's id",
                hint="deploy unlock STACK_FILE LOCK_ID (both as the refused run printed them)",
            )
        target = load(options, Path(stack_file))
    if not lock_id:
        raise DeployError(
            "unlock needs the lock's id",
            hint="the run that was refused printed it: `stack ... is locked by ..., lock id ID`",
        )
    holder = workspace(options, target, ignore).store(target).unlock(lock_id)
    line = Text("Removed ", style="bold green")
    line.append(f"the lock on stack {target.name} held by {describe_holder(holder)}.")
    output_console(options).print(line)


def _by_name(options: GlobalOptions, name: str) -> Stack:
    if re.match(STACK_NAME, name) is None:
        raise DeployError(f"--stack {name} is not a stack name (a letter, then letters, digits, -)")
    if options.var or options.var_file or options.copy:
        raise DeployError(
            "--var, --var-file and --copy shape a stack file's stack; with --stack give the "
            "stack's own name (a copy's is <stack>-<copy>)"
        )
    return Stack.named(name, home_region(options, None))
