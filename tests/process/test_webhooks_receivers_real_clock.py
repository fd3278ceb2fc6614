"""Receiver libraries verify every format on the real clock (wall-clock signing timestamps)."""

from __future__ import annotations

from typing import Any

from simulator import SystemClock, create_app, parse_config
from simulator.state import ENGINE
from tests.webhooks.receiver import wait_for
from tests.webhooks.test_webhooks_receivers import (
    EXPECTED,
    HOUR,
    SCENARIOS,
    STANDARD_EVENTS,
    assert_everything_verified,
    send_all,
    subscribe_all,
)


async def test_libraries_verify_every_format_on_the_real_clock(aiohttp_client: Any, aiohttp_server: Any) -> None:
    # Sped up 600 times and jumped an hour ahead: simulated time is far from the libraries' wall clock.
    app = create_app(parse_config(SCENARIOS), clock=SystemClock(speed=600.0), seed=1)
    client = await aiohttp_client(app)
    receivers, pywa = await subscribe_all(client, aiohttp_server)
    assert (await client.post("/_sim/clock/advance", json={"seconds": HOUR})).status == 200
    send_all(app[ENGINE])
    # 20 simulated seconds take ~35 ms at speed 600; the wait is bounded in real time
    # every receiver's count, not only some: deliveries to different receivers finish in any order
    await wait_for(lambda: len(pywa.raw) == 5 and len(receivers["standard"].accepted) == STANDARD_EVENTS
                   and all(len(receivers[name].accepted) >= count for name, count in EXPECTED.items()),
                   seconds=10)
    assert_everything_verified(receivers, pywa)
