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
import hashlib
import io
import os
import stat
import tempfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

import orjson

MAGIC = b"POSTMAN-SIM-SNAPSHOT\n"
FORMAT = 1
HEADER_MAX = 4096  # bytes of the header line: a longer one is not ours
MAX_PAYLOAD = 2 << 30  # compressed bytes read at most (100,000 messages take ~6.5 MB)
INFLATE_RATIO = 50  # decompressed bytes per compressed byte at most (level 1 on this JSON gives ~10)
MAX_JSON = 16 << 30  # decompressed bytes at most, whatever the ratio
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


def existing(path: Path) -> os.stat_result | None:
    """The file at `path` (None: none there); SnapshotError when it is not a regular file (a folder, a FIFO,
    a device such as /dev/zero: nothing to restore, and reading one could hang or never end)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SnapshotError(f"cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise SnapshotError("cannot be read: Is a directory")
    if not stat.S_ISREG(info.st_mode):
        raise SnapshotError("cannot be read: not a regular file (a FIFO, a device or a socket)")
    return info


def read(path: Path) -> tuple[Header, Any] | None:
    """The snapshot at `path`; None when there is none yet (no file, or an empty one: a first start);
    SnapshotError when unusable. Bounded: only a regular file is opened, its magic line and header are
    checked before the payload is read, and the payload and what it decompresses to are capped, so a FIFO,
    a device or a hand-made bomb is refused in one line, never a hang or a MemoryError."""
    info = existing(path)
    if info is None or info.st_size == 0:
        return None
    try:
        with path.open("rb") as file:
            return _read_open(file)
    except OSError as exc:
        raise SnapshotError(f"cannot be read: {exc.strerror or exc}") from None


def read_bytes(data: bytes) -> tuple[Header, Any]:
    """A snapshot held in memory (a replica's checkpoint in Redis), checked as a file is."""
    return _read_open(io.BytesIO(data))


def _read_open(file: BinaryIO) -> tuple[Header, Any]:
    head = file.read(len(MAGIC) + HEADER_MAX)
    if not head.startswith(MAGIC):
        if head.startswith(MAGIC[: len(head)]):
            raise SnapshotError("truncated: it ends inside the header")
        raise SnapshotError("not a postman-sim snapshot (it does not start with POSTMAN-SIM-SNAPSHOT)")
    end = head.find(b"\n", len(MAGIC))
    if end < 0:
        raise SnapshotError("truncated or corrupt: no complete header line")
    header = _header(head[len(MAGIC):end])
    if header.format > FORMAT:
        raise SnapshotError(f"written in snapshot format {header.format} by postman-sim {header.simulator}; this "
                            f"postman-sim ({simulator_version()}) reads format {FORMAT} and older")
    if not 0 <= header.payload_bytes <= MAX_PAYLOAD:
        raise SnapshotError(f"too large: the header says {header.payload_bytes} bytes of payload, more than "
                            f"this postman-sim reads ({MAX_PAYLOAD >> 30} GiB)")
    body = head[end + 1:] + file.read(header.payload_bytes + 1 - (len(head) - end - 1))
    if len(body) != header.payload_bytes:
        raise SnapshotError(f"truncated: the payload is {len(body)} bytes, the header says {header.payload_bytes}"
                            if len(body) < header.payload_bytes else
                            f"corrupt: the payload is longer than the {header.payload_bytes} bytes the header says")
    if hashlib.sha256(body).hexdigest() != header.sha256:
        raise SnapshotError("corrupt: the payload's SHA-256 does not match the header")
    try:
        return header, orjson.loads(_inflate(body))
    except (OSError, EOFError, zlib.error, orjson.JSONDecodeError) as exc:  # checksum right, content wrong
        raise SnapshotError(f"corrupt: the payload does not decompress to JSON ({type(exc).__name__})") from None


def _inflate(body: bytes) -> bytes:
    """gunzip, capped: at most INFLATE_RATIO times the compressed size (and never over MAX_JSON)."""
    cap = min(max(INFLATE_RATIO * len(body), 1 << 20), MAX_JSON)
    unpacker = zlib.decompressobj(31)
    data = unpacker.decompress(body, cap)
    if unpacker.unconsumed_tail or not unpacker.eof and len(data) >= cap:
        raise SnapshotError(f"corrupt: the payload decompresses to more than {cap} bytes (at most "
                            f"{INFLATE_RATIO} times its size); not a snapshot this postman-sim wrote")
    if not unpacker.eof:
        raise EOFError("the compressed stream ends early")
    return data


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
