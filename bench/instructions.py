"""Server instructions per request under callgrind: the steadiest cost figure on a shared machine.

Runs `python -m simulator serve` (from each source tree given: A/B against a copy of an older commit) under
`valgrind --tool=callgrind` with instrumentation off, warms it up with 300 requests, then counts the user-space
instructions the server executes for a fixed number of requests sent by an aiohttp client (8 in flight). The
count repeats to within 0.1 % between runs and does not care what else the machine runs; it leaves out the
kernel (socket calls) and memory stalls, so it ranks changes rather than predicting req/s. The real clock's
figure includes the transitions that fell due while the requests ran (the server is ~50x slower under
valgrind, so its scheduler wakes more often than it would at full speed).

    .venv/bin/python -m bench.instructions [--roots . /tmp/base] [--requests v2_send,qlara_sms] [-n 500]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import aiohttp

from bench.cpu_cost import REQUESTS
from bench.peer_requests import BenchRequest
from bench.pinned import free_port

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "bench" / "peers" / "scenarios.yaml"


async def _load(url: str, request: BenchRequest, count: int, in_flight: int = 8) -> None:
    left = count
    body, headers = request.payload.encode(), request.all_headers()
    async with aiohttp.ClientSession() as session:
        async def worker() -> None:
            nonlocal left
            while left > 0:
                left -= 1
                async with session.post(url + request.path, data=body, headers=headers) as answer:
                    await answer.read()
                    if answer.status != request.status:
                        raise RuntimeError(f"{request.name}: HTTP {answer.status}: {await answer.text()}")
        await asyncio.gather(*(worker() for _ in range(in_flight)))


def _wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/_sim/health", timeout=5):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError("the server did not come up under valgrind")


def _control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args], check=True, capture_output=True)


def instructions(root: Path, name: str, clock: str, count: int, log_level: str = "warning") -> float:
    """User-space instructions per request of `name`, served from the tree at `root`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as scratch:
        err = Path(scratch) / "valgrind.err"
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                   f"--callgrind-out-file={scratch}/callgrind.out", sys.executable, "-m", "simulator", "serve",
                   "--port", str(port), "--scenarios", str(SCENARIOS), "--clock", clock, "--log-level", log_level,
                   "--seed", "1"]
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": "0"}
        with err.open("w") as stderr:
            process = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
            try:
                _wait_until_up(url, process)
                asyncio.run(_load(url, REQUESTS[name], 300))  # warm up
                _control("-i", "on", str(process.pid))
                asyncio.run(_load(url, REQUESTS[name], count))
                _control("-i", "off", str(process.pid))
            finally:
                process.terminate()
                process.wait(60)
        found = re.search(r"Collected : (\d+)", err.read_text())
    if found is None:
        raise RuntimeError("valgrind reported no instruction count")
    return int(found.group(1)) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--roots", nargs="+", default=[str(ROOT)])
    parser.add_argument("--requests", default="v2_send")
    parser.add_argument("--clock", default="manual")
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("-n", type=int, default=500)
    args = parser.parse_args()
    for name in args.requests.split(","):
        for root in args.roots:
            per = instructions(Path(root).resolve(), name, args.clock, args.n, args.log_level)
            print(f"{name:<15} {args.clock:<6} {root:<28} {per / 1e3:8.1f} k instructions/request", flush=True)


if __name__ == "__main__":
    main()
