"""Options every stack command takes, injected by one decorator, and the error boundary.

(No `from __future__ import annotations` here: typer reads these annotations at runtime.)
"""

import functools
import inspect
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from stackdeploy.aws.errors import AWS_ERRORS, as_provider_error
from stackdeploy.config.copies import parse_copy
from stackdeploy.config.lifecycle import parse_duration
from stackdeploy.errors import ApplyError, ConfigErrors, DeployError

AWS_PANEL = "AWS target"
INPUT_PANEL = "Stack input"
OUTPUT_PANEL = "Output"


@dataclass
class GlobalOptions:
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    local: bool = False
    var: list[str] = field(default_factory=list)
    var_file: list[Path] = field(default_factory=list)
    state_dir: Path | None = None
    state_bucket: str | None = None
    debug: bool = False
    no_color: bool = False
    copy: str | None = None  # --copy NAME[=INDEX], checked by _check_copy


def _check_copy(value: str | None) -> str | None:
    """--copy's syntax, reported at the option (the rules that need the stack file, such as
    the lengths of the names it makes, are checked when it is loaded)."""
    if value is not None:
        try:
            parse_copy(value)
        except ValueError as error:
            raise typer.BadParameter(str(error)) from None
    return value


def _option(name: str, annotation: Any, default: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


COMMON_PARAMETERS = [
    _option(
        "region",
        Annotated[
            str | None,
            typer.Option(
                help="AWS region; overrides the stack file's region.", rich_help_panel=AWS_PANEL
            ),
        ],
        None,
    ),
    _option(
        "profile",
        Annotated[
            str | None,
            typer.Option(
                envvar="AWS_PROFILE", help="AWS profile for credentials.", rich_help_panel=AWS_PANEL
            ),
        ],
        None,
    ),
    _option(
        "endpoint_url",
        Annotated[
            str | None,
            typer.Option(
                envvar="AWS_ENDPOINT_URL",
                help="Send every AWS call to this endpoint (an emulator).",
                rich_help_panel=AWS_PANEL,
            ),
        ],
        None,
    ),
    _option(
        "local",
        Annotated[
            bool,
            typer.Option(
                "--local",
                help="Use the embedded local emulator (moto), starting it if needed.",
                rich_help_panel=AWS_PANEL,
            ),
        ],
        False,
    ),
    _option(
        "var",
        Annotated[
            list[str] | None,
            typer.Option(
                metavar="KEY=VALUE",
                help="Set a stack variable (repeatable).",
                rich_help_panel=INPUT_PANEL,
            ),
        ],
        None,
    ),
    _option(
        "var_file",
        Annotated[
            list[Path] | None,
            typer.Option(
                help="YAML file of variable values (repeatable).", rich_help_panel=INPUT_PANEL
            ),
        ],
        None,
    ),
    _option(
        "copy",
        Annotated[
            str | None,
            typer.Option(
                metavar="NAME[=INDEX]",
                callback=_check_copy,
                help="Work on this copy of the stack: stack <stack>-NAME, with its own state, "
                "tags and names; the file sees {{ copy }} and {{ copy_index }} (INDEX).",
                rich_help_panel=INPUT_PANEL,
            ),
        ],
        None,
    ),
    _option(
        "state_bucket",
        Annotated[
            str | None,
            typer.Option(
                envvar="STACKDEPLOY_STATE_BUCKET",
                help="Keep state in this S3 bucket (BUCKET or BUCKET/PREFIX), locked with a "
                "conditional write: for teams and CI. The bucket must exist.",
                rich_help_panel=INPUT_PANEL,
            ),
        ],
        None,
    ),
    _option(
        "state_dir",
        Annotated[
            Path | None,
            typer.Option(
                envvar="STACKDEPLOY_STATE_DIR",
                help="Where state records live (default: ./.stackdeploy).",
                rich_help_panel=INPUT_PANEL,
            ),
        ],
        None,
    ),
    _option(
        "debug",
        Annotated[
            bool,
            typer.Option(
                "--debug",
                help="Show retries, API call counts and tracebacks.",
                rich_help_panel=OUTPUT_PANEL,
            ),
        ],
        False,
    ),
    _option(
        "no_color",
        Annotated[
            bool,
            typer.Option(
                "--no-color",
                envvar="NO_COLOR",
                help="Plain output without colours.",
                rich_help_panel=OUTPUT_PANEL,
            ),
        ],
        False,
    ),
]
_COMMON_NAMES = [parameter.name for parameter in COMMON_PARAMETERS]

F = TypeVar("F", bound=Callable[..., Any])


def parse_expires_in(value: str | None) -> int | None:
    """`--expires-in 4h` in seconds; `never` is 0 (clears the expiry); None when not given."""
    if value is None:
        return None
    if value.strip().lower() == "never":
        return 0
    seconds = parse_duration(value)
    if seconds is None or seconds == 0:
        raise typer.BadParameter(
            f"'{value}' is not a duration such as 30m, 4h, 2d or 1w (or never)",
            param_hint="--expires-in",
        )
    return seconds


ExpiresInOption = Annotated[
    str | None,
    typer.Option(
        "--expires-in",
        help="The stack expires this long from now (30m, 4h, 2d, 1w; never clears it): every "
        "resource is tagged stackdeploy:expires, and `deploy sweep` destroys it then.",
    ),
]


PlanJsonOption = Annotated[
    bool,
    typer.Option("--json", help="Machine-readable plan on stdout.", rich_help_panel=OUTPUT_PANEL),
]
PlanMarkdownOption = Annotated[
    bool,
    typer.Option(
        "--markdown", help="Markdown summary (PR comments).", rich_help_panel=OUTPUT_PANEL
    ),
]


def check_one_format(*, json_output: bool, markdown: bool) -> None:
    """--json and --markdown are two formats of one output: a usage error together."""
    if json_output and markdown:
        raise DeployError(
            "--json and --markdown each print the whole plan: pass only one",
            hint="save the plan with -o PLANFILE, then `deploy show PLANFILE --json` (or "
            "--markdown) prints it again in the other format, with no AWS call",
        )


CUSTODY_PANEL = "Ownership"
AdoptOption = Annotated[
    bool,
    typer.Option(
        "--adopt",
        help="Take over resources tagged for this stack that nothing proves it made (made by "
        "hand, or by another copy of the stack); their ownership tags are rewritten.",
        rich_help_panel=CUSTODY_PANEL,
    ),
]
ForceOwnedOption = Annotated[
    bool,
    typer.Option(
        "--force-owned",
        help="Also delete what only tags claim for this stack (after a lost state): "
        "resources of other lineages and data stores the state does not record.",
        rich_help_panel=CUSTODY_PANEL,
    ),
]


def error_console(options: GlobalOptions | None = None) -> Console:
    no_color = bool(options and options.no_color)
    return Console(
        stderr=True, no_color=no_color, highlight=False, soft_wrap=True, markup=False, emoji=False
    )


def print_error(error: DeployError, console: Console) -> None:
    """What went wrong, where, and what to do: one block per underlying error."""
    headline = Text("Error: ", style="bold red")
    headline.append(error.message)
    console.print(headline)
    if isinstance(error, ConfigErrors):  # every configuration error with its location
        for item in error.errors:
            console.print()
            console.print(Text(f"  {item.message}", style="red"))
            for detail in item.details():
                console.print(Text(f"    {detail}"))
    elif isinstance(error, ApplyError):  # every failed resource, then what was skipped
        for address, failure in error.failures:
            console.print()
            line = Text(f"  {address}: ", style="bold")
            line.append(getattr(failure, "message", str(failure)), style="red")
            console.print(line)
            hint = getattr(failure, "hint", None)
            if hint:
                console.print(Text(f"    hint: {hint}"))
        if error.skipped:
            console.print()
            console.print(
                Text(f"  not attempted (a dependency failed): {', '.join(error.skipped)}")
            )
        console.print()
        console.print(
            Text("  Everything that succeeded is recorded; fix the cause and apply again.")
        )
    else:
        for detail in error.details():
            console.print(Text(f"  {detail}"))


def run_guarded(options: GlobalOptions, body: Callable[[], Any]) -> Any:
    """Turn errors into messages and exit codes: 1 for any error, 130 for Ctrl-C."""
    console = error_console(options)
    try:
        return body()
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        console.print(Text("Interrupted.", style="bold yellow"))
        raise typer.Exit(130) from None
    except DeployError as error:
        print_error(error, console)
        raise typer.Exit(error.exit_code) from None
    except AWS_ERRORS as error:
        print_error(as_provider_error(error), console)
        raise typer.Exit(1) from None
    except Exception as error:
        if options.debug:
            traceback.print_exc(file=sys.stderr)
        print_error(
            DeployError(
                f"internal error: {type(error).__name__}: {error}",
                hint="this is a bug in stackdeploy; run with --debug for the traceback",
            ),
            console,
        )
        raise typer.Exit(1) from None


def stack_command(function: F) -> F:
    """Add the common options to a command and run it inside the error boundary.

    The command receives them as one `options: GlobalOptions` keyword argument.
    """
    own = inspect.signature(function, eval_str=True)
    parameters = [p for p in own.parameters.values() if p.name != "options"]

    @functools.wraps(function)
    def wrapper(**kwargs: Any) -> Any:
        common = {name: kwargs.pop(name) for name in _COMMON_NAMES}
        common["var"] = common["var"] or []
        common["var_file"] = common["var_file"] or []
        options = GlobalOptions(**common)
        return run_guarded(options, lambda: function(options=options, **kwargs))

    merged = parameters + COMMON_PARAMETERS
    wrapper.__signature__ = own.replace(parameters=merged)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in merged}
    return wrapper  # type: ignore[return-value]


# What a command about the whole account (ls, sweep) has no use for: it reads no stack file,
# and names its regions itself (--region, repeatable).
_STACK_ONLY = frozenset({"region", "var", "var_file", "copy"})
_ACCOUNT_PARAMETERS = [p for p in COMMON_PARAMETERS if p.name not in _STACK_ONLY]


def account_command(function: F) -> F:
    """As stack_command, for commands about the account's stacks rather than one file."""
    own = inspect.signature(function, eval_str=True)
    parameters = [p for p in own.parameters.values() if p.name != "options"]
    names = [p.name for p in _ACCOUNT_PARAMETERS]

    @functools.wraps(function)
    def wrapper(**kwargs: Any) -> Any:
        options = GlobalOptions(**{name: kwargs.pop(name) for name in names})
        return run_guarded(options, lambda: function(options=options, **kwargs))

    merged = parameters + _ACCOUNT_PARAMETERS
    wrapper.__signature__ = own.replace(parameters=merged)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in merged}
    return wrapper  # type: ignore[return-value]
