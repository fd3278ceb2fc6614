"""Every pack in scenarios/ loads and does what its header says (v2 over HTTP, v1/qlara through the engine)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from simulator import load_config
from simulator.core.models import Message
from tests.conftest import Sim, SimFactory, simulated_windows
from tests.faces.v2.helpers import auth, get_message, send
from tests.scenarios.helpers import PACKS, history, pack

CAMPAIGN = "campaign_00000000-0000-4000-8000-0000000000aa"
KEY = "key_test_pack_tests_campaign_key_000001"


async def pack_sim(make_sim: SimFactory, name: str, seed: int = 0) -> Sim:
    return await make_sim(config=simulated_windows(load_config(pack(name))), seed=seed)


async def v2_send(sim: Sim, recipient: str = "6591234567") -> tuple[int, dict]:
    response = await send(sim, recipient, campaign=CAMPAIGN, key=KEY)
    return response.status, (await response.json()) if response.content_type == "application/json" else {}


async def v2_status(sim: Sim, message_id: str) -> dict:
    return await get_message(sim, message_id, campaign=CAMPAIGN, key=KEY)


def accept(sim: Sim, flow: str, recipient: str = "6591234567") -> Message:
    face, channel = flow.split(".")
    return sim.engine.accept(face=face, channel=channel, tenant="pack-tests", recipient=recipient, payload={})


def test_there_are_the_seven_packs() -> None:
    assert {p.name for p in PACKS} >= {"telco-outage.yaml", "peak-hour-slow.yaml", "whatsapp-read-receipts-off.yaml",
                                       "email-bounce-storm.yaml", "rate-limit-pressure.yaml",
                                       "flaky-then-recovery.yaml", "realistic-timing.yaml"}


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.name)
def test_every_pack_loads_and_documents_itself_in_its_header(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = text.split("\nversion:")[0]
    assert header.startswith("# Pack: ")
    assert f"postman-sim serve --scenarios scenarios/{path.name}" in header
    assert len(header.splitlines()) >= 8
    load_config(path)


# -- telco outage -------------------------------------------------------------------------------

async def test_telco_outage_fails_sms_for_ten_minutes_then_recovers(make_sim: SimFactory) -> None:
    sim = await pack_sim(make_sim, "telco-outage.yaml")
    status, during = await v2_send(sim)
    assert status == 201
    v1_during, qlara_during = accept(sim, "v1.sms"), accept(sim, "qlara.sms")
    await sim.advance(6)
    message = await v2_status(sim, during["id"])
    assert message["latestStatus"] == "failure"
    assert message["attempts"][0]["error"] == {"type": "delivery_error", "code": "routing_error"}
    assert [s for s, _ in history(sim, during["id"])][-2:] == ["sent_to_telco", "failure"]
    assert v1_during.status == "ERROR" and v1_during.error is not None and v1_during.error.code == "30008"
    assert qlara_during.status == "ERROR"

    await sim.advance(600 - 6 - 1)             # +599 s: still inside the window
    _, late = await v2_send(sim)
    await sim.advance(1)                       # the window closes while it is in flight: it keeps its plan
    _, after = await v2_send(sim)
    v1_after, qlara_after = accept(sim, "v1.sms"), accept(sim, "qlara.sms")
    await sim.advance(6)
    assert (await v2_status(sim, late["id"]))["latestStatus"] == "failure"
    assert (await v2_status(sim, after["id"]))["latestStatus"] == "success"
    assert (v1_after.status, qlara_after.status) == ("DELIVERED", "DELIVERED")


async def test_telco_outage_window_starts_again_after_a_reset(make_sim: SimFactory) -> None:
    sim = await pack_sim(make_sim, "telco-outage.yaml")
    await sim.advance(700)
    assert accept(sim, "v1.sms").attempt.plan.rule == "default v1.sms"
    assert (await sim.client.post("/_sim/reset")).status == 200
    assert accept(sim, "v1.sms").attempt.plan.rule == "telco outage (v1 sms)"


# -- peak-hour slow delivery ------------------------------------------------------------------

async def test_peak_hour_delivery_takes_three_to_five_minutes(make_sim: SimFactory) -> None:
    sim = await pack_sim(make_sim, "peak-hour-slow.yaml", seed=21)
    ids = []
    for _ in range(9):                         # under the face's own 10 requests per second
        status, body = await v2_send(sim)
        assert status == 201
        ids.append(body["id"])
    others = [accept(sim, "v1.sms") for _ in range(5)] + [accept(sim, "qlara.sms") for _ in range(5)]
    await sim.advance(179)
    assert [(await v2_status(sim, i))["latestStatus"] for i in ids] == ["enqueued"] * len(ids)
    assert all(m.status != "DELIVERED" for m in others)
    await sim.advance(121)
    finals = [history(sim, i)[-1] for i in ids]
    assert all(status == "success" and 180 <= at <= 300 for status, at in finals)
    assert len({at for _, at in finals}) == len(finals)            # each message drew its own delay
    for message in others:
        assert message.status == "DELIVERED"
        assert 180 <= message.updated_at - message.created_at <= 300


# -- realistic timing ---------------------------------------------------------------------------

async def test_realistic_timing_expires_48_hours_after_sent_to_telco(make_sim: SimFactory) -> None:
    sim = await pack_sim(make_sim, "realistic-timing.yaml", seed=3)
    status, expiring = await v2_send(sim, "6511115555")
    assert status == 201
    await sim.advance(36)
    assert (await v2_status(sim, expiring["id"]))["latestStatus"] == "sent_to_telco"
    await sim.advance(48 * 3600 - 1)                            # 48 h after sent_to_telco, less a second
    assert (await v2_status(sim, expiring["id"]))["latestStatus"] == "sent_to_telco"
    await sim.advance(1)
    expired = await v2_status(sim, expiring["id"])
    assert expired["latestStatus"] == "failure" and expired["attempts"][-1]["error"]["code"] == "message_expired"


async def test_realistic_timing_success_takes_minutes_and_test_numbers_stay_fast(make_sim: SimFactory) -> None:
    sim = await pack_sim(make_sim, "realistic-timing.yaml", seed=3)
    ids = [(await v2_send(sim, f"659123450{i}"))[1]["id"] for i in range(5)]
    fast = (await v2_send(sim, "6511111111"))[1]["id"]
    await sim.advance(60)
    assert "success" not in [(await v2_status(sim, i))["latestStatus"] for i in ids]
    assert (await v2_status(sim, fast))["attempts"][-1]["error"]["code"] == "recipient_invalid"  # bundled: 6 s
    await sim.advance(300)
    finals = [history(sim, i)[-1] for i in ids]
    assert all(status == "success" and 86 <= at <= 249 for status, at in finals)
    assert len({at for _, at in finals}) == len(finals)


# -- read receipts off --------------------------------------------------------------------------

async def test_whatsapp_read_receipts_off_stops_at_delivered(make_sim: SimFactory) -> None:
    sim = await pack_sim(make_sim, "whatsapp-read-receipts-off.yaml")
    quiet = [accept(sim, "v1.whatsapp"), accept(sim, "qlara.whatsapp")]
    readers = [accept(sim, "v1.whatsapp", "+6580000001"), accept(sim, "qlara.whatsapp", "6580000001")]
    await sim.advance(3600)
    for message in quiet:
        assert message.status == "DELIVERED"
        assert "READ" not in [c.status for c in message.attempt.history]
    assert [m.status for m in readers] == ["READ", "READ"]


# -- e-mail bounce storm ------------------------------------------------------------------------

async def test_email_bounce_storm_follows_its_weights_and_seed(make_sim: SimFactory) -> None:
    async def run(seed: int) -> list[tuple[str, str | None]]:
        sim = await pack_sim(make_sim, "email-bounce-storm.yaml", seed=seed)
        messages = [accept(sim, "v1.email", f"user{i}@example.com") for i in range(400)]
        await sim.advance(120)
        return [(m.status, None if m.error is None else m.error.code) for m in messages]

    outcomes = await run(42)
    counts = Counter(outcomes)
    assert 120 <= counts[("BOUNCED", "Hard bounce")] <= 200          # 40 % of 400 = 160
    assert 20 <= counts[("BOUNCED", "Soft bounce")] <= 60            # 10 % = 40
    assert 5 <= counts[("COMPLAINT", "abuse")] <= 40                 # 5 % = 20
    assert 140 <= counts[("DELIVERED", None)] <= 220                 # 45 % = 180
    assert await run(42) == outcomes
    assert await run(43) != outcomes


async def test_email_bounce_storm_ses_simulator_addresses_are_fixed(make_sim: SimFactory) -> None:
    sim = await pack_sim(make_sim, "email-bounce-storm.yaml")
    bounce = [accept(sim, "v1.email", "Bounce@Simulator.AmazonSES.com") for _ in range(5)]
    complaint = accept(sim, "v1.email", "complaint@simulator.amazonses.com")
    success = accept(sim, "v1.email", "success@simulator.amazonses.com")
    await sim.advance(120)
    assert {(m.status, m.error.sub_type if m.error else None) for m in bounce} == {("BOUNCED", "General")}
    assert complaint.status == "COMPLAINT" and success.status == "DELIVERED"


# -- rate-limit pressure ------------------------------------------------------------------------

async def test_rate_limit_pressure_v2_bursts_of_429(make_sim: SimFactory) -> None:
    sim = await pack_sim(make_sim, "rate-limit-pressure.yaml")
    statuses = []
    for _ in range(23):
        response = await send(sim, campaign=CAMPAIGN, key=KEY)
        statuses.append(response.status)
        if response.status == 429:
            assert response.headers["Retry-After"] == "2"
            assert (await response.json())["error"]["code"] == "too_many_requests"
        await sim.advance(1)           # stay under the face's own 10 requests per second
    assert [i + 1 for i, s in enumerate(statuses) if s == 429] == [10, 11, 12, 20, 21, 22]


async def test_rate_limit_pressure_v1_and_qlara(make_sim: SimFactory) -> None:
    sim = await pack_sim(make_sim, "rate-limit-pressure.yaml", seed=7)
    v1 = [(await sim.client.get("/v1/transactional/email", headers=auth("user_v1_x"))).status for _ in range(100)]
    assert 8 <= v1.count(429) <= 35                                   # 20 % of 100
    qlara = []
    for _ in range(5):
        response = await sim.client.get("/api/partner-gateway/v1/messages/history", headers={"X-API-Key": "qk"})
        qlara.append(response.status)
        if response.status == 429:
            assert (await response.json())["retryAfter"] == 12
    assert [i + 1 for i, s in enumerate(qlara) if s == 429] == [3, 4]


# -- flaky server errors then recovery ----------------------------------------------------------

async def test_flaky_api_for_five_minutes_then_recovery(make_sim: SimFactory) -> None:
    sim = await pack_sim(make_sim, "flaky-then-recovery.yaml", seed=1)
    early: list[int] = []
    for _ in range(16):                        # each one is 50-250 ms slower in real time
        response = await send(sim, f"6590000{len(early):03d}", campaign=CAMPAIGN, key=KEY)
        early.append(response.status)
        assert "flaky latency" in response.headers["X-Postman-Sim-Fault"]
        await sim.advance(1)
    assert early[:2] == [500, 500]
    assert set(early[2:]) == {201, 503}
    assert 1 <= early[2:].count(503) <= 9                           # 25 % of 14
    await sim.advance(300)
    for _ in range(10):
        response = await send(sim, campaign=CAMPAIGN, key=KEY)
        assert response.status == 201
        assert "X-Postman-Sim-Fault" not in response.headers
        await sim.advance(1)


async def test_flaky_delivery_two_failures_per_recipient_then_success_via_retries(make_sim: SimFactory) -> None:
    sim = await pack_sim(make_sim, "flaky-then-recovery.yaml")
    await sim.advance(301)                                            # past the API faults
    status, created = await v2_send(sim, "6598765432")
    assert status == 201
    retry = f"/api/v2/campaigns/{CAMPAIGN}/messages/{created['id']}/retry"
    for _ in range(2):
        await sim.advance(10)
        message = await v2_status(sim, created["id"])
        assert message["latestStatus"] == "failure"
        assert message["attempts"][0]["error"]["code"] == "server_unknown_error"
        assert (await sim.client.post(retry, headers=auth(KEY))).status == 201
    await sim.advance(10)
    assert (await v2_status(sim, created["id"]))["latestStatus"] == "success"
    first, second = accept(sim, "v1.sms"), accept(sim, "v1.sms")
    q_first, q_second = accept(sim, "qlara.sms"), accept(sim, "qlara.sms")
    await sim.advance(10)
    assert [m.status for m in (first, second, q_first, q_second)] == ["ERROR", "DELIVERED", "ERROR", "DELIVERED"]
