"""What eviction costs once `--max-messages` is reached: a store holding a million settled v2 messages takes
100,000 more sends (1/4,000 s apart on the manual clock, each run to its terminal status as it falls due), so
every send past the bound evicts one. Prints the CPU µs a message (send, lifecycle and eviction together) and
each eviction batch's time (Store._forget, timed around each call): a batch is a pause every request waits
behind, so its worst time matters as much as the total.

Run: .venv/bin/python -m bench.eviction_cost [held]      # pin it (taskset -c 1) for steadier figures
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from bench.request_overhead import CAMPAIGN, ROOT
from simulator import create_app, load_config
from simulator.clock import ManualClock
from simulator.core import gcpolicy
from simulator.core.models import Message
from simulator.state import ENGINE

SCENARIOS = ROOT / "bench" / "peers" / "scenarios.yaml"
RATE = 4000.0
MORE = 100_000


async def measure(held: int) -> None:
    clock = ManualClock(start=1_767_225_600.0)
    engine = create_app(load_config(SCENARIOS), clock=clock, seed=1)[ENGINE]
    gcpolicy.install()  # as the server runs
    store = engine.store
    store.configure(max_messages=held)

    def send() -> None:
        engine.accept(face="v2", channel="sms", tenant=CAMPAIGN, recipient="6591234567", payload={"a": 1})
        clock.set(clock.now() + 1 / RATE)
        engine.scheduler.run_due_nowait()

    for _ in range(held):
        send()
    await engine.scheduler.advance(60)
    batches: list[float] = []
    forget = store._forget

    def timed(gone: list[Message]) -> None:
        started = time.perf_counter()
        forget(gone)
        batches.append(time.perf_counter() - started)

    store._forget = timed  # type: ignore[method-assign]
    started = time.process_time()
    for _ in range(MORE):
        send()
    used = time.process_time() - started
    gcpolicy.release()
    print(f"{held:,} held, {MORE:,} more sends: {used / MORE * 1e6:.1f} CPU µs a message (send, lifecycle, eviction)")
    print(f"  {len(batches)} eviction batches: median {statistics.median(batches) * 1e3:.2f} ms, "
          f"max {max(batches) * 1e3:.2f} ms, {sum(batches) / MORE * 1e6:.1f} µs a message")


def main() -> None:
    asyncio.run(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))


if __name__ == "__main__":
    main()
