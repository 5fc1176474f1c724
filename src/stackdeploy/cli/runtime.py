"""Building what a command needs from its options: stack, consoles, AWS workspace."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console

from stackdeploy.apply.engine import Workspace
from stackdeploy.aws.session import ClientFactory, SharedSession
from stackdeploy.aws.timing import DEFAULT_TIMING, Timing
from stackdeploy.cli.options import GlobalOptions
from stackdeploy.cli.plan_files import check_stack_file
from stackdeploy.config.copies import StackCopy, parse_copy
from stackdeploy.config.loader import LoadOptions, load_stack
from stackdeploy.discovery.state import default_state_dir
from stackdeploy.errors import DeployError, UserAbort
from stackdeploy.events import EventSink, Message
from stackdeploy.local import emulator
from stackdeploy.model.stack import Stack

# Retry and polling timing for every command (tests run the same code on a faster clock).
TIMING: Timing = DEFAULT_TIMING


# Consoles print values from stack files and AWS (ARNs hold ":secret:", user data holds
# brackets): no rich markup or emoji codes are interpreted; styles are applied explicitly.
def output_console(options: GlobalOptions) -> Console:
    return Console(
        no_color=options.no_color, highlight=False, soft_wrap=True, markup=False, emoji=False
    )


def progress_console(options: GlobalOptions) -> Console:
    return Console(
        stderr=True,
        no_color=options.no_color,
        highlight=False,
        soft_wrap=True,
        markup=False,
        emoji=False,
    )


def fallback_region(options: GlobalOptions) -> str | None:
    """The region from the environment or profile, used when the stack file names none."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region or options.local:
        return region
    import boto3

    try:
        configured: str | None = boto3.Session(profile_name=options.profile).region_name
    except Exception:  # a missing profile surfaces later, with a clearer message
        return None
    return configured


def load_options(options: GlobalOptions, copy: StackCopy | None = None) -> LoadOptions:
    """How the command line shapes a stack file: variables, region, and the copy (`copy`,
    else the one --copy names)."""
    if copy is None and options.copy:
        copy = parse_copy(options.copy)
    return LoadOptions(
        var_files=options.var_file,
        cli_vars=options.var,
        region_override=options.region,
        fallback_region=fallback_region(options),
        copy=copy,
    )


def load(options: GlobalOptions, stack_file: Path, copy: StackCopy | None = None) -> Stack:
    """The stack, or the copy `copy` of it (else the one --copy names). A saved plan or
    another JSON document given instead of a stack file is refused, saying what it is."""
    check_stack_file(stack_file)
    return load_stack(stack_file, load_options(options, copy))


def aws_target(
    options: GlobalOptions, events: EventSink
) -> tuple[str | None, tuple[str, str] | None, str | None]:
    """(endpoint, static credentials, profile), starting the local emulator for --local."""
    if not options.local:
        return options.endpoint_url, None, options.profile
    if options.endpoint_url and os.environ.get("AWS_ENDPOINT_URL") != options.endpoint_url:
        raise DeployError("--local and --endpoint-url both name an endpoint; pass only one")
    running = emulator.status()
    if running is None:
        events(Message(None, "Starting the local emulator (moto)..."))
        running = emulator.start()
    return running.endpoint, emulator.LOCAL_CREDENTIALS, None


def workspace(
    options: GlobalOptions,
    stack: Stack,
    events: EventSink,
    parallelism: int = 10,
    shared: SharedSession | None = None,
) -> Workspace:
    """The AWS side of a command; copies of a stack in one run share `shared`."""
    return workspace_in(options, stack.region, events, parallelism, shared)


def workspace_in(
    options: GlobalOptions,
    region: str,
    events: EventSink,
    parallelism: int = 10,
    shared: SharedSession | None = None,
) -> Workspace:
    """The AWS side of a command whose default region is `region`."""
    endpoint, credentials, profile = aws_target(options, events)
    clients = ClientFactory(
        profile=profile,
        endpoint_url=endpoint,
        default_region=region,
        timing=TIMING,
        events=events,
        static_credentials=credentials,
        max_pool_connections=max(20, parallelism * 2),
        shared=shared,
    )
    return Workspace(clients, options.state_dir or default_state_dir(), options.state_bucket)


def confirm(console: Console, question: str) -> None:
    """Ask for 'yes' at a terminal; refuse in non-interactive runs (CI needs --auto-approve)."""
    if not sys.stdin.isatty():
        raise DeployError(
            "confirmation needed, but stdin is not a terminal",
            hint="review the plan, then pass --auto-approve (or apply a saved plan file)",
        )
    console.print()
    console.print(question, style="bold")
    console.print("  Only 'yes' will be accepted.")
    answer = console.input("  Enter a value: ")
    if answer.strip() != "yes":
        raise UserAbort("cancelled; nothing was changed")
