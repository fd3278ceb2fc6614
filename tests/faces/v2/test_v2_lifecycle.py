"""v2 lifecycles: the documented test numbers, the ordinary path and foreign numbers, on the manual clock."""

from __future__ import annotations

import pytest

from simulator.core.timefmt import iso_sgt, iso_utc
from tests.conftest import START, Sim
from tests.faces.v2.helpers import get_message, send_ok

TEST_NUMBERS = [
    ("6511111111", "delivery_error", "recipient_invalid"),
    ("6511112222", "delivery_error", "recipient_unavailable"),
    ("6511113333", "delivery_error", "content_invalid"),
    ("6511114444", "delivery_error", "routing_error"),
    ("6511115555", "delivery_error", "message_expired"),
    ("6511119999", "delivery_error", "delivery_unknown_error"),
    ("6522222222", "server_error", "server_unknown_error"),
]


async def journal_statuses(sim: Sim, message_id: str) -> list[tuple[str, str]]:
    body = await (await sim.client.get(f"/_sim/messages/{message_id}")).json()
    return [(h["status"], h["at"]) for h in body["attempts"][-1]["history"]]


@pytest.mark.parametrize(("number", "error_type", "error_code"), TEST_NUMBERS)
async def test_each_test_number_fails_with_its_error_only_after_time_passes(
        sim: Sim, number: str, error_type: str, error_code: str) -> None:
    created = await send_ok(sim, number)
    assert created["latestStatus"] == "created"

    await sim.advance(3)
    early = await get_message(sim, created["id"])
    assert early["latestStatus"] not in ("failure", "success")
    assert "error" not in early["attempts"][0]

    await sim.advance(600)
    final = await get_message(sim, created["id"])
    assert final["latestStatus"] == "failure"
    attempt = final["attempts"][0]
    assert attempt["status"] == "failure"
    assert attempt["error"] == {"type": error_type, "code": error_code}
    assert attempt["sentAt"] is not None
    assert attempt["deliveredAt"] is None
    statuses = [s for s, _ in await journal_statuses(sim, created["id"])]
    assert statuses[:4] == ["created", "enqueued", "sending", "sent"]  # the statuses the service shows first
    assert statuses[-1] == "failure"


async def test_nothing_moves_on_the_manual_clock_until_it_is_advanced(sim: Sim) -> None:
    created = await send_ok(sim, "6591234567")
    for _ in range(3):
        assert (await get_message(sim, created["id"]))["latestStatus"] == "created"
    await sim.advance(0.5)
    assert (await get_message(sim, created["id"]))["latestStatus"] == "enqueued"


async def test_an_ordinary_number_walks_every_status_to_success_on_its_planned_times(sim: Sim) -> None:
    created = await send_ok(sim, "6591234567")
    plan = [("enqueued", 0.5), ("sending", 0.5), ("sent", 1.0), ("sent_to_telco", 2.0), ("success", 2.0)]
    expected_at = START
    for status, delay in plan:
        await sim.advance(delay)
        expected_at += delay
        message = await get_message(sim, created["id"])
        assert message["latestStatus"] == status
        assert message["updatedAt"] == iso_sgt(expected_at)

    history = await journal_statuses(sim, created["id"])
    assert [s for s, _ in history] == ["created", "enqueued", "sending", "sent", "sent_to_telco", "success"]
    final = await get_message(sim, created["id"])
    attempt = final["attempts"][0]
    assert attempt["sentAt"] == iso_sgt(START + 2.0)
    assert attempt["deliveredAt"] == iso_sgt(START + 6.0)
    assert "error" not in attempt
    assert final["createdAt"] == iso_sgt(START)
    assert final["createdAt"].endswith("+08:00")


async def test_one_big_advance_stamps_each_transition_at_its_own_time(sim: Sim) -> None:
    created = await send_ok(sim, "6598765432")
    await sim.advance(3600)
    history = await journal_statuses(sim, created["id"])
    offsets = [0.0, 0.5, 1.0, 2.0, 4.0, 6.0]
    assert [at for _, at in history] == [iso_utc(START + o) for o in offsets]


async def test_a_foreign_number_stops_at_sent_to_telco(sim: Sim) -> None:
    created = await send_ok(sim, "447911123456")
    await sim.advance(7 * 86400)
    message = await get_message(sim, created["id"])
    assert message["latestStatus"] == "sent_to_telco"
    assert message["attempts"][0]["deliveredAt"] is None


async def test_a_singapore_test_number_stays_at_sent_to_telco_beyond_48_hours(sim: Sim) -> None:
    created = await send_ok(sim, "6511116666")  # seed 002: the telco never reports back
    await sim.advance(4)
    assert (await get_message(sim, created["id"]))["latestStatus"] == "sent_to_telco"
    await sim.advance(72 * 3600)
    message = await get_message(sim, created["id"])
    assert message["latestStatus"] == "sent_to_telco" and "error" not in message["attempts"][0]
    journal = await (await sim.client.get(f"/_sim/messages/{created['id']}")).json()
    assert journal["billing"]["charged"] is None                  # not terminal for a Singapore number


async def test_created_message_shape_matches_the_documented_single_send(sim: Sim) -> None:
    created = await send_ok(sim, "6591234567")
    assert set(created) == {"createdAt", "updatedAt", "id", "recipient", "values", "fullMessage", "latestStatus",
                            "templateBodyId", "campaignId", "language", "creatorId"}
    assert created["id"].startswith("message_")
    assert created["values"] == {"name": "Tan", "date": "1 Dec"}
    assert "Dear Tan, your appointment is on 1 Dec." in created["fullMessage"]
    assert created["fullMessage"].startswith("This is a test message used for training purposes.")

    message = await get_message(sim, created["id"])
    assert message["templateBody"]["body"] == "Dear {{name}}, your appointment is on {{date}}."
    assert message["templateBody"]["id"] == created["templateBodyId"]
    assert message["batches"] == []
    assert message["creatorEmail"] == f"{created['campaignId']}@postman.gov.sg"


async def test_same_seed_and_requests_give_the_same_ids(make_sim) -> None:
    ids = []
    for _ in range(2):
        sim = await make_sim(seed=42)
        ids.append([(await send_ok(sim, n))["id"] for n in ("6591234567", "6511111111")])
    assert ids[0] == ids[1]
    other = await make_sim(seed=43)
    assert (await send_ok(other, "6591234567"))["id"] != ids[0][0]
