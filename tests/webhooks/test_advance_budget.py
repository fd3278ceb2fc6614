"""An advance answers within its wait budget whatever a receiver does (issue 10): a receiver that accepts
the connection and never answers holds only its own deliveries, which carry on after the advance returns."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from simulator.clock import monotonic
from tests.admin.test_telemetry import scrape
from tests.conftest import START, Sim, SimFactory, default_config
from tests.webhooks.receiver import start_receiver

V1 = {"Authorization": "Bearer alice_v1_c2VjcmV0"}
BUDGET = 0.5      # webhooks.advance_wait in these tests (real seconds)
TIMEOUT = 4.0     # the hanging subscription's own delivery timeout: far longer than the budget
SLACK = 1.0       # real seconds an advance may take beyond its budget on a busy 2-core machine


@dataclasses.dataclass
class Hanging:
    """A TCP listener on loopback that accepts every connection, reads, and never answers."""

    server: asyncio.Server
    accepted: int = 0

    @property
    def url(self) -> str:
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/h"


@pytest.fixture
async def hanging() -> AsyncIterator[Hanging]:
    writers: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        holder.accepted += 1
        writers.append(writer)
        while not reader.at_eof():  # read what comes, answer nothing
            await reader.read(65536)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    holder = Hanging(server)
    yield holder
    for writer in writers:
        writer.close()
    server.close()


async def _sim(make_sim: SimFactory, **webhooks: Any) -> Sim:
    config = default_config()
    section = {**config.section("webhooks"), "advance_wait": BUDGET, **webhooks}
    return await make_sim(config=dataclasses.replace(config, sections={**config.sections, "webhooks": section}))


async def _subscribe(sim: Sim, sub_id: str, url: str) -> None:
    response = await sim.client.post("/_sim/webhooks", json={"id": sub_id, "url": url, "format": "standard",
                                                             "channels": ["sms"], "timeout": TIMEOUT})
    assert response.status == 201, await response.text()


async def _send_sms(sim: Sim, count: int) -> None:
    for i in range(count):
        response = await sim.client.post("/v1/transactional/sms/send", headers=V1,
                                         json={"body": f"OTP {i}", "recipient": f"659000000{i}", "label": "default"})
        assert response.status == 201, await response.text()


async def test_advance_answers_within_its_budget_while_a_receiver_hangs(
        make_sim: SimFactory, aiohttp_server: Any, hanging: Hanging) -> None:
    sim = await _sim(make_sim)
    healthy = await start_receiver(aiohttp_server, clock=sim.clock)
    await _subscribe(sim, "stuck", hanging.url)
    await _subscribe(sim, "healthy", healthy.url)
    await _send_sms(sim, 3)

    started = monotonic()
    answer = await sim.advance(10)
    took = monotonic() - started

    assert took < BUDGET + SLACK, f"advance took {took:.2f} s with a {BUDGET} s budget"
    assert answer["inFlight"] == 9  # 3 SMS x 3 statuses to the hanging receiver, still running
    stuck = await (await sim.client.get("/_sim/webhooks/stuck")).json()
    assert stuck["in_flight"] == 9 and stuck["stats"]["delivered"] == 0
    # The healthy subscription is not held back: all its events (three instants) arrived during the advance.
    good = await (await sim.client.get("/_sim/webhooks/healthy")).json()
    assert good["stats"] == {"events": 9, "pending": 0, "delivered": 9, "dead": 0}
    assert len(healthy.posts) == 9
    assert hanging.accepted >= 1


async def test_deliveries_left_in_flight_are_recorded_and_retried_at_the_next_advance(
        make_sim: SimFactory, aiohttp_server: Any, hanging: Hanging) -> None:
    sim = await _sim(make_sim)
    await _subscribe(sim, "stuck", hanging.url)
    await _send_sms(sim, 1)
    assert (await sim.advance(10))["inFlight"] == 3

    await asyncio.sleep(TIMEOUT + 0.5)  # the receiver's own timeout is real time: nothing on the clock ends it
    attempts = (await (await sim.client.get("/_sim/webhooks/deliveries?subscription_id=stuck")).json())["data"]
    assert len(attempts) == 3 and {a["error_class"] for a in attempts} == {"timeout"}  # recorded as usual
    assert all(a["next_attempt_at"] is not None for a in attempts)
    stuck = await (await sim.client.get("/_sim/webhooks/stuck")).json()
    assert stuck["stats"]["pending"] == 3  # not lost: their retries were due already, so they run again
    assert stuck["in_flight"] == 3

    started = monotonic()
    answer = await sim.advance(1)
    assert monotonic() - started < BUDGET + SLACK
    assert answer["inFlight"] == 3


async def test_a_client_that_leaves_mid_advance_is_not_a_500(
        make_sim: SimFactory, hanging: Hanging) -> None:
    sim = await _sim(make_sim, advance_wait=2.0)
    await _subscribe(sim, "stuck", hanging.url)
    await _send_sms(sim, 1)
    request = asyncio.ensure_future(sim.client.post("/_sim/clock/advance", json={"seconds": 10}))
    await asyncio.sleep(0.3)
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    await asyncio.sleep(2.5)  # the advance itself finishes its budget on the server
    assert (await (await sim.client.get("/_sim/clock")).json())["epoch"] == START + 10  # it ran to the end
    counts = await scrape(sim)
    assert ("postman_sim_requests_total", (("code", "500"), ("face", "admin"))) not in counts
    assert counts[("postman_sim_requests_total", (("code", "499"), ("face", "admin")))] == 1


async def test_a_wrong_advance_wait_is_refused_at_start(make_sim: SimFactory) -> None:
    with pytest.raises(ValueError, match=r"webhooks\.advance_wait: .*-1"):
        await make_sim("webhooks: {advance_wait: -1}\n")
