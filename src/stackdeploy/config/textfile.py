"""Reading the text files a stack is made of, with errors that name the file.

Stack files, var files, templates and file properties are all read here: the size is checked
before reading (a 30 MB file is refused at once, not parsed for minutes) and the bytes must be
UTF-8 text, so a binary or UTF-16 file is an error naming the file, not a decoding traceback.
"""

from __future__ import annotations

import codecs
import stat
from pathlib import Path

from stackdeploy.config.limits import describe_size
from stackdeploy.errors import ConfigError, SourceLocation

_UTF32_MARKS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
_UTF16_MARKS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_AS_UTF8 = "save it as UTF-8 (most editors offer this under 'Save with encoding')"


def read_text_file(path: Path, what: str, limit: int, why: str = "") -> str:
    """The text of a file, or a ConfigError naming it (`what` says which file it is, e.g.
    "stack file"; `why` explains the limit)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} not found") from None
    except OSError as error:
        raise ConfigError(f"cannot read {what} {path}: {error.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{what} {path} is a folder, not a file", hint=_folder_hint(path))
    if stat.S_ISREG(info.st_mode) and info.st_size > limit:
        raise _too_big(path, what, info.st_size, limit, why)
    try:
        # Pipes and devices have no size to check: read one byte past the limit instead.
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise ConfigError(f"cannot read {what} {path}: {error.strerror}") from None
    if len(data) > limit:
        raise _too_big(path, what, None, limit, why)
    return decode_text(data, str(path), what)


def decode_text(data: bytes, file: str, what: str) -> str:
    """UTF-8 text (a leading byte order mark is dropped); anything else names the first
    offending byte."""
    for encoding, marks in (("UTF-32", _UTF32_MARKS), ("UTF-16", _UTF16_MARKS)):
        if data.startswith(marks):  # UTF-32 first: its little-endian mark starts like UTF-16's
            raise ConfigError(
                f"{what} {file} is {encoding} text, not UTF-8 "
                f"(it starts with a {encoding} byte order mark)",
                location=SourceLocation(file, 1),
                hint=_AS_UTF8,
            )
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
        invalid = None
    except UnicodeDecodeError as error:
        text, invalid = "", error.start + len(data) - len(body)
    nul = data.find(b"\0")
    # Whichever comes first: a binary file usually has both, UTF-16 without a mark only NULs.
    if nul >= 0 and (invalid is None or nul < invalid):
        raise ConfigError(
            f"{what} {file} is not text (a NUL byte at offset {nul})",
            location=SourceLocation(file, data.count(b"\n", 0, nul) + 1),
            hint=f"is it a binary file, or UTF-16 text without a byte order mark? {_AS_UTF8}",
        )
    if invalid is not None:
        raise ConfigError(
            f"{what} {file} is not UTF-8 text (byte 0x{data[invalid]:02x} at offset {invalid})",
            location=SourceLocation(file, data.count(b"\n", 0, invalid) + 1),
            hint=f"{_AS_UTF8}; Latin-1 and Windows-1252 files need converting",
        )
    return text


def _too_big(path: Path, what: str, size: int | None, limit: int, why: str) -> ConfigError:
    allowed = describe_size(limit)
    if size is None:
        actual = f"is over {allowed}"
    elif describe_size(size) == allowed:  # "is 1 MB; limited to 1 MB" would puzzle
        actual, allowed = f"is {size:,} bytes", f"{allowed} ({limit:,} bytes)"
    else:
        actual = f"is {describe_size(size)}"
    return ConfigError(
        f"{what} {path} {actual}; {what}s are limited to {allowed}" + (f" ({why})" if why else ""),
        hint="split it into several stacks, or write repeated resources as a Jinja2 loop"
        if what == "stack file"
        else None,
    )


def _folder_hint(path: Path) -> str:
    try:
        inside = sorted(p.name for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
    except OSError:
        inside = []
    if not inside:
        return "name a file, e.g. stacks/network.yaml"
    shown = ", ".join(str(path / name) for name in inside[:3])
    return f"name one of the files in it: {shown}" + (", ..." if len(inside) > 3 else "")
