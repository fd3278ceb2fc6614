"""What logging and metrics cost per request: requests/s with access logs on (INFO) and off (WARNING).

Run: .venv/bin/python bench/request_overhead.py [requests]
Traffic goes to an in-process server on 127.0.0.1 only; the loop is bounded by the request count.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
import time
from pathlib import Path

from aiohttp import ClientSession, web

from simulator import create_app, load_config
from simulator.telemetry import configure_logging

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = "campaign_00000000-0000-4000-8000-000000000001"
KEY = "key_test_postman_sim_demo_key_0000000001"
CONCURRENCY = 16


async def run(level: str, requests: int) -> float:
    configure_logging("json", level, stream=io.StringIO())
    config = load_config(ROOT / "scenarios.yaml")
    section = dict(config.section("v2"))
    section["rate_limit"] = 0
    config = type(config)(scenarios=config.scenarios, sections={**config.sections, "v2": section},
                          mode=config.mode, source=config.source)
    runner = web.AppRunner(create_app(config, seed=0), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = f"http://127.0.0.1:{port}/api/v2/campaigns/{CAMPAIGN}/messages"
    body = {"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}
    headers = {"Authorization": f"Bearer {KEY}"}
    remaining = requests

    async def worker(session: ClientSession) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            async with session.post(url, json=body, headers=headers) as response:
                await response.read()

    async with ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    await runner.cleanup()
    return requests / elapsed


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    for level in ("warning", "info", "warning", "info"):
        rate = asyncio.run(run(level, requests))
        print(f"log level {level:<8} {rate:8.0f} sends/s  ({requests} POST /api/v2/.../messages, "
              f"{CONCURRENCY} concurrent)")
    logging.shutdown()


if __name__ == "__main__":
    main()
