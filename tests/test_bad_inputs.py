"""No input may exhaust the machine: every file of the bad-input corpus ends in a clean error.

Each case runs `deploy apply FILE --auto-approve` in a process of its own (tests/cli_forks.py),
pointed at a local HTTP endpoint that counts requests, and must:
- exit with code 1, within 5 s of CPU time and 256 MB of memory;
- name the file at fault on stderr and say what is wrong (its `# expect:` line), with no
  traceback and no "internal error";
- send nothing to the endpoint: a configuration error fails before any AWS call.

The corpus is tests/bad_inputs/*.yaml. A text case starts with comment lines:
    # expect: <text stderr must contain>
    # args: <more command-line arguments> (optional; paths relative to tests/bad_inputs)
    # names: <file stderr must name> (optional; default: the case file)
Files that are not text (encodings, binaries) have their expectation in NOT_TEXT below, and
inputs too big to commit are made at run time (GENERATED).
"""

from __future__ import annotations

import http.server
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli_forks import ForkedCli

CORPUS = Path(__file__).parent / "bad_inputs"
CPU_SECONDS = 5.0
MEMORY_MB = 256.0
WALL_SECONDS = 60.0  # only against a hang: the machine is shared, so CPU time is the bound

NOT_TEXT = {
    "encoding-utf16-le-with-bom.yaml": "is UTF-16 text, not UTF-8",
    "encoding-utf16-be-with-bom.yaml": "is UTF-16 text, not UTF-8",
    "encoding-utf16-le-without-bom.yaml": "is not text (a NUL byte at offset 1)",
    "encoding-utf16-be-without-bom.yaml": "is not text (a NUL byte at offset 0)",
    "encoding-utf32.yaml": "is UTF-32 text, not UTF-8",
    "encoding-latin1.yaml": "is not UTF-8 text (byte 0xe9 at offset 45)",
    "encoding-windows-1252-quotes.yaml": "is not UTF-8 text (byte 0x93 at offset 42)",
    "encoding-png-image.yaml": "is not UTF-8 text (byte 0x89 at offset 0)",
    "encoding-gzip-archive.yaml": "is not UTF-8 text (byte 0x8b at offset 1)",
    "encoding-nul-in-the-middle.yaml": "is not text (a NUL byte at offset 43)",
    "encoding-truncated-utf8.yaml": "is not UTF-8 text (byte 0xc3 at offset 44)",
    "encoding-utf8-bom-then-tabs.yaml": "invalid YAML",
}


@dataclass(frozen=True)
class Case:
    """One bad input: the file to apply, what else to pass, what stderr must say."""

    name: str
    make: Callable[[Path], Path]  # writes the input (or finds it) given a scratch folder
    expect: str
    args: tuple[str, ...] = ()
    names: str = ""  # the file stderr must name; default: the case file
    cwd: Path | None = None  # default: the scratch folder


def corpus_case(path: Path) -> Case:
    if path.name in NOT_TEXT:
        return Case(path.name, lambda _: path, NOT_TEXT[path.name], cwd=CORPUS)
    fields: dict[str, str] = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.removeprefix("# ").partition(": ")
        if not line.startswith("# ") or not sep or key not in ("expect", "args", "names"):
            break
        fields[key] = value
    assert "expect" in fields, f"{path.name} has no '# expect:' line"
    return Case(
        path.name,
        lambda _: path,
        fields["expect"],
        tuple(shlex.split(fields.get("args", ""))),
        fields.get("names", ""),
        cwd=CORPUS,
    )


HEAD = "stack: big\nregion: us-west-2\n"


