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
ROUNDS = 5


async def serve(journal_size: int) -> tuple[web.AppRunner, str]:
    config = load_config(ROOT / "scenarios.yaml")
    config = replace(config, sections={**config.sections, "v2": {**config.section("v2"), "rate_limit": 0}})
    runner = web.AppRunner(create_app(config, seed=0, journal_size=journal_size), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def send_many(session: ClientSession, base: str, requests: int) -> tuple[float, float]:
    """(sends/s, CPU µs per send) over CONCURRENCY connections. CPU time (server and client share this
    process) is less disturbed by other work on the machine than the rate is."""
    url = f"{base}/api/v2/campaigns/{CAMPAIGN}/messages"
    headers = {"Authorization": f"Bearer {KEY}"}
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            async with session.post(url, json=BODY, headers=headers) as response:
                await response.read()

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return requests / (time.perf_counter() - started), (time.process_time() - cpu) / requests * 1e6


async def send_rate(journal_size: int, requests: int) -> tuple[float, float]:
    runner, base = await serve(journal_size)
    async with ClientSession() as session:
        result = await send_many(session, base, requests)
    await runner.cleanup()
    return result


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
    on_runs, off_runs = [], []
    for _ in range(ROUNDS):
        on_runs.append(asyncio.run(send_rate(10_000, requests)))
        off_runs.append(asyncio.run(send_rate(0, requests)))
    on, off = [r for r, _ in on_runs], [r for r, _ in off_runs]
    cpu_on, cpu_off = statistics.median(c for _, c in on_runs), statistics.median(c for _, c in off_runs)
    print(f"CPU per send (median of {ROUNDS}): journal on {cpu_on:6.0f} µs, off {cpu_off:6.0f} µs, "
          f"cost {100 * (cpu_on - cpu_off) / cpu_off:5.1f} %")
    for name, rates in (("median", (statistics.median(on), statistics.median(off))), ("best", (max(on), max(off)))):
        rate_on, rate_off = rates
        print(f"{name} of {ROUNDS}: journal on (10,000) {rate_on:6.0f} req/s, off (0) {rate_off:6.0f} req/s, "
              f"cost {100 * (rate_off - rate_on) / rate_off:5.1f} %")
    print(f"  on:  {[round(r) for r in on]}\n  off: {[round(r) for r in off]}")
    entries, ms = asyncio.run(report_time())
    print(f"GET /_sim/report, {entries} entries: {ms:8.1f} ms (median of 5)")


if __name__ == "__main__":
    main()
