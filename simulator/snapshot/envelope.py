"""The snapshot file: a versioned, checksummed envelope around gzip-compressed JSON, replaced atomically.

Layout (bytes):
    POSTMAN-SIM-SNAPSHOT\n                         the magic line: anything else is not ours
    {"format": 1, "simulator": "0.x", "seed": 7, "payload_bytes": N, "sha256": "..."}\n
    N bytes: gzip(JSON payload)

The header says what it was taken under; the checksum covers the compressed payload, so a flipped or missing
byte is found before anything is decompressed or parsed. JSON, never pickle: the file is on disk where a user
(or anything else) can edit it, and reading it must never run code. A write goes to a new temporary file
in PATH's folder, is fsynced and renamed over PATH (then the folder is fsynced), so a crash mid-write leaves
the previous snapshot whole.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import tempfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson

MAGIC = b"POSTMAN-SIM-SNAPSHOT\n"
FORMAT = 1
HEADER_MAX = 4096  # bytes of the header line: a longer one is not ours
LEVEL = 1  # gzip level: the payload is very repetitive, level 1 already shrinks it ~10x at a fraction of the time


class SnapshotError(Exception):
    """A snapshot that cannot be used: `reason` says why in one phrase (the CLI prints it with the path)."""

    def __init__(self, reason: str, hint: str = "move it away to start empty") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint  # what to do about it ("": the reason says it)


def simulator_version() -> str:
    try:
        return metadata.version("postman-sim")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class Header:
    format: int
    simulator: str
    seed: int | None
    payload_bytes: int
    sha256: str


def encode(pieces: Iterable[bytes], seed: int | None) -> list[bytes]:
    """The whole file, as pieces to write one after the other, for a JSON payload given in pieces (joined, they
    are the JSON text). Run it off the event loop: zlib and SHA-256 let other threads run while they work, and
    nothing here copies the payload into one large buffer."""
    packer = zlib.compressobj(LEVEL, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    digest = hashlib.sha256()
    compressed = []
    for piece in (*pieces, None):
        out = packer.compress(piece) if piece is not None else packer.flush()
        if out:
            digest.update(out)
            compressed.append(out)
    header = {"format": FORMAT, "simulator": simulator_version(), "seed": seed,
              "payload_bytes": sum(len(c) for c in compressed), "sha256": digest.hexdigest()}
    return [MAGIC + orjson.dumps(header) + b"\n", *compressed]


def write_atomic(path: Path, pieces: Iterable[bytes]) -> int:
    """A new temporary file next to PATH, fsync, rename over PATH, fsync the folder: readers see the old file or
    the new one, whole. The temporary file is always made afresh (mkstemp: O_EXCL, mode 600), so a leftover
    file or a link planted in its place is never written through, and the snapshot is readable by its owner
    only (run-time webhook subscriptions carry their signing secrets). Returns the size."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    size = 0
    try:
        try:
            for piece in pieces:
                view = memoryview(piece)
                size += len(view)
                while view:
                    view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return size


def decode(data: bytes) -> tuple[Header, Any]:
    """(header, payload) of a whole file; SnapshotError saying what is wrong with it otherwise."""
    if not data.startswith(MAGIC):
        if data.startswith(MAGIC[: len(data)]):
            raise SnapshotError("truncated: it ends inside the header")
        raise SnapshotError("not a postman-sim snapshot (it does not start with POSTMAN-SIM-SNAPSHOT)")
    end = data.find(b"\n", len(MAGIC), len(MAGIC) + HEADER_MAX)
    if end < 0:
        raise SnapshotError("truncated or corrupt: no complete header line")
    header = _header(data[len(MAGIC):end])
    if header.format > FORMAT:
        raise SnapshotError(f"written in snapshot format {header.format} by postman-sim {header.simulator}; this "
                            f"postman-sim ({simulator_version()}) reads format {FORMAT} and older")
    body = data[end + 1:]
    if len(body) != header.payload_bytes:
        raise SnapshotError(f"truncated: the payload is {len(body)} bytes, the header says {header.payload_bytes}")
    if hashlib.sha256(body).hexdigest() != header.sha256:
        raise SnapshotError("corrupt: the payload's SHA-256 does not match the header")
    try:
        return header, orjson.loads(gzip.decompress(body))
    except (OSError, EOFError, zlib.error, orjson.JSONDecodeError) as exc:  # checksum right, content wrong
        raise SnapshotError(f"corrupt: the payload does not decompress to JSON ({type(exc).__name__})") from None


def _header(line: bytes) -> Header:
    try:
        raw = orjson.loads(line)
        header = Header(format=raw["format"], simulator=str(raw["simulator"]), seed=raw["seed"],
                        payload_bytes=raw["payload_bytes"], sha256=str(raw["sha256"]))
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise SnapshotError("corrupt: the header line is not a snapshot header") from None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (header.format, header.payload_bytes)) \
            or not (header.seed is None or isinstance(header.seed, int)):
        raise SnapshotError("corrupt: the header line is not a snapshot header")
    return header


def read(path: Path) -> tuple[Header, Any] | None:
    """The snapshot at `path`; None when there is none yet (a first start); SnapshotError when unusable."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SnapshotError(f"cannot be read: {exc.strerror or exc}") from None
    return decode(data)