def write(name: str, content: str | bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        return path

    return make


def buckets(count: int) -> str:
    """A valid stack of `count` buckets, about 6 lines each."""
    body = "".join(
        f"  bucket_{n}:\n    type: aws.s3.bucket\n    properties:\n"
        f"      name: big-bucket-{n}\n      versioning: Enabled\n      tags: {{team: data}}\n"
        for n in range(count)
    )
    return HEAD + "resources:\n" + body


def with_files(name: str, text: str, extra: dict[str, str | bytes]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        for extra_name, content in extra.items():
            write(extra_name, content)(folder)
        return write(name, text)(folder)

    return make


def folder(name: str) -> Callable[[Path], Path]:
    def make(scratch: Path) -> Path:
        (scratch / name).mkdir()
        (scratch / name / "network.yaml").write_text(HEAD)
        return scratch / name

    return make


SIMPLE_KEY = "resources:\n  key: {type: aws.ec2.key_pair, properties: {public_key_file: big.pub}}\n"
NESTED_PLAN = '{"format": "stackdeploy-plan/1", "plan": ' + "[" * 100_000 + "]" * 100_000 + "}"

GENERATED = [
    Case("size-30-mb.yaml", write("size-30-mb.yaml", HEAD + "#" * 30_000_000), "is 30 MB"),
    Case(
        "size-one-byte-over.yaml",
        write("size-one-byte-over.yaml", HEAD + "#" * (1_000_000 - len(HEAD) + 1)),
        "is 1,000,001 bytes; stack files are limited to 1 MB (1,000,000 bytes)",
    ),
    Case("lines-60000.yaml", write("lines-60000.yaml", buckets(10_000)), "stack files are limited"),
    Case(
        "big-stack-with-a-mistake-at-the-end.yaml",
        write("big-stack-with-a-mistake-at-the-end.yaml", buckets(1000) + "  x: {type: aws.s3}\n"),
        "unknown resource type 'aws.s3'",
    ),
    Case(
        "alias-bomb-wide.yaml",
        write(
            "alias-bomb-wide.yaml",
            HEAD + "vars:\n  one: &one 1\n  many: [" + ", ".join(["*one"] * 120_000) + "]\n",
        ),
        "aliases expand to more than 100,000 nodes",
    ),
    Case(
        "long-line-of-spaces.yaml",
        write("long-line-of-spaces.yaml", "stack: big\nregion: us-west-2" + " " * 900_000 + "x\n"),
        "(region)",
    ),
    Case(
        "half-a-million-list-items.yaml",
        write(
            "half-a-million-list-items.yaml",
            HEAD + "vars:\n  x: [" + ",".join("1" * 495_000) + "]\n",
        ),
        "the YAML has more than 100,000 values, keys and list items",
    ),
    Case(
        "includes-40-deep.yaml",
        with_files(
            "includes-40-deep.yaml",
            HEAD + "{% include 'part0.j2' %}\n",
            {f"part{n}.j2": f"{{% include 'part{n + 1}.j2' %}}\n" for n in range(40)},
        ),
        "templates include each other more than 32 levels deep",
        names="part31.j2",
    ),
    Case("empty.yaml", write("empty.yaml", ""), "a stack file must be a YAML mapping"),
    Case("a-folder", folder("a-folder"), "is a folder, not a file"),
    Case("missing.yaml", lambda scratch: scratch / "missing.yaml", "not found"),
    Case("zero", lambda _: Path("/dev/zero"), "is over 1 MB"),
    Case(
        "var-file-of-30-mb.yaml",
        with_files(
            "var-file-of-30-mb.yaml", HEAD + "vars: {a: 1}\n", {"big-vars.yaml": "#" * 30_000_000}
        ),
        "var files are limited to 1 MB",
        args=("--var-file", "big-vars.yaml"),
        names="big-vars.yaml",
    ),
    Case(
        "public-key-file-of-70-kb.yaml",
        with_files("public-key-file-of-70-kb.yaml", HEAD + SIMPLE_KEY, {"big.pub": "A" * 70_000}),
        "files are limited to 64 KB",
        names="big.pub",
    ),
    Case(
        "partial-of-2-mb.yaml",
        with_files(
            "partial-of-2-mb.yaml",
            HEAD + "{% include 'huge.j2' %}\n",
            {"huge.j2": "#" * 2_000_000},
        ),
        "templates are limited to 1 MB",
        names="huge.j2",
    ),
    Case(
        "plan-nested-too-deep.json",
        write("plan-nested-too-deep.json", NESTED_PLAN),
        "nests too deeply to be a saved plan",
    ),
    Case(
        "plan-not-json.json",
        write("plan-not-json.json", '{"format": "stackdeploy-plan/1", oops'),
        "is incomplete or damaged: it is not valid JSON",
    ),
]

CORPUS_CASES = [corpus_case(path) for path in sorted(CORPUS.glob("*.yaml"))]
CASES = CORPUS_CASES + GENERATED


class RequestCounter(http.server.BaseHTTPRequestHandler):
    """Counts every request; no configuration error may send one."""

    count = 0
    lock = threading.Lock()

    def _refuse(self) -> None:
        with RequestCounter.lock:
            RequestCounter.count += 1
        self.send_response(500)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _refuse  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RequestCounter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def cli_environment(state_dir: Path) -> dict[str, str]:
    """Test credentials and no AWS configuration (no region either: a case checks that)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "STACKDEPLOY_STATE_DIR": str(state_dir),
            "NO_COLOR": "1",
        }
    )
    env.pop("STACKDEPLOY_STATE_BUCKET", None)
    return env


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ForkedCli]:
    forked = ForkedCli(cli_environment(tmp_path_factory.mktemp("state")))
    yield forked
    forked.close()


def test_the_corpus_has_at_least_a_hundred_files() -> None:
    assert len(CORPUS_CASES) >= 100


# `python -m stackdeploy ARGS`, reporting its peak memory (VmHWM) to the file named by
# STACKDEPLOY_TEST_PEAK on exit. A child's ru_maxrss on Linux also counts the pages it had
# before exec, a copy of the (large) test worker that started it: it measures the worker.
_MEASURED_ENTRY = """
import atexit, os, runpy, sys

def report():
    status = open("/proc/self/status").read().split("VmHWM:")[1].split()
    open(os.environ["STACKDEPLOY_TEST_PEAK"], "w").write(status[0])

atexit.register(report)
sys.argv[0] = "deploy"
runpy.run_module("stackdeploy", run_name="__main__", alter_sys=True)
"""


def test_the_deploy_entry_point_refuses_an_alias_bomb_like_the_forks(
    endpoint: str, tmp_path: Path
) -> None:
    """The forks run what `deploy` runs; once, the real thing: a fresh `python -m stackdeploy`."""
    path = CORPUS / "bound-alias-bomb-nine-levels.yaml"
    argv = ["apply", str(path), "--auto-approve", "--endpoint-url", endpoint]
    requests_before = RequestCounter.count
    peak = tmp_path / "peak-kb.txt"
    environment = {**cli_environment(tmp_path), "STACKDEPLOY_TEST_PEAK": str(peak)}
    with (tmp_path / "stderr.txt").open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", _MEASURED_ENTRY, *argv],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=environment,
            cwd=tmp_path,
        )
        watchdog = threading.Timer(WALL_SECONDS, process.kill)
        watchdog.start()
        _, status, usage = os.wait4(process.pid, 0)
        watchdog.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
    errors = (tmp_path / "stderr.txt").read_text()
    assert process.returncode == 1, errors
    assert errors.startswith("Error: aliases expand to more than 100,000 nodes"), errors
    assert f"at {path}:10" in errors
    assert int(peak.read_text()) / 1024 < MEMORY_MB
    assert usage.ru_utime + usage.ru_stime < CPU_SECONDS
    assert RequestCounter.count == requests_before


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_bad_input_fails_cleanly_and_cheaply(
    case: Case, cli: ForkedCli, endpoint: str, tmp_path: Path
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    path = case.make(scratch)
    requests_before = RequestCounter.count
    argv = ["apply", str(path), "--auto-approve", "--endpoint-url", endpoint, *case.args]
    outcome = cli.run(argv, cwd=case.cwd or scratch, output=tmp_path, timeout=WALL_SECONDS)

    report = f"exit {outcome.exit_code}, stderr:\n{outcome.stderr}\nstdout:\n{outcome.stdout}"
    assert outcome.exit_code == 1, report
    assert "Traceback" not in outcome.stderr, report
    assert "internal error" not in outcome.stderr, report
    assert (case.names or path.name) in outcome.stderr, report
    assert case.expect in outcome.stderr, report
    assert outcome.cpu_seconds < CPU_SECONDS, f"{outcome.cpu_seconds:.1f} s of CPU"
    assert outcome.max_rss_mb < MEMORY_MB, f"{outcome.max_rss_mb:.0f} MB"
    assert RequestCounter.count == requests_before, "a request reached the endpoint"
