"""Postman v1 send path: sends per second over loopback for each channel (rate limit off).

Run: .venv/bin/python -m bench.v1_send_rate [count]
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from simulator import create_app, load_config
from simulator.clock import ManualClock
from simulator.scenarios import SimConfig

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench_v1_c2VjcmV0LWJlbmNoLWtleS0wMDAwMDAwMDAwMDAwMDAwMQ"
BODIES = {
    "email": {"recipient": "user@example.com", "subject": "Bench", "body": "<p>Hello</p>"},
    "sms": {"body": "Bench", "recipient": "6591234567", "label": "default"},
    "govsg": {"recipient": "91234567", "template_id": 1001, "params": {"name": "A", "date": "B"}},
}


def _config() -> SimConfig:
    config = load_config(ROOT / "scenarios.yaml")
    sections = dict(config.sections)
    sections["v1"] = {**config.section("v1"), "rate_limit": 0}
    return SimConfig(scenarios=config.scenarios, sections=sections, mode=config.mode, source=config.source)


async def main(count: int) -> None:
    app = create_app(_config(), clock=ManualClock(), seed=0)
    async with TestClient(TestServer(app)) as client:
        headers = {"Authorization": f"Bearer {KEY}"}
        for channel, body in BODIES.items():
            started = time.perf_counter()
            for _ in range(count):
                response = await client.post(f"/v1/transactional/{channel}/send", json=body, headers=headers)
                assert response.status == 201, await response.text()
                await response.read()
            elapsed = time.perf_counter() - started
            print(f"v1 {channel:<6} {count} sends in {elapsed:.2f}s: {count / elapsed:,.0f} sends/s")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
