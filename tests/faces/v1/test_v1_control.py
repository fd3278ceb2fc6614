"""Postman v1 messages through the /_sim control surface: journal, forced statuses, per-key reset."""

from __future__ import annotations

from tests.conftest import Sim
from tests.faces.v1.client import EMAIL, GOVSG, KEY, OTHER_KEY, call, email_body, fetch, send


async def test_the_journal_lists_v1_messages_by_face_and_channel(sim: Sim) -> None:
    await send(sim, EMAIL, email_body())
    await send(sim, GOVSG, {"recipient": "91234567", "template_id": 1002})
    response = await sim.client.get("/_sim/messages?face=v1&channel=whatsapp")
    body = await response.json()
    assert [(m["id"], m["tenant"], m["recipient"]) for m in body["data"]] == [("v1.whatsapp.1", KEY, "+6591234567")]


async def test_a_forced_status_shows_in_the_v1_api(sim: Sim) -> None:
    sent = await send(sim, EMAIL, email_body())
    response = await sim.client.post("/_sim/messages/v1.email.1/status", json={
        "status": "COMPLAINT", "error": {"code": "abuse", "sub_type": "OnAccountSuppressionList"}})
    assert response.status == 200
    now = await fetch(sim, EMAIL, sent["id"])
    assert (now["status"], now["error_code"], now["error_sub_type"]) == ("COMPLAINT", "abuse",
                                                                         "OnAccountSuppressionList")
    await sim.advance(3600)  # the rest of the plan was dropped
    assert (await fetch(sim, EMAIL, sent["id"]))["status"] == "COMPLAINT"


async def test_resetting_one_key_leaves_the_others(sim: Sim) -> None:
    await send(sim, EMAIL, email_body())
    theirs = await send(sim, EMAIL, email_body(), key=OTHER_KEY)
    response = await sim.client.post("/_sim/reset", json={"tenant": KEY})
    assert (await response.json())["removed"] == 1
    assert (await call(sim, "GET", EMAIL))[1]["data"] == []
    assert (await call(sim, "GET", f"{EMAIL}/{theirs['id']}", key=OTHER_KEY))[0] == 200
