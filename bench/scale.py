"""The store at scale: memory per terminal message, one clock advance over N messages, admin queries.

Starts `postman-sim serve` (manual clock, warning log, rate limits off) in its own process, pinned to
CPU 1 when there are two, sends N v2 messages over HTTP (every 50th to the recipient_invalid test
number, so status and recipient filters have something to find), moves every one to its terminal
status with one `/_sim/clock/advance` while a poller keeps asking `/_sim/health`, then times the admin
queries with N stored. Prints numbers with the issue-12 targets next to them; it asserts nothing.

    BENCH_SCALE_N=100000 .venv/bin/python -m bench.scale
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import aiohttp

from bench.peer_requests import V2_CAMPAIGN, V2_SEND
from bench.pinned import free_port, pinned_server, rss_kib
from bench.targets import Target, render
from simulator.journal import DEFAULT_SIZE as JOURNAL_SIZE

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "bench" / "peers" / "scenarios.yaml"
FAILING = "6511111111"  # scenarios.yaml: fails with recipient_invalid after sent_to_telco
TARGET_N = 1_000_000
CONCURRENCY = 32
WARMUP = JOURNAL_SIZE + 1000
QUERIES = {
    "messages?face=v2": "/_sim/messages?face=v2",
    "messages?status=failure": "/_sim/messages?status=failure",
    f"messages?recipient={FAILING}": f"/_sim/messages?recipient={FAILING}",
    "messages?channel=sms": "/_sim/messages?channel=sms",
    f"messages?tenant={V2_CAMPAIGN[:17]}...": f"/_sim/messages?tenant={V2_CAMPAIGN}",
    "health": "/_sim/health",
    "metrics": "/_sim/metrics",
}


async def send_many(session: aiohttp.ClientSession, base: str, count: int) -> float:
    """Send `count` v2 messages with CONCURRENCY in flight; return sends per second."""
    url = base + V2_SEND.path
    headers = V2_SEND.all_headers()
    remaining = count

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            recipient = FAILING if remaining % 50 == 0 else V2_SEND.body["recipient"]
            async with session.post(url, json={**V2_SEND.body, "recipient": recipient}, headers=headers) as answer:
                await answer.read()
                if answer.status != V2_SEND.status:
                    raise RuntimeError(f"send answered {answer.status}: {await answer.text()}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return count / (time.perf_counter() - started)


async def advance_with_poller(session: aiohttp.ClientSession, base: str) -> tuple[float, float, int, dict]:
    """One advance far enough for every timeline; return (seconds, longest health wait in s, polls, answer)."""
    stop = asyncio.Event()
    waits: list[float] = []

    async def poll() -> None:
        while not stop.is_set():
            began = time.perf_counter()
            async with session.get(base + "/_sim/health") as answer:
                await answer.read()
            waits.append(time.perf_counter() - began)
            await asyncio.sleep(0.01)

    poller = asyncio.create_task(poll())
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    async with session.post(base + "/_sim/clock/advance", json={"seconds": 60}) as answer:
        body = await answer.json()
        if answer.status != 200:
            raise RuntimeError(f"advance answered {answer.status}: {body}")
    elapsed = time.perf_counter() - started
    stop.set()
    await poller
    return elapsed, max(waits, default=0.0), len(waits), body


async def time_queries(session: aiohttp.ClientSession, base: str, repeats: int = 5) -> dict[str, list[float]]:
    """Milliseconds per call of each admin query; a message listing's name gets its match count."""
    timings: dict[str, list[float]] = {}
    for name, path in QUERIES.items():
        label = name
        for _ in range(repeats):
            began = time.perf_counter()
            async with session.get(base + path) as answer:
                raw = await answer.read()
                if answer.status != 200:
                    raise RuntimeError(f"{path} answered {answer.status}")
            timings.setdefault(name, []).append(1000 * (time.perf_counter() - began))
            if name.startswith("messages"):
                label = f"{name} ({json.loads(raw)['total']:,} match)"
        timings[label] = timings.pop(name)
    return timings


async def measure(base: str, pid: int, count: int) -> list[Target]:
    connector = aiohttp.TCPConnector(limit=CONCURRENCY + 2)
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        # Warm-up: imports, caches, allocator arenas, and the request journal's ring filled to its bound
        # (`--journal-size`, a fixed cost however many messages are stored, so not a per-message one).
        await send_many(session, base, WARMUP)
        async with session.post(base + "/_sim/clock/advance", json={"seconds": 60}) as answer:
            await answer.read()
        before = rss_kib(pid)
        rate = await send_many(session, base, count)
        print(f"sent {count:,} v2 messages over HTTP at {rate:,.0f}/s ({CONCURRENCY} in flight)", flush=True)
        seconds, stall, polls, answer_body = await advance_with_poller(session, base)
        after = rss_kib(pid)
        timings = await time_queries(session, base)
    per_message = (after - before) / count
    projected = seconds * TARGET_N / count
    scaled = "" if count == TARGET_N else f", scaled linearly from {count:,}"
    stored = count + WARMUP
    targets = [
        Target(f"RSS per terminal message ((RSS after − before) / N, N = {count:,})", "≤ 1.0 KiB",
               f"{per_message:.2f} KiB ({before / 1024:.0f} → {after / 1024:.0f} MiB)", per_message <= 1.0),
        Target(f"one /_sim/clock/advance over {TARGET_N:,} v2 messages to terminal status", "≤ 30 s",
               f"{projected:.1f} s ({int(answer_body.get('ran', 0)):,} transitions in {seconds:.2f} s{scaled})",
               projected <= 30),
        Target(f"longest /_sim/health wait during that advance ({polls} polls)", "≤ 100 ms",
               f"{1000 * stall:,.0f} ms", stall <= 0.1),
    ]
    for name, values in timings.items():
        worst = max(values)
        targets.append(Target(f"GET /_sim/{name} with {stored:,} stored (median; worst of {len(values)})", "≤ 20 ms",
                              f"{statistics.median(values):,.1f} ms; {worst:,.1f} ms", worst <= 20))
    print(f"\n## Scale: {count:,} v2 messages (+{WARMUP:,} warm-up, which fills the {JOURNAL_SIZE:,}-entry request "
          "journal), manual clock, warning log\n")
    print(render(targets))
    if count < TARGET_N:
        print(f"\nThe targets are for {TARGET_N:,} stored messages; set BENCH_SCALE_N={TARGET_N} to measure them "
              "directly (query times grow with N where they scan).")
    return targets


def run(count: int) -> list[Target]:
    """Start the server pinned to CPU 1, measure with `count` messages, stop it; return the targets."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "simulator", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--clock", "manual", "--log-level", "warning", "--seed", "1", "--scenarios", str(SCENARIOS)]
    log = ROOT / ".bench-cache" / "scale.server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cpu = "1" if (os.cpu_count() or 1) >= 2 else None
    print(f"=== scale: {count:,} v2 messages", flush=True)
    with pinned_server(command, base + "/_sim/health", log, cwd=ROOT, cpu=cpu) as pid:
        return asyncio.run(measure(base, pid, count))


def main() -> int:
    run(int(os.environ.get("BENCH_SCALE_N", "100000")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
