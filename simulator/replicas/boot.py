"""Starting a replica: agree with the stream's genesis record, build the replicated clock, wire the app.

The genesis record is written by the first replica that ever starts on a Redis database: the seed (every
replica draws the same ids), the clock and its start, and a digest of the settings that shape state (the
scenarios file, the flags). A replica started differently would drift from the others, so it is refused.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from simulator.clock import Clock
from simulator.core import gcpolicy
from simulator.core.ratelimit import RateLimiter
from simulator.replicas import checkpoint
from simulator.replicas.clocks import EntryTime, ReplicatedManualClock, ReplicatedSystemClock
from simulator.replicas.compaction import Checkpointer, Compaction
from simulator.replicas.node import Replica
from simulator.replicas.stream import Keys, Stream, connect_sync, mark_order
from simulator.replicas.target import RedisTarget
from simulator.runtime.reload import SCENARIO_RUNTIME
from simulator.state import ENGINE

SEED_BITS = 62
DEFAULT_COMPACTION = Compaction()


class BootError(RuntimeError):
    """Redis cannot be reached, or holds a simulator started with other settings (one line to print)."""


@dataclass(frozen=True, slots=True)
class Genesis:
    seed: int
    clock: str
    speed: float
    start: float
    settings: str

    def build_clock(self) -> tuple[Clock, EntryTime]:
        entry = EntryTime(self.start)
        if self.clock == "manual":
            return ReplicatedManualClock(start=self.start), entry
        return ReplicatedSystemClock(entry, speed=self.speed, start=self.start), entry


def settings_digest(settings: Mapping[str, object], scenarios: Path | None) -> str:
    """A digest of what must be the same on every replica (flags, the scenarios file's bytes)."""
    digest = hashlib.sha256(repr(sorted(settings.items())).encode())
    if scenarios is not None and scenarios.is_file():
        digest.update(scenarios.read_bytes())
    return digest.hexdigest()[:16]


def agree(target: RedisTarget, *, seed: int | None, clock: str, speed: float, flags: Mapping[str, Any],
          scenarios: Path | None) -> Genesis:
    """The genesis this replica runs with (written now if it is the first); BootError if it cannot. `flags`:
    the flags that shape state (argparse names and values), recorded so a mismatch can be named."""
    settings, file_digest = settings_digest(flags, scenarios), settings_digest({}, scenarios)
    shown = {name: _shown(name, value) for name, value in flags.items()}
    wanted = {"seed": secrets.randbits(SEED_BITS) if seed is None else seed, "clock": clock,
              "speed": speed if clock == "real" else 0.0, "start": float(int(time.time())), "settings": settings,
              "flags": shown, "scenarios": file_digest}

    async def fetch() -> dict[str, Any]:
        stream = Stream(target)
        try:
            return await stream.genesis(wanted)
        finally:
            await stream.close()

    try:
        found = asyncio.run(fetch())
    except (RedisError, OSError) as exc:
        raise BootError(f"cannot reach Redis at {target.shown}: {exc}") from None
    genesis = Genesis(int(found["seed"]), str(found["clock"]), float(found["speed"]), float(found["start"]),
                      str(found["settings"]))
    same_clock = genesis.clock == clock
    differs = [f"--clock {genesis.clock}" if not same_clock else "",
               f"--speed {genesis.speed:g}" if same_clock and clock == "real" and genesis.speed != speed else "",
               f"--seed {genesis.seed}" if seed is not None and genesis.seed != seed else ""]
    if genesis.settings != settings:
        differs += _settings_differ(found, shown, file_digest)
    differs = [d for d in differs if d]
    if differs:
        raise BootError(f"{target.shown} holds a simulator started with {', '.join(differs)}: start every replica "
                        f"the same way, or empty that database first (redis-cli -n {target.db} FLUSHDB)")
    return genesis


_SECRET = ("token", "secret", "key", "password")


def _shown(name: str, value: Any) -> str:
    """A flag's value as the genesis records it (Redis holds it; an error names it): a secret only as a hash."""
    if value is not None and any(word in name for word in _SECRET):
        return "hidden:" + hashlib.sha256(str(value).encode()).hexdigest()[:16]
    return str(value)


def _flag(name: str, value: str) -> str:
    return f"--{name.replace('_', '-')}" + (" (a different value)" if value.startswith("hidden:") else f" {value}")


def _settings_differ(found: Mapping[str, Any], flags: Mapping[str, str], scenarios: str) -> list[str]:
    """Each flag the stream's first replica set otherwise, as `--name its-value (this one: value)`, and the
    scenarios file; a record from before flags were kept says only that something differs."""
    theirs = found.get("flags")
    if not isinstance(theirs, dict):
        return ["other flags or scenarios file"]
    named = [_flag(name, str(theirs[name])) + ("" if str(theirs[name]).startswith("hidden:") else
                                               f" (this replica: {mine})")
             for name, mine in sorted(flags.items()) if name in theirs and theirs[name] != mine]
    if found.get("scenarios") != scenarios:
        named.append("another scenarios file (its content differs)")
    return named or ["other flags or scenarios file"]


def attach(app: web.Application, target: RedisTarget, entry: EntryTime, policy: Compaction = DEFAULT_COMPACTION,
           seed: int | None = None) -> str:
    """Make `app` a replica, from the stored checkpoint if there is one; returns the private unix socket path
    it must also listen on (removed at exit). BootError when the checkpoint cannot be loaded (nothing served)."""
    engine = app[ENGINE]
    engine.wall = entry  # the journal's wall time
    # Rate-limit windows on the entries' time; made before the checkpoint is loaded, which fills them in.
    engine.limiter = RateLimiter(engine.clock, wall=entry)
    start = _load_checkpoint(app, target, entry)
    stream = Stream(target)
    folder = Path(tempfile.mkdtemp(prefix="postman-sim-"))  # mode 0700: only this user can reach the socket
    socket_path = str(folder / "apply.sock")
    app[SCENARIO_RUNTIME].watch = False  # a changed file reaches replicas through POST /_sim/scenarios/reload
    Replica(app, stream, entry, socket_path, Checkpointer(app, stream, entry, policy, seed), start).install()

    async def remove_folder(_app: web.Application) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    app.on_cleanup.append(remove_folder)
    return socket_path


def _load_checkpoint(app: web.Application, target: RedisTarget, entry: EntryTime) -> bytes:
    """The last entry the stored checkpoint covers, once it is in `app` (b"0-0": none, replay the whole log)."""
    keys = Keys(target)
    client = connect_sync(target)  # not the app's loop (it may not run yet, or run already: a test's)
    try:
        at_data: Any = client.hmget(keys.checkpoint, ["at", "data"])
        raw_mark: Any = client.get(keys.trimmed)
    except (RedisError, OSError) as exc:
        raise BootError(f"cannot reach Redis at {target.shown}: {exc}") from None
    finally:
        client.close()
    if at_data[0] is None or at_data[1] is None:
        return b"0-0"
    try:
        at, payload = checkpoint.decode(bytes(at_data[1]))
        with gcpolicy.no_full_collections():  # many long-lived objects made at once (DESIGN B5)
            checkpoint.restore(app, payload, entry)
    except checkpoint.CheckpointError as exc:
        trimmed = mark_order(raw_mark) != (0, 0)  # a malformed mark too: say the careful thing
        what = (f"the log before it was trimmed: empty the database to start again (redis-cli -n {target.db} "
                "FLUSHDB)" if trimmed else f"the log is whole: delete it to replay the log (redis-cli -n "
                f"{target.db} DEL {keys.checkpoint})")
        raise BootError(f"cannot load the checkpoint {keys.checkpoint} at {target.shown}: {exc}; {what}") \
            from None
    return at
