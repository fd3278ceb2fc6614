"""Single-send throughput of the v2 face on loopback: prints sends per second and latency percentiles.

Starts `python -m simulator serve` in a subprocess (manual clock, rate limit off) so the server and
the load generator do not share a CPU, then sends a bounded number of requests with N in flight.

    python bench/send_rate.py [--requests 5000] [--concurrency 32] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
CAMPAIGN = "campaign_00000000-0000-4000-8000-000000000001"
KEY = "key_test_postman_sim_demo_key_0000000001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def wait_ready(base: str, deadline: float) -> None:
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError):  # not listening yet
                async with session.get(f"{base}/_sim/health") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


async def load(base: str, requests: int, concurrency: int, seconds: float) -> tuple[int, int, list[float], float]:
    url = f"{base}/api/v2/campaigns/{CAMPAIGN}/messages"
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}
    latencies: list[float] = []
    failures = 0
    remaining = requests
    stop_at = time.monotonic() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining, failures
        while remaining > 0 and time.monotonic() < stop_at:
            remaining -= 1
            started = time.perf_counter()
            async with session.post(url, json=body, headers=headers) as response:
                await response.read()
                if response.status != 201:
                    failures += 1
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        began = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return len(latencies), failures, latencies, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30.0, help="stop early after this long")
    parser.add_argument("--log-level", default="warning", help="server log level (info logs every request)")
    args = parser.parse_args()

    scenarios = (ROOT / "scenarios.yaml").read_text().replace("rate_limit: 10 ", "rate_limit: 0 ")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(scenarios)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--port", str(port), "--clock", "manual",
         "--scenarios", handle.name, "--seed", "1", "--log-level", args.log_level],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )
    try:
        asyncio.run(wait_ready(base, time.monotonic() + 20))
        asyncio.run(load(base, 200, 8, 10))  # warm-up
        sent, failures, latencies, elapsed = asyncio.run(load(base, args.requests, args.concurrency, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)
        os.unlink(handle.name)
    latencies.sort()
    print(f"single send, loopback, concurrency {args.concurrency}, log level {args.log_level}: "
          f"{sent} requests in {elapsed:.2f} s")
    print(f"  sends/s: {sent / elapsed:.0f}   failures: {failures}")
    print(f"  latency ms: p50 {1000 * statistics.median(latencies):.2f}  "
          f"p99 {1000 * latencies[int(len(latencies) * 0.99) - 1]:.2f}  max {1000 * latencies[-1]:.2f}")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
