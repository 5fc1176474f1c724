"""Start, find and stop the local AWS emulator (moto in server mode) in the background.

The pid, port and log path are recorded under the user's cache directory, so every `deploy
--local` run, in any directory, talks to the same emulator until `deploy local stop`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from stackdeploy.errors import EmulatorError

DEFAULT_PORT = 4599
LOCAL_CREDENTIALS = ("testing", "testing")  # moto accepts any; never real credentials
READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class EmulatorInfo:
    pid: int
    port: int
    log: str
    started: float

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stackdeploy"


def _record_path() -> Path:
    return cache_dir() / "local-emulator.json"


def _responds(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1.0):
            return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def status() -> EmulatorInfo | None:
    """The running emulator, or None (a stale record is removed)."""
    path = _record_path()
    try:
        info = EmulatorInfo(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if _alive(info.pid) and _responds(info.port):
        return info
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return None


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pick_port(preferred: int | None) -> int:
    if preferred is not None:
        if not _port_free(preferred):
            raise EmulatorError(f"port {preferred} is already in use", hint="pick another --port")
        return preferred
    if _port_free(DEFAULT_PORT):
        return DEFAULT_PORT
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(port: int | None = None) -> EmulatorInfo:
    """Start the emulator in the background unless it is already running."""
    running = status()
    if running is not None:
        return running
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        raise EmulatorError(
            "the local emulator needs moto[server], which is not installed",
            hint="pip install 'stackdeploy[local]'  (or: pip install 'moto[server]')",
        )
    chosen = _pick_port(port)
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    log_path = folder / "local-emulator.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(chosen)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives this command; stopped by `deploy local stop`
            # AWS-managed IAM policies (arn:aws:iam::aws:policy/...) exist in every account.
            env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
        )
    deadline = time.monotonic() + READY_TIMEOUT
    while not _responds(chosen):
        if process.poll() is not None:
            raise EmulatorError(
                f"the local emulator exited at start (code {process.returncode})",
                hint=f"see its log: {log_path}",
            )
        if time.monotonic() > deadline:
            process.kill()
            raise EmulatorError(
                "the local emulator did not answer within 30s", hint=f"log: {log_path}"
            )
        time.sleep(0.1)
    info = EmulatorInfo(pid=process.pid, port=chosen, log=str(log_path), started=time.time())
    _record_path().write_text(json.dumps(asdict(info)))
    return info


def stop() -> EmulatorInfo | None:
    """Stop the emulator (its in-memory AWS state is gone with it)."""
    info = status()
    if info is None:
        return None
    for sig, wait in ((signal.SIGINT, 5.0), (signal.SIGTERM, 3.0), (signal.SIGKILL, 2.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(info.pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _alive(info.pid):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(info.pid, os.WNOHANG)
            time.sleep(0.1)
        if not _alive(info.pid):
            break
    with contextlib.suppress(FileNotFoundError):
        _record_path().unlink()
    return info
