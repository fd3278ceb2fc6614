"""Hot reload's background poller, which runs on real time (it sleeps between looks at the file)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.conftest import SimFactory
from tests.faces.v2.helpers import get_message, send_ok
from tests.scenarios.test_scenarios_reload import FAST_FAILURE, SLOW_SUCCESS, file_sim, view


async def test_background_poller_reloads_without_a_request(make_sim: SimFactory, tmp_path: Path) -> None:
    sim, path = await file_sim(make_sim, tmp_path, SLOW_SUCCESS)
    path.write_text(FAST_FAILURE, encoding="utf-8")
    deadline = time.monotonic() + 5
    while (await view(sim))["reloads"] == 0:
        assert time.monotonic() < deadline, "the file poller did not pick up the change"
        await asyncio.sleep(0.05)
    created = await send_ok(sim)
    await sim.advance(2)
    assert (await get_message(sim, created["id"]))["latestStatus"] == "failure"


