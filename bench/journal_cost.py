"""What the request journal costs: v2 sends/s with the journal on (10,000) and off (--journal-size 0),
and how long GET /_sim/report takes on a full 10,000-entry journal.

Run: .venv/bin/python bench/journal_cost.py [requests]
Traffic goes to an in-process server on 127.0.0.1 only; every loop is bounded by a request count. The two
configurations alternate (on, off, on, off, ...) so noise from other work on the machine hits both.
"""

from __future__ import annotations

import asyncio
import io
import statistics
import sys
import time
from dataclasses import replace

from aiohttp import ClientSession, web

from bench.request_overhead import CAMPAIGN, CONCURRENCY, KEY, ROOT
from simulator import create_app, load_config
from simulator.telemetry import configure_logging

BODY = {"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}
ROUNDS = 3


async def serve(journal_size: int) -> tuple[web.AppRunner, str]:
    config = load_config(ROOT / "scenarios.yaml")
    config = replace(config, sections={**config.sections, "v2": {**config.section("v2"), "rate_limit": 0}})
    runner = web.AppRunner(create_app(config, seed=0, journal_size=journal_size), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def send_many(session: ClientSession, base: str, requests: int) -> float:
    """Sends/s over CONCURRENCY connections."""
    url = f"{base}/api/v2/campaigns/{CAMPAIGN}/messages"
    headers = {"Authorization": f"Bearer {KEY}"}
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            async with session.post(url, json=BODY, headers=headers) as response:
                await response.read()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return requests / (time.perf_counter() - started)


async def send_rate(journal_size: int, requests: int) -> float:
    runner, base = await serve(journal_size)
    async with ClientSession() as session:
        rate = await send_many(session, base, requests)
    await runner.cleanup()
    return rate


async def report_time() -> tuple[int, float]:
    """(journal entries, median ms of GET /_sim/report) after 10,500 sends fill the 10,000-entry ring."""
    runner, base = await serve(10_000)
    async with ClientSession() as session:
        await send_many(session, base, 10_500)
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            async with session.get(f"{base}/_sim/report") as response:
                body = await response.json()
            timings.append((time.perf_counter() - started) * 1000)
    await runner.cleanup()
    return body["journal"]["entries"], statistics.median(timings)


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    configure_logging("json", "warning", stream=io.StringIO())
    on, off = [], []
    for _ in range(ROUNDS):
        on.append(asyncio.run(send_rate(10_000, requests)))
        off.append(asyncio.run(send_rate(0, requests)))
    best_on, best_off = max(on), max(off)
    print(f"v2 send, journal on (10,000):  {best_on:8.0f} req/s (best of {ROUNDS}: {[round(r) for r in on]})")
    print(f"v2 send, journal off (0):      {best_off:8.0f} req/s (best of {ROUNDS}: {[round(r) for r in off]})")
    print(f"journal cost:                  {100 * (best_off - best_on) / best_off:8.1f} %")
    entries, ms = asyncio.run(report_time())
    print(f"GET /_sim/report, {entries} entries: {ms:8.1f} ms (median of 5)")


if __name__ == "__main__":
    main()
