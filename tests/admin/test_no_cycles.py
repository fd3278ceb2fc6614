"""Refused requests leave no reference cycles: `postman-sim serve` freezes what outlives a middle GC collection
(simulator/core/gcpolicy.py), so a cycle still alive then would be kept for good, one per refused request."""

from __future__ import annotations

import gc
import types

from tests.conftest import DEMO_CAMPAIGN, Sim

SEND = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"
REFUSED = (("GET", "/nothing", 404), ("GET", "/api/v2/nothing", 404), ("DELETE", SEND, 405), ("GET", "/V1/x", 404),
           ("GET", "/_sim/nothing", 404))


async def test_unknown_paths_and_wrong_methods_leave_no_tracebacks_in_cycles(sim: Sim) -> None:
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds unreachable is kept in gc.garbage, to be looked at
    try:
        for method, path, status in REFUSED:
            for _ in range(3):
                async with sim.client.request(method, path) as response:
                    assert response.status == status
                    await response.read()
        gc.collect()
        tracebacks = [o for o in gc.garbage if isinstance(o, types.TracebackType)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert tracebacks == []
