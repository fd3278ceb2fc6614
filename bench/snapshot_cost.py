"""What `serve --snapshot` costs on a large store: write time, the longest event-loop stall, file size, load time.

Run: .venv/bin/python -m bench.snapshot_cost [messages]   (default 100,000)
The messages are accepted straight through the engine (no HTTP: the point is the snapshot), a third each on
v2 (compact V2Payload), v1 SMS and Qlara SMS, with the bundled scenarios; half the clock's work is then done
so the store holds both settled and in-flight messages. The write runs as the periodic write does, on a
running loop; a ticker task measures how late the loop answers while it runs.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import web

from bench.request_overhead import CAMPAIGN, ROOT
from simulator import create_app, load_config
from simulator.clock import ManualClock
from simulator.core import gcpolicy
from simulator.core.models import Facts
from simulator.faces.base import FACE_APPS
from simulator.faces.v2.payload import V2Payload
from simulator.snapshot import SNAPSHOT, load, write
from simulator.state import ENGINE

V1_KEY = "alice_v1_c2VjcmV0LWtleS1mb3ItYWxpY2UtMDAwMDAwMDAwMDAx"


def build(count: int) -> web.Application:
    app = create_app(load_config(ROOT / "scenarios.yaml"), clock=ManualClock(1_800_000_000.0), seed=7)
    engine = app[ENGINE]
    v2, v1 = app[FACE_APPS]["v2"], app[FACE_APPS]["v1"]
    campaign = v2.state.campaigns[CAMPAIGN]  # type: ignore[attr-defined]
    template = campaign.templates["english"]
    for i in range(count):
        recipient = f"659{i % 10_000:07d}"
        if i % 3 == 0:
            payload = V2Payload({"name": f"Tan {i}", "date": "1 Dec"}, template, campaign)
            engine.accept(face="v2", channel="sms", tenant=CAMPAIGN, recipient=recipient, payload=payload,
                          content=payload.full_message)
        elif i % 3 == 1:
            text = f"Your code is {i:06d}"
            v1.store("sms", V1_KEY, recipient, {"body": text, "label": "otp"}, text,  # type: ignore[attr-defined]
                     engine.plan("v1", "sms", V1_KEY, recipient, text))
        else:
            engine.accept(face="qlara", channel="sms", tenant="qlara-demo", recipient="+" + recipient,
                          payload={"customerMessageId": f"c{i}", "sender": "TechStore", "text": "hello",
                                   "campaignId": None, "simulation": False, "notify": True},
                          content="hello", facts=Facts(customer_message_id=f"c{i}"))
    return app


async def measure(count: int, folder: Path) -> None:
    app = build(count)
    engine = app[ENGINE]
    gcpolicy.install()  # as `postman-sim serve` does
    await engine.scheduler.advance(2.0)  # part way: some settled, many still due
    path = folder / "bench.snapshot"
    load(app, path)  # no file yet: sets up the status
    ticks: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            mark = time.perf_counter()
            await asyncio.sleep(0.001)
            ticks.append(time.perf_counter() - mark - 0.001)

    task = asyncio.create_task(ticker())
    started = time.perf_counter()
    await write(app)
    took = time.perf_counter() - started
    stop.set()
    await task
    status = app[SNAPSHOT]
    assert status.error is None and status.size is not None, status.error
    print(f"{count:,} messages ({len(engine.scheduler):,} due jobs): write {took * 1000:.0f} ms, longest loop "
          f"stall {max(ticks) * 1000:.0f} ms (ticker), {status.stall_ms} ms (writer's own measure), file "
          f"{status.size / 1e6:.1f} MB ({status.size / count:.0f} bytes a message)")

    fresh = create_app(load_config(ROOT / "scenarios.yaml"), clock=ManualClock(), seed=7)
    started = time.perf_counter()
    load(fresh, path)
    took = time.perf_counter() - started
    assert len(fresh[ENGINE].store) == len(engine.store)
    print(f"load: {took * 1000:.0f} ms for {len(fresh[ENGINE].store):,} messages, "
          f"{len(fresh[ENGINE].scheduler):,} due jobs rebuilt")


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(measure(count, Path(folder)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
