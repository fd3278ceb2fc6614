"""CPU a v2 message's whole lifecycle costs the engine and scheduler, in process: its steps falling due at
distinct instants (the real clock under load) against all messages' steps at one instant (one big advance).

Run: .venv/bin/python -m bench.lifecycle_cost [messages]
No server and no sockets: the engine accepts `messages` sends (on the manual clock, 1/3,000 s apart for the
spread case, as a real-clock server at 3,000 sends/s would see them), then runs every step: in 1/3,000 s
catch-ups, as requests do on the real clock, or in one advance. The two cases alternate, ROUNDS times each,
so noise from other work on the machine hits both; pin it (`taskset -c 1`) for steadier figures.
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
from simulator.state import ENGINE

SCENARIOS = ROOT / "bench" / "peers" / "scenarios.yaml"
RATE = 3000.0  # sends (and catch-ups) a second in the spread case
ROUNDS = 3


async def lifecycle_us(messages: int, spread: bool) -> float:
    """CPU µs a message for running every step of `messages` v2 sends (the sends themselves not counted)."""
    clock = ManualClock(start=1_767_225_600.0)
    engine = create_app(load_config(SCENARIOS), clock=clock, seed=1)[ENGINE]
    gcpolicy.install()  # as the server runs
    for _ in range(messages):
        engine.accept(face="v2", channel="sms", tenant=CAMPAIGN, recipient="6591234567", payload={"a": 1})
        if spread:
            clock.set(clock.now() + 1 / RATE)
    started = time.process_time()
    if spread:
        end = clock.now() + 60
        while len(engine.scheduler) and clock.now() < end:
            clock.set(clock.now() + 1 / RATE)
            engine.scheduler.run_due_nowait()
    else:
        await engine.scheduler.advance(60)
    used = time.process_time() - started
    if len(engine.scheduler):
        raise RuntimeError(f"{len(engine.scheduler)} steps left: the bench scenarios' lifecycle is over 60 s")
    gcpolicy.release()
    return used / messages * 1e6


def main() -> None:
    messages = int(sys.argv[1]) if len(sys.argv) > 1 else 30_000
    results: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(ROUNDS):
        for spread in (True, False):
            results[spread].append(asyncio.run(lifecycle_us(messages, spread)))
    print(f"{messages:,} v2 messages, send to terminal status; CPU µs a message, median of {ROUNDS} (all rounds)")
    for spread, label in ((True, f"steps at distinct instants ({RATE:,.0f}/s)"), (False, "steps at one instant")):
        rounds = ", ".join(f"{value:.1f}" for value in results[spread])
        print(f"  {label:<38} {statistics.median(results[spread]):6.1f}   ({rounds})")


if __name__ == "__main__":
    main()
