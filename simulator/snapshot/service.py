"""`serve --snapshot PATH`: restore at start, write every `every` real seconds and once more on the way down.

A write captures the state on the event loop in chunks (simulator.snapshot.state), then compresses and
writes the file in a worker thread (zlib and file I/O let the loop run meanwhile), replacing the file
atomically (simulator.snapshot.envelope). The last write runs after the server, the scheduler and the webhook
dispatcher have stopped, so it is exact. /_sim/health shows where the file is and when it was last written.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.web_runner import GracefulExit

from simulator.clock import monotonic
from simulator.core import gcpolicy
from simulator.core.timefmt import iso_utc
from simulator.snapshot import envelope
from simulator.snapshot.state import capture, restore
from simulator.state import ENGINE
from simulator.webhooks import DISPATCHER

log = logging.getLogger("postman_sim.snapshot")
DEFAULT_EVERY = 60.0


@dataclass(slots=True)
class SnapshotStatus:
    """What /_sim/health says about the snapshot (wall-clock times: it is about the file, not the simulation)."""

    path: Path
    every: float
    target: Path                           # the real file (`path` may be a link to it): where writes go
    lock: int                              # the descriptor of PATH.lock, locked while this simulator runs
    restored_messages: int | None = None   # None: no file at start (a fresh simulator)
    empty_file: bool = False               # there was a file at start, empty (0 bytes): a fresh simulator too
    taken_at: float | None = None          # when the restored snapshot was written
    written_at: float | None = None
    write_ms: float | None = None          # the last write, from capture to rename
    stall_ms: float | None = None          # the longest the loop waited on it in that write
    size: int | None = None
    error: str | None = None               # the last write's failure, if it failed
    final_failed: bool = False             # the write on the way down failed (the exit code says so)

    def view(self) -> dict[str, Any]:
        return {"path": str(self.path), "every_seconds": self.every,
                "restored_messages": self.restored_messages,
                "restored_from": None if self.taken_at is None else iso_utc(self.taken_at),
                "last_written_at": None if self.written_at is None else iso_utc(self.written_at),
                "last_write_ms": self.write_ms, "last_write_stall_ms": self.stall_ms, "bytes": self.size,
                "last_error": self.error}


SNAPSHOT = web.AppKey("snapshot", SnapshotStatus)


def load(app: web.Application, path: Path, every: float = DEFAULT_EVERY) -> list[str]:
    """Restore `path` into a freshly built app (none there: start empty) and arrange the writes. SnapshotError
    when the file cannot be used: nothing has been served, and the caller must not start. Returns notes."""
    target, lock = claim(path)
    status = SnapshotStatus(path=path, every=every, target=target, lock=lock)
    try:
        with gcpolicy.no_full_collections():  # a million long-lived objects made at once (DESIGN B5)
            found = envelope.read(status.target)
            notes = [] if found is None else _restore(app, found[1])
    except BaseException:
        os.close(lock)
        raise
    if found is not None:
        header = found[0]
        seed = app[ENGINE].seed
        if header.seed != seed:
            notes.append(f"it was taken with {_seed_text(header.seed)}, this run has {_seed_text(seed)}: the "
                         "seeded streams continue from the snapshot; a full reset restarts them from this run's "
                         "seed")
        status.restored_messages = len(app[ENGINE].store)
        status.taken_at = status.target.stat().st_mtime
    else:
        status.empty_file = status.target.is_file()  # an empty file: a first start too
    app[SNAPSHOT] = status
    app[DISPATCHER].kept = True
    app.cleanup_ctx.insert(0, _lifecycle)  # first in: its exit runs last, after the server and webhooks stop
    return notes


def _seed_text(seed: int | None) -> str:
    return "no --seed" if seed is None else f"--seed {seed}"


def claim(path: Path) -> tuple[Path, int]:
    """The real file behind `path` (a link is followed once, here: writes replace the file, not the link),
    checked writable and locked for this process's life: a second simulator on the same file is refused,
    never left to overwrite the first one's data. SnapshotError saying why otherwise."""
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        raise envelope.SnapshotError(f"its folder {path.parent} does not exist", hint="")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise envelope.SnapshotError(f"its folder {path.parent} is not writable", hint="")
    envelope.existing(target)  # before the lock: no PATH.lock made next to a FIFO or in /dev
    lock = f"{target}.lock"
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise envelope.SnapshotError(f"cannot open {lock}: {exc.strerror or exc}", hint="") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise envelope.SnapshotError(f"another postman-sim is using it (it holds {lock})", hint="") from None
    return target, fd  # held until the final write (or the process's end: even kill -9 releases it)


def stop_once_on_signals(app: web.Application) -> None:
    """For `serve` (its runner handles SIGINT and SIGTERM): the first signal stops the server as before; one
    more while it stops (an impatient Ctrl-C) is a log line, not a second stop that would cancel the final
    snapshot write halfway and end in a traceback. kill -9 still stops it at once."""
    async def install(_: web.Application) -> None:
        loop = asyncio.get_running_loop()
        stopping = False

        def on_signal() -> None:
            nonlocal stopping
            if not stopping:
                stopping = True
                raise GracefulExit()  # what the runner's own handler does
            log.warning("already stopping: the snapshot is written first (kill -9 stops now, without it)")

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, on_signal)

    app.on_startup.append(install)


def _restore(app: web.Application, payload: Any) -> list[str]:
    try:
        return restore(app, payload)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise envelope.SnapshotError(f"corrupt: its content does not have the expected shape ({exc!s:.200})") \
            from None


async def write(app: web.Application) -> bool:
    """One snapshot of the app now; a failure is shown by /_sim/health and returned (False), never raised."""
    status = app[SNAPSHOT]
    seed = app[ENGINE].seed
    started = monotonic()
    try:
        payload, stall = await _timed_capture(app)
        size = await asyncio.to_thread(_encode_and_write, payload, seed, status.target)
    except Exception as exc:  # a full disk, a folder gone: shown by /_sim/health, tried again next time
        status.error = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
        return False
    status.written_at, status.size, status.error = status.target.stat().st_mtime, size, None
    status.write_ms, status.stall_ms = round((monotonic() - started) * 1000, 1), round(stall * 1000, 1)
    log.debug("snapshot written to %s: %d bytes in %.1f ms", status.path, size, status.write_ms)
    return True


def _encode_and_write(payload: list[bytes], seed: int | None, path: Path) -> int:
    return envelope.write_atomic(path, envelope.encode(payload, seed))


async def _timed_capture(app: web.Application) -> tuple[list[bytes], float]:
    """The payload, and the longest stretch it kept the loop (measured between its hand-backs)."""
    longest = 0.0
    task = asyncio.ensure_future(capture(app))
    while not task.done():
        mark = monotonic()
        await asyncio.sleep(0)
        longest = max(longest, monotonic() - mark)
    return task.result(), longest


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    status = app[SNAPSHOT]
    stopping = asyncio.Event()

    async def periodic() -> None:
        while True:
            try:
                await asyncio.wait_for(stopping.wait(), timeout=status.every)
                return
            except TimeoutError:
                if not await write(app):
                    log.error("snapshot write to %s failed: %s (tried again in %gs)", status.path, status.error,
                              status.every)

    task = asyncio.create_task(periodic())
    yield
    stopping.set()
    await task  # never cancelled mid-write: its worker thread would still be writing the file
    if await write(app):
        log.info("snapshot written to %s on the way down", status.path)
    else:
        status.final_failed = True  # the CLI exits non-zero: what changed since the last write is lost
        log.error("snapshot NOT written to %s on the way down: %s", status.path, status.error)
    os.close(status.lock)
