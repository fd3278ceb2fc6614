"""Rate-limit windows on wall time (the default): a client that waits out Retry-After in real time is let
back in on the manual clock, which nobody advances. One real wait of 1.1 s: wall-clock behaviour by design."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, Sim, SimFactory, default_config, simulated_windows
from tests.faces.qlara.helpers import KEY as QLARA_KEY
from tests.faces.v1.client import KEY as V1_KEY
from tests.faces.v1.client import SMS

V2_LIST = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"
V2_AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}
QLARA_NUMBERS = "/api/message-server/whatsapp/phone-numbers"
V1_SMS = {"body": "Your code is 123456", "recipient": "6591234567", "label": "default"}


async def v2_get(sim: Sim) -> int:
    return (await sim.client.get(V2_LIST, headers=V2_AUTH)).status


async def v1_send(sim: Sim) -> int:
    response = await sim.client.post(f"{SMS}/send", json=V1_SMS, headers={"Authorization": f"Bearer {V1_KEY}"})
    return response.status


async def qlara_get(sim: Sim) -> int:
    return (await sim.client.get(QLARA_NUMBERS, headers=QLARA_KEY)).status


async def test_a_polling_client_that_waits_out_retry_after_gets_in_again(sim: Sim) -> None:
    polls = [await v2_get(sim) for _ in range(11)]              # seed 002: 10 requests a second per campaign
    assert polls == [200] * 10 + [429]
    response = await sim.client.get(V2_LIST, headers=V2_AUTH)
    assert response.status == 429 and response.headers["Retry-After"] == "1"
    await asyncio.sleep(1.1)                                     # real time; the manual clock stays put
    assert await v2_get(sim) == 200
    assert (await (await sim.client.get("/_sim/clock")).json())["kind"] == "manual"


async def test_v1_and_qlara_windows_are_on_wall_time_too(sim: Sim) -> None:
    v1 = [await v1_send(sim) for _ in range(11)]
    qlara = [await qlara_get(sim) for _ in range(51)]
    assert v1[-1] == 429 and qlara[-1] == 429
    await asyncio.sleep(1.1)
    assert (await v1_send(sim), await qlara_get(sim)) == (201, 200)


async def test_simulated_windows_are_left_only_by_advancing_the_clock(make_sim: SimFactory) -> None:
    sim = await make_sim(config=simulated_windows(default_config()))
    assert [await v2_get(sim) for _ in range(11)][-1] == 429
    await asyncio.sleep(1.1)
    assert await v2_get(sim) == 429                              # deterministic: real time does not count
    await sim.advance(1)
    assert await v2_get(sim) == 200


@pytest.mark.parametrize("section", ["v2", "v1", "qlara"])
async def test_an_unknown_rate_limit_clock_is_refused_naming_the_key(make_sim: SimFactory, section: str) -> None:
    with pytest.raises(ValueError, match=rf"{section}\.rate_limit_clock must be 'wall' or 'simulated'"):
        await make_sim(f"{section}:\n  rate_limit_clock: sim\n")
