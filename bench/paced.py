"""An open-loop load generator: v2 sends at a constant rate, each timed from when it was due (as wrk2 does).

bench.sustained used autocannon's `-R`, but autocannon spends its rate as a per-second quota on each
connection (lib/httpClient.js: `reqsMadeThisSecond`, reset by a one-second `setInterval`): every connection
sends back to back at the start of each second until its quota is used, so the server saw bursts of 32 in
flight and the p99 measured the queue of each burst (18 ms at 500 sends/s, where requests spread over the
second measured 3.7 ms). Here request i is due at start + i / rate; `connections` workers (one keep-alive
connection each) take the next due slot, wait for its time and send it. Latency runs from the due time, so
a server stall counts for every request that should have gone out meanwhile (coordinated omission corrected),
and a slow client shows as latency too, never as a lower rate. Sleeps wake up to ~1 ms late (the loop's timers).

    .venv/bin/python -m bench.paced URL RATE SECONDS [CONNECTIONS]   # prints one JSON line
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field

import aiohttp

from bench.peer_requests import V2_SEND
from simulator.cli.serve_loop import new_loop


@dataclass
class Tally:
    """What one run saw: answers by kind and the latency of each answered request, from its due time."""

    ok: int = 0
    non_2xx: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def report(self) -> dict[str, float]:
        ordered = sorted(self.latencies_ms)

        def at(share: float) -> float:
            return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0

        return {"2xx": self.ok, "non2xx": self.non_2xx, "errors": self.errors, "p50": at(0.5), "p99": at(0.99),
                "max": ordered[-1] if ordered else 0.0}


async def paced(url: str, rate: float, seconds: float, connections: int) -> Tally:
    tally = Tally()
    clock = time.perf_counter  # the loop's own clock has whole milliseconds under uvloop
    body, headers = V2_SEND.payload.encode(), V2_SEND.all_headers()
    total = int(rate * seconds)
    next_slot = 0
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections), timeout=timeout) as session:
        start = clock() + 0.1

        async def worker() -> None:
            nonlocal next_slot
            while next_slot < total:
                due = start + next_slot / rate
                next_slot += 1
                wait = due - clock()
                if wait > 0:
                    await asyncio.sleep(wait)
                try:
                    async with session.post(url + V2_SEND.path, data=body, headers=headers) as answer:
                        await answer.read()
                        status = answer.status
                except (TimeoutError, aiohttp.ClientError):
                    tally.errors += 1
                    continue
                tally.latencies_ms.append((clock() - due) * 1000)
                if 200 <= status < 300:
                    tally.ok += 1
                else:
                    tally.non_2xx += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
    return tally


def main(argv: list[str]) -> int:
    url, rate, seconds = argv[0], float(argv[1]), float(argv[2])
    connections = int(argv[3]) if len(argv) > 3 else 32
    with asyncio.Runner(loop_factory=new_loop) as runner:
        tally = runner.run(paced(url, rate, seconds, connections))
    print(json.dumps(tally.report()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
