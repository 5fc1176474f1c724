"""Run the deploy CLI many times, fast: imported once, then forked for each run.

Starting `python -m stackdeploy` spends about 1.5 s of CPU on imports (boto3, pydantic, the
resource types), so a corpus of a hundred and more inputs would mostly measure imports. Run
as `python -m tests.cli_forks`, this module imports the CLI once and then, for each request
(a JSON line on stdin), forks a child that runs `stackdeploy.cli.main.main(argv)`: what the
`deploy` entry point runs. Each child is a process of its own, with its own exit status and
resource usage (os.wait4: CPU time, peak memory), reported as a JSON line on stdout.

Each child may use at most CHILD_ADDRESS_SPACE of memory, so a bound that fails costs the
shared machine nothing: the child gets a MemoryError instead of the whole machine's memory.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

CHILD_ADDRESS_SPACE = 3 * 1024**3
REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    cpu_seconds: float
    max_rss_mb: float
    wall_seconds: float
    stdout: str
    stderr: str


class ForkedCli:
    """The parent side: starts the forking process and sends it runs."""

    def __init__(self, env: dict[str, str]):
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.cli_forks"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=REPO,
            env=env,
            text=True,
        )

    def run(self, argv: list[str], cwd: Path, output: Path, timeout: float) -> Outcome:
        stdout, stderr = output / "stdout.txt", output / "stderr.txt"
        request = {"argv": argv, "cwd": str(cwd), "stdout": str(stdout), "stderr": str(stderr)}
        request["timeout"] = timeout
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        reply = json.loads(self._process.stdout.readline())
        return Outcome(
            exit_code=reply["exit_code"],
            cpu_seconds=reply["cpu_seconds"],
            max_rss_mb=reply["max_rss_kb"] / 1024,
            wall_seconds=reply["wall_seconds"],
            stdout=stdout.read_text(errors="replace"),
            stderr=stderr.read_text(errors="replace"),
        )

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)


def _child(request: dict[str, Any]) -> None:
    """In the forked child: run the CLI with the request's files as stdout and stderr."""
    try:
        # macOS may refuse the limit: the bounds still hold, only the guard is missing.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE))
        os.chdir(request["cwd"])
        for fd, path, flags in (
            (0, os.devnull, os.O_RDONLY),
            (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
            (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        ):
            os.dup2(os.open(path, flags, 0o644), fd)
        from stackdeploy.cli.main import main

        code = main(request["argv"])
    except BaseException:  # anything at all: the test reads the traceback from stderr
        traceback.print_exc()
        code = 70
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _serve(requests: IO[str], replies: IO[str]) -> None:
    for line in requests:
        request = json.loads(line)
        replies.flush()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            _child(request)
        deadline = started + request["timeout"]
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)
        reply = {
            "exit_code": os.waitstatus_to_exitcode(status),
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            # Linux reports kilobytes, macOS bytes.
            "max_rss_kb": usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1),
            "wall_seconds": time.monotonic() - started,
        }
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    import stackdeploy.cli.main  # noqa: F401 - imported once, shared by every fork

    _serve(sys.stdin, sys.stdout)
