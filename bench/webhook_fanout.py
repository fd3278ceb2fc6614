"""Webhook fan-out throughput: N WhatsApp messages, 3 events each, to a healthy loopback receiver that runs in
its own process (bench/peers/webhook_receiver.py, pinned to CPU 0; this process, the simulator, to CPU 1 when
there are two CPUs).

Prints events per second through the dispatcher on the manual clock, on uvloop and with the garbage-collector
policy as `postman-sim serve` runs, and the CPU each side spends on a delivery:
    .venv/bin/python -m bench.webhook_fanout [N] [ROUNDS] [aiohttp|lean]

Each round sends N messages through three statuses (3 N deliveries); the best round's rate is the figure, as
the 2-core machine is often shared. The receiver is an aiohttp app by default, or a lean httptools server
(see bench/peers/webhook_receiver.py).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bench.pinned import free_port, pinned_server
from simulator import create_app, parse_config
from simulator.cli.serve_loop import new_loop
from simulator.clock import ManualClock
from simulator.core import gcpolicy
from simulator.core.models import Facts
from simulator.webhooks import DISPATCHER

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = """
timelines:
  wa: [{after: 1, status: SENT}, {after: 1, status: DELIVERED}, {after: 1, status: READ}]
defaults: {v1.whatsapp: wa}
"""


async def run(count: int, receiver: str, rounds: int, kind: str = "aiohttp") -> None:
    app = create_app(parse_config(SCENARIOS), clock=ManualClock(start=1_767_225_600.0), seed=1)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    gcpolicy.install()  # as `postman-sim serve` does once the app is built
    await client.post("/_sim/webhooks", json={"url": receiver + "/hook", "format": "meta"})
    dispatcher = app[DISPATCHER]
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (the machine may be shared: "
          f"compare CPU a delivery; deliveries/s needs both CPUs to ourselves)")
    best = 0.0
    for round_ in range(rounds):
        for i in range(count):
            n = round_ * count + i
            dispatcher.engine.accept(face="v1", channel="whatsapp", tenant="bench", recipient=f"65{80000000 + n}",
                                     payload={}, facts=Facts(wamid=f"wamid.bench{n}"))
        before = await _receiver(client, receiver)
        started, cpu = time.perf_counter(), time.process_time()
        await client.post("/_sim/clock/advance", json={"seconds": 5})
        await dispatcher.drain()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = await _receiver(client, receiver)
        received = after["received"] - before["received"]
        per = max(received, 1)
        rate = received / elapsed
        best = max(best, rate)
        print(f"round {round_ + 1}: {received:,} webhook deliveries for {count:,} messages in {elapsed:.2f} s "
              f"= {rate:,.0f} deliveries/s; CPU a delivery: simulator {cpu / per * 1e6:.0f} µs "
              f"(one core's ceiling {per / cpu:,.0f}/s), receiver {(after['cpu'] - before['cpu']) / per * 1e6:.0f} µs")
    stats = dispatcher.stats()
    print(f"best round: {best:,.0f} deliveries/s (target ≥ 8,000/s: {'met' if best >= 8000 else 'not met'}; "
          f"manual clock, one loopback receiver ({kind}) in its own process, default 8 in flight per subscription; "
          f"dispatcher: {stats['delivered']:,} delivered, {stats['dead']:,} dead)")
    await client.close()


async def _receiver(client: TestClient, receiver: str) -> dict[str, float]:
    """The receiver's count of deliveries and its CPU seconds so far."""
    async with client.session.get(receiver + "/count") as answer:
        data: dict[str, float] = await answer.json()
        return data


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    kind = sys.argv[3] if len(sys.argv) > 3 else "aiohttp"
    two = (os.cpu_count() or 1) >= 2
    if two:
        os.sched_setaffinity(0, {1})
    port = free_port()
    command = [sys.executable, str(ROOT / "bench" / "peers" / "webhook_receiver.py"), str(port), kind]
    log = ROOT / ".bench-cache" / "webhook_receiver.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with (pinned_server(command, f"http://127.0.0.1:{port}/count", log, cwd=ROOT, cpu="0" if two else None),
          asyncio.Runner(loop_factory=new_loop) as runner):
        runner.run(run(count, f"http://127.0.0.1:{port}", rounds, kind))
    return 0


if __name__ == "__main__":
    sys.exit(main())
