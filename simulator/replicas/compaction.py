"""Compaction: the lease holder checkpoints its state now and then, and the log before it is trimmed.

Every `entries` entries or `every` real seconds (whichever comes first, once anything new was applied), the
lease holder captures its state between two entries (its applier waits; the event loop is handed back
between chunks of messages), then, off the apply path, compresses it, stores it in `{group}:checkpoint` (one
atomic script: never an older one over a newer one) and trims the log: up to the oldest position a live
replica has applied (each publishes its own in `{group}:applied` every second; one not heard of for `stale`
seconds is not waited for), less `keep` seconds of entries as a margin, and never past the checkpoint.
A replica that starts loads the checkpoint and reads on from it; one that finds entries trimmed before it
applied them (it was stopped, or too slow) loads it again. See docs/deployment.md.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from simulator.clock import monotonic
from simulator.replicas import checkpoint
from simulator.replicas.clocks import EntryTime
from simulator.replicas.stream import Stream, order
from simulator.scenarios.loader import duration

log = logging.getLogger("postman_sim.replicas")


@dataclass(frozen=True, slots=True)
class Compaction:
    entries: int = 10_000  # entries applied since the last checkpoint that call for one (0: never by count)
    every: float = 60.0    # real seconds since the last checkpoint that call for one (inf: never by time)
    keep: float = 60.0     # seconds of entries kept before the oldest position still needed
    stale: float = 60.0    # a replica silent this long no longer holds the trim back (it publishes its own)

    @property
    def on(self) -> bool:
        return self.entries > 0 or self.every < math.inf


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: a whole number >= 0 (flag or "
                                         "POSTMAN_SIM_CHECKPOINT_ENTRIES)")
    return int(text)


def _seconds(name: str, allow_off: bool) -> Callable[[str], float]:
    def check(text: str) -> float:
        if allow_off and text.strip().lower() == "off":
            return math.inf
        seconds = duration(text)
        if seconds is None or not 0 <= seconds < math.inf:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: a duration such as 60, 30s or 5m"
                                             f"{' or off' if allow_off else ''} (flag or POSTMAN_SIM_{name})")
        return seconds

    return check


def add_flags(serve: argparse.ArgumentParser) -> None:
    """The compaction flags of `serve` (only --state redis://... reads them)."""
    serve.add_argument("--checkpoint-entries", type=_count,
                       default=_env("CHECKPOINT_ENTRIES", "10000"), metavar="N",
                       help="replicas: checkpoint the state and trim the shared log every N entries; 0: not by "
                            "count (POSTMAN_SIM_CHECKPOINT_ENTRIES)")
    serve.add_argument("--checkpoint-every", type=_seconds("CHECKPOINT_EVERY", True),
                       default=_env("CHECKPOINT_EVERY", "60s"), metavar="DURATION",
                       help="replicas: ... and at least this often in real time; off: not by time "
                            "(POSTMAN_SIM_CHECKPOINT_EVERY)")
    serve.add_argument("--checkpoint-keep", type=_seconds("CHECKPOINT_KEEP", False),
                       default=_env("CHECKPOINT_KEEP", "60s"), metavar="DURATION",
                       help="replicas: entries this recent before the oldest replica's position survive a trim "
                            "(POSTMAN_SIM_CHECKPOINT_KEEP)")
    serve.add_argument("--replica-stale", type=_seconds("REPLICA_STALE", False),
                       default=_env("REPLICA_STALE", "60s"), metavar="DURATION",
                       help="replicas: one silent this long no longer holds the trim back; it reloads the "
                            "checkpoint when it comes back (POSTMAN_SIM_REPLICA_STALE)")


def _env(name: str, default: str) -> str:
    return os.environ.get(f"POSTMAN_SIM_{name}", default)


FLAGS = ("checkpoint_entries", "checkpoint_every", "checkpoint_keep", "replica_stale")  # per replica, not state


def from_args(args: argparse.Namespace) -> Compaction:
    return Compaction(args.checkpoint_entries, args.checkpoint_every, args.checkpoint_keep, args.replica_stale)


# A capture holds the lease holder's applier for about 0.1 ms a message held; the next one waits at least
# DUTY times as long, so capturing takes at most a tenth of its time however big the state grows.
DUTY = 10.0


class Checkpointer:
    """Counts what was applied since the last checkpoint; on the lease holder, takes the next one."""

    def __init__(self, app: web.Application, stream: Stream, entry: EntryTime, policy: Compaction,
                 seed: int | None) -> None:
        self.app, self.stream, self.entry, self.policy, self.seed = app, stream, entry, policy, seed
        self.since = 0
        self._last = monotonic()
        self._pause = 0.0  # how long the last capture held the applier
        self._task: asyncio.Task[None] | None = None
        self._seen: dict[bytes, tuple[bytes, float]] = {}  # each replica's published value, and when first seen

    def applied(self) -> None:
        self.since += 1

    def loaded(self) -> None:
        """A checkpoint was just loaded: nothing new since."""
        self.since, self._last = 0, monotonic()

    def due(self) -> bool:
        policy = self.policy
        if self.since == 0 or (self._task is not None and not self._task.done()):
            return False
        elapsed = monotonic() - self._last
        if elapsed < DUTY * self._pause:  # a big state: capturing it must not become most of the holder's time
            return False
        return (0 < policy.entries <= self.since) or elapsed >= policy.every

    async def take(self, me: str, at: bytes) -> None:
        """Capture now (the caller applies nothing meanwhile); store and trim in the background."""
        started = monotonic()
        longest = 0.0
        task = asyncio.ensure_future(checkpoint.capture(self.app, self.entry, at))
        while not task.done():
            mark = monotonic()
            await asyncio.sleep(0)
            longest = max(longest, monotonic() - mark)
        pieces = task.result()
        captured = monotonic()
        self.loaded()
        self._pause = captured - started
        self._task = asyncio.create_task(self._store(me, at, pieces, started, captured, longest))

    async def _store(self, me: str, at: bytes, pieces: list[bytes], started: float, captured: float,
                     stall: float) -> None:
        try:
            raw = await asyncio.to_thread(checkpoint.encode, pieces, self.seed)
            del pieces
            saved = await self.stream.save_checkpoint(at, raw)
            trimmed = await self.trim(me, at) if saved else 0
        except Exception:  # Redis away, a full Redis: the log stays whole; the next one tries again
            log.exception("checkpoint at %s not stored", at.decode())
            return
        log.info("checkpoint at %s: %d bytes; applier paused %.1f ms (longest loop stall %.1f ms), stored in "
                 "%.1f ms; %d entries trimmed", at.decode(), len(raw), (captured - started) * 1000, stall * 1000,
                 (monotonic() - started) * 1000, max(trimmed, 0))

    async def trim(self, me: str, mine: bytes) -> int:
        """Trim the log up to what every live replica has applied (`mine`: where this one is now), less the
        margin. The lease holder calls it after each checkpoint and every second (other replicas move on after
        the checkpoint).

        A replica is silent when its published value (which changes with each of its publishes) has not changed
        for its own --replica-stale, timed here on this process's monotonic clock from when this holder's read
        of it came back (so no earlier than the replica sent it; no wall clock, this machine's, Redis's or the
        replica's, is trusted): a holder forgets only values it has itself seen unchanged for that long. The
        trim script forgets a silent one only if its value is still the one seen, in the same step as it trims
        (see stream.py)."""
        if not self.policy.on:
            return 0
        held = await self.stream.positions()
        now = monotonic()  # after the read: a late answer (a retry) must not date what it saw too early
        seen = self._seen
        mine_id = me.encode()
        for gone in seen.keys() - held.keys():
            del seen[gone]
        silent: list[tuple[bytes, bytes]] = []
        for replica, value in held.items():
            known = seen.get(replica)
            if known is None or known[0] != value:
                seen[replica] = (value, now)
            elif replica != mine_id and now - known[1] > _declared_stale(value, self.policy.stale):
                silent.append((replica, value))
        return await self.stream.trim(me, order(mine), int(self.policy.keep * 1000), silent)

    async def close(self) -> None:
        if self._task is not None:
            await asyncio.wait([self._task], timeout=10)


def _declared_stale(value: bytes, default: float) -> float:
    """The --replica-stale a replica published with its position (seconds); `default` for a value without one
    (an older version's `<at> <unix ms>`, or one written by hand)."""
    fields = value.split(b" ")
    return int(fields[2]) / 1000 if len(fields) == 3 and fields[2].isdigit() else default
