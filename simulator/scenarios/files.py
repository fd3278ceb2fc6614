"""Reading scenarios files safely: regular files only, size-capped, and `extends:` kept inside one folder.

A scenarios file, or a body POSTed to /_sim/scenarios/reload, can name another file to layer over. On
a shared simulator that must not become a way to read /dev/zero (unbounded), a FIFO (blocks forever)
or a secret elsewhere on disk, nor to probe which paths exist.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DEFAULT_MAX_BYTES = 1024 * 1024
MAX_BYTES_ENV = "SCENARIOS_MAX_BYTES"  # POSTMAN_SIM_SCENARIOS_MAX_BYTES, or --scenarios-max-bytes


class Refused(OSError):
    """A path that is readable but not a scenarios file we will read; str() is the reason (no path)."""


def limit_text(max_bytes: int) -> str:
    """The cap as people write it: "1 MiB", "64 KiB" or a byte count."""
    for unit, size in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if max_bytes % size == 0:
            return f"{max_bytes // size} {unit}"
    return f"{max_bytes} bytes"


def read_text(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """The file's UTF-8 text. stat first so a FIFO, device or folder is refused before it is opened; the
    open never blocks (O_NONBLOCK) and the open file is checked again, so a swap after the stat is caught."""
    info = os.stat(path)
    _check(info, max_bytes)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as handle:
        _check(os.fstat(handle.fileno()), max_bytes)
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise Refused(f"it is over the {limit_text(max_bytes)} limit")
    return data.decode("utf-8")


def _check(info: os.stat_result, max_bytes: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise Refused("it is not a regular file")
    if info.st_size > max_bytes:
        raise Refused(f"it is over the {limit_text(max_bytes)} limit")


def inside(folder: Path, name: str) -> Path | None:
    """`name` resolved against `folder` (symlinks followed), or None when it lands outside the folder or
    does not exist: the caller gives one message for both, so errors do not reveal what exists outside the
    folder (inside it, `read_text` still says when an entry is not a regular file)."""
    root = Path(os.path.realpath(folder))
    target = Path(os.path.realpath(root / name))
    if not target.is_relative_to(root) or not target.exists():
        return None
    return target
