"""Compaction of the replicas' log: what a checkpoint costs, and what it saves a replica that starts.

Starts its own redis-server (append-only file on) and replicas as subprocesses. Sends --messages v2 messages
through one replica without compaction, then times a new replica's start until it answers a read (it
replays the whole log). Then a replica with compaction writes one checkpoint of all of it: the figures are
its own log line (bytes, how long its applier paused, the longest loop stall within that, the time until
stored, the entries trimmed). Last, a new replica's start is timed again: it loads the checkpoint instead.

    python -m bench.replica_compaction [--messages 20000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from bench.redis_replicas import _redis, _stop
from bench.send_rate import ROOT, free_port, load

COMPACTION_OFF = ("--checkpoint-entries", "0", "--checkpoint-every", "off")
LINE = re.compile(r"checkpoint at \S+: (\d+) bytes; applier paused ([\d.]+) ms \(longest loop stall ([\d.]+) ms\), "
                  r"stored in ([\d.]+) ms; (\d+) entries trimmed")


def _replica(url: str, scenarios: Path, log: Path, extra: Sequence[str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "simulator", "serve", "--port", str(port), "--clock", "manual", "--state", url,
             "--scenarios", str(scenarios), "--log-level", "info", *extra], stdout=out, stderr=subprocess.STDOUT,
            cwd=ROOT)
    return process, f"http://127.0.0.1:{port}"


async def _answers(base: str, deadline: float) -> float:
    """Seconds until GET /_sim/messages answers (a replica catches up with the log before it does)."""
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):  # not listening yet
                async with session.get(f"{base}/_sim/messages?limit=1") as response:
                    if response.status == 200:
                        return time.monotonic() - started
            await asyncio.sleep(0.05)
    raise SystemExit(f"{base} did not answer in time")


def _start_timed(url: str, scenarios: Path, log: Path, extra: Sequence[str]) -> tuple[subprocess.Popen[bytes], float]:
    started = time.monotonic()
    process, base = _replica(url, scenarios, log, extra)
    asyncio.run(_answers(base, started + 600))
    return process, time.monotonic() - started


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        scenarios = folder / "scenarios.yaml"  # as bench.redis_replicas: no rate limit
        scenarios.write_text((ROOT / "scenarios.yaml").read_text().replace("rate_limit: 10 ", "rate_limit: 0 "))
        redis, url = _redis(folder)
        log = folder / "replicas.log"
        try:
            writer, base = _replica(url, scenarios, log, COMPACTION_OFF)
            asyncio.run(_answers(base, time.monotonic() + 30))
            sent, failures, _, elapsed = asyncio.run(load(base, args.messages, args.concurrency, 600))
            print(f"{sent} messages sent in {elapsed:.1f} s ({failures} failures); log length: {_xlen(url)}")
            late, without = _start_timed(url, scenarios, log, COMPACTION_OFF)
            print(f"a replica started on the whole log answers after {without:.2f} s")
            for process in (late, writer):
                _stop(process)
            compact = ("--checkpoint-entries", str(args.messages), "--checkpoint-every", "off",
                       "--checkpoint-keep", "0")
            holder, base = _replica(url, scenarios, log, compact)  # replays, holds the lease, checkpoints
            asyncio.run(_answers(base, time.monotonic() + 600))
            asyncio.run(load(base, 1, 1, 30))  # one more entry: the checkpoint is due
            figures = _wait_for_line(log)
            size, paused, stall, stored, trimmed = figures
            print(f"checkpoint of {args.messages} messages: {int(size) / 1e6:.1f} MB, applier paused {paused:.0f} ms "
                  f"(longest loop stall {stall:.0f} ms), stored {stored:.0f} ms after it started; {int(trimmed)} "
                  f"entries trimmed, log length now {_xlen(url)}")
            late, with_checkpoint = _start_timed(url, scenarios, log, compact)
            print(f"a replica started from the checkpoint answers after {with_checkpoint:.2f} s "
                  f"({without / with_checkpoint:.1f}x faster)")
            for process in (late, holder):
                _stop(process)
        finally:
            redis.terminate()
            redis.wait(10)


def _xlen(url: str) -> int:
    port = url.rsplit(":", 1)[1].split("/")[0]
    done = subprocess.run(["redis-cli", "-p", port, "XLEN", "{postman-sim}:log"], capture_output=True, text=True,
                          check=True)
    return int(done.stdout.strip())


def _wait_for_line(log: Path, seconds: float = 120.0) -> tuple[float, ...]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = LINE.search(log.read_text(errors="replace"))
        if found:
            return tuple(float(value) for value in found.groups())
        time.sleep(0.1)
    raise SystemExit("no checkpoint was written")


if __name__ == "__main__":
    main()
