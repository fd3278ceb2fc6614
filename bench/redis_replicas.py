"""Replicas on Redis vs the in-memory default: v2 send rate and p99, --workers 2 vs 1, a big clock advance.

Starts its own redis-server (append-only file on, fsync every second: Redis's default durability) on a free
port, then the simulator as subprocesses: in memory, one replica on Redis, --workers 2 on Redis. Besides the
rate and p99 it prints the server's CPU per send (from /proc: steadier than the rate on a busy machine). The
advance is timed for --messages messages (default 1,000,000, stored by v2 batch uploads) driven to their
terminal status by one POST /_sim/clock/advance; with fewer, the figure for 1,000,000 is projected linearly
(and said to be projected).

    python -m bench.redis_replicas [--requests 4000] [--concurrency 32] [--messages 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from bench.pinned import cpu_seconds
from bench.send_rate import CAMPAIGN, KEY, ROOT, free_port, load, wait_ready

MILLION = 1_000_000
LIGHT = 4  # requests in flight for the light-load latency (at 32, p50 is 32 / rate by Little's law)


def _redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: apt-get install redis-server")
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "yes", "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return process, f"redis://127.0.0.1:{port}/0"


def _flush(url: str) -> None:
    port = url.rsplit(":", 1)[1].split("/")[0]
    subprocess.run(["redis-cli", "-p", port, "FLUSHDB"], check=True, stdout=subprocess.DEVNULL)


def _serve(scenarios: Path, extra: Sequence[str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "simulator", "serve", "--port", str(port), "--clock", "manual", "--scenarios",
         str(scenarios), "--seed", "1", "--log-level", "warning", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    asyncio.run(wait_ready(base, time.monotonic() + 30))
    return process, base


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


def _cpu(pids: Sequence[int]) -> float:
    """CPU seconds (user + system) the processes used so far (Linux /proc)."""
    return sum(cpu_seconds(pid) for pid in pids)


def _family(pid: int) -> list[int]:
    """The process and its children (--workers starts the workers as children)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
    return [pid, *children]


def _run(base: str, requests: int, concurrency: int) -> tuple[float, float]:
    sent, failures, latencies, elapsed = asyncio.run(load(base, requests, concurrency, 60))
    if failures:
        raise SystemExit(f"{failures} sends failed at {base}")
    latencies.sort()
    return sent / elapsed, 1000 * latencies[int(len(latencies) * 0.99) - 1]


def _rate(base: str, pids: Sequence[int], requests: int, concurrency: int) -> tuple[float, float, float, float]:
    """(sends per second, p99 ms at `concurrency`, p99 ms at LIGHT in flight, server CPU µs per send)."""
    asyncio.run(load(base, 200, 8, 10))
    used = _cpu(pids)
    rate, p99 = _run(base, requests, concurrency)
    per_send = (_cpu(pids) - used) / requests * 1e6
    return rate, p99, _run(base, requests // 4, LIGHT)[1], per_send


BATCH_ROWS = 50_000  # the bench's scenarios raise v2.batch_max_rows (20 in the test environment) to this


async def _advance(base: str, messages: int) -> float:
    """Put `messages` in the store, then time one advance that drives them all to a terminal status. Up to
    BATCH_ROWS they are single sends (64 in flight); past that, v2 batch CSV uploads of BATCH_ROWS rows, so a
    million messages take minutes rather than a quarter of an hour on Redis."""
    campaign = f"{base}/api/v2/campaigns/{CAMPAIGN}"
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64),
                                     timeout=aiohttp.ClientTimeout(total=None)) as session:
        async def send(count: int) -> None:
            for _ in range(count):
                async with session.post(f"{campaign}/messages", json=body, headers=headers) as response:
                    assert response.status == 201, await response.text()

        async def batch(rows: int) -> None:
            form = aiohttp.FormData()
            text = "recipient,language,name,date\n" + "6591234567,english,Tan,1 Dec\n" * rows
            form.add_field("file", text.encode(), filename="batch.csv", content_type="text/csv")
            async with session.post(f"{campaign}/batch/messages", data=form, headers=headers) as response:
                assert response.status == 201, await response.text()

        if messages <= BATCH_ROWS:
            await asyncio.gather(*(send(messages // 64 + (i < messages % 64)) for i in range(64)))
        else:
            filled = time.perf_counter()
            for start in range(0, messages, BATCH_ROWS):
                await batch(min(BATCH_ROWS, messages - start))
            print(f"  {messages:,} messages stored by batch uploads in {time.perf_counter() - filled:.1f} s",
                  flush=True)
        started = time.perf_counter()
        async with session.post(f"{base}/_sim/clock/advance", json={"seconds": 3600}) as response:
            ran = (await response.json())["ran"]
        elapsed = time.perf_counter() - started
        assert ran >= messages, ran
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--messages", type=int, default=MILLION, help="messages for the timed advance")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="postman-sim-bench-"))
    scenarios = folder / "scenarios.yaml"
    scenarios.write_text((ROOT / "scenarios.yaml").read_text().replace("rate_limit: 10 ", "rate_limit: 0 ")
                         .replace("batch_max_rows: 20 ", f"batch_max_rows: {BATCH_ROWS} "))
    redis, url = _redis(folder)
    results: dict[str, tuple[float, float, float, float]] = {}
    try:
        for name, extra in (("memory", []), ("redis, 1 replica", ["--state", url]),
                            ("redis, --workers 2", ["--state", url, "--workers", "2"])):
            _flush(url)
            server, base = _serve(scenarios, extra)
            try:
                results[name] = _rate(base, _family(server.pid), args.requests, args.concurrency)
            finally:
                _stop(server)
        advances = {}
        for name, extra in (("memory", []), ("redis", ["--state", url])):
            _flush(url)
            server, base = _serve(scenarios, extra)
            try:
                advances[name] = asyncio.run(_advance(base, args.messages))
            finally:
                _stop(server)
    finally:
        redis.terminate()
        redis.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
    memory_rate = results["memory"][0]
    print(f"v2 single send, loopback, concurrency {args.concurrency}, {args.requests} requests each:")
    memory_cpu = results["memory"][3]
    for name, (rate, p99, light, cpu) in results.items():
        print(f"  {name:<20} {rate:6.0f} sends/s ({rate / memory_rate:.2f}x memory)  p99 {p99:6.2f} ms  "
              f"p99 with {LIGHT} in flight {light:6.2f} ms  server CPU {cpu:4.0f} µs/send "
              f"({memory_cpu / cpu:.2f}x memory's rate per CPU)")
    one, two = results["redis, 1 replica"][0], results["redis, --workers 2"][0]
    print(f"  --workers 2 vs 1 on Redis: {two / one:.2f}x (every worker applies every write; see docs/deployment.md)")
    scale = MILLION / args.messages
    print(f"one advance driving {args.messages:,} v2 messages (5 transitions each) to success:")
    for name, seconds in advances.items():
        projected = "" if scale == 1 else f"   projected for 1,000,000 messages (x{scale:g}, linear): " \
            f"{seconds * scale:.0f} s"
        print(f"  {name:<20} {seconds:7.2f} s{projected}")
    print("  (one run each; Redis with its append-only file, fsync every second)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
