"""Strict /_sim input: a misspelt or mistyped body is a 400 (with a did-you-mean), never a default action,
and an enum filter outside its values is a 400 listing them, not an empty page."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.conftest import Sim
from tests.faces.qlara.helpers import KEY
from tests.faces.v2.helpers import send_ok


async def error_of(sim: Sim, method: str, path: str, **kwargs: Any) -> str:
    response = await sim.client.request(method, path, **kwargs)
    assert response.status == 400, await response.text()
    error = (await response.json())["error"]
    assert error["code"] == "bad_request"
    message: str = error["message"]
    return message


async def journal_total(sim: Sim) -> int:
    total: int = (await (await sim.client.get("/_sim/messages")).json())["total"]
    return total


@pytest.mark.parametrize(("body", "fragment"), [
    ({"tenat": "x"}, "Unknown field 'tenat' (did you mean 'tenant'?)"),
    ({"tenant": 1}, "'tenant' must be a string."),
    ({"tenant": None}, "'tenant' must be a string."),
])
async def test_a_wrong_reset_body_removes_nothing(sim: Sim, body: dict[str, Any], fragment: str) -> None:
    await send_ok(sim)
    assert fragment in await error_of(sim, "POST", "/_sim/reset", json=body)
    assert await journal_total(sim) == 1


@pytest.mark.parametrize("body", [None, {}])
async def test_only_an_empty_body_or_an_empty_object_resets_everything(sim: Sim, body: dict[str, Any] | None) -> None:
    await send_ok(sim)
    response = await sim.client.post("/_sim/reset", json=body) if body is not None else await sim.client.post(
        "/_sim/reset")
    assert (await response.json()) == {"removed": 1, "tenant": None}
    assert await journal_total(sim) == 0


async def test_every_sim_body_is_checked_the_same_way(sim: Sim) -> None:
    message_id = (await send_ok(sim))["id"]
    cases = [
        ("/_sim/clock/advance", {"second": 5}, "did you mean 'seconds'?"),
        ("/_sim/clock/advance", {"seconds": "5"}, "'seconds' must be a number."),
        ("/_sim/clock/set", {"epoh": 5}, "did you mean 'epoch'?"),
        ("/_sim/clock/set", {"time": 5}, "'time' must be a string."),
        ("/_sim/clock/speed", {"sped": 2}, "did you mean 'speed'?"),
        (f"/_sim/messages/{message_id}/status", {"status": "success", "eror": {"code": "x"}},
         "did you mean 'error'?"),
        ("/_sim/qlara/inbound", {"apiKey": KEY["X-Api-Key"], "from": "+393401234567", "txt": "hi"},
         "did you mean 'text'?"),
        ("/_sim/webhooks/dead-letters/replay", {"subscriptionid": "wh_1"}, "did you mean 'subscription_id'?"),
    ]
    for path, body, fragment in cases:
        assert fragment in await error_of(sim, "POST", path, json=body), path
    assert (await (await sim.client.get("/_sim/clock")).json())["epoch"] == sim.clock.now()  # nothing moved


async def test_a_replay_body_of_the_wrong_type_is_a_400(sim: Sim) -> None:
    message = await error_of(sim, "POST", "/_sim/webhooks/dead-letters/replay", json={"event_ids": "evt_1"})
    assert "'event_ids' must be an array or null." in message


async def test_a_body_over_a_mebibyte_is_a_413_in_the_sim_shape(sim: Sim) -> None:
    response = await sim.client.post("/_sim/reset", data=io.BytesIO(b'{"tenant": "' + b"x" * (1024 * 1024) + b'"}'))
    assert response.status == 413
    assert (await response.json())["error"]["code"] == "too_large"


@pytest.mark.parametrize(("path", "fragment"), [
    ("/_sim/webhooks/events?state=AAA", "state takes one of dead, delivered, dropped, pending."),
    ("/_sim/webhooks/events?state=pendng", "(did you mean 'pending'?)"),
    ("/_sim/webhooks/events?status=nope", "status takes one of"),
    ("/_sim/webhooks/deliveries?outcome=ok", "outcome takes one of delivered, failed, gone, skipped."),
    ("/_sim/webhooks/deliveries?trigger=x", "trigger takes one of auto, chaos_duplicate, manual."),
    ("/_sim/messages?face=zz", "face takes one of"),
    ("/_sim/messages?channel=fax", "channel takes one of"),
    ("/_sim/messages?status=sucess", "(did you mean 'success'?)"),
])
async def test_an_enum_filter_outside_its_values_is_a_400(sim: Sim, path: str, fragment: str) -> None:
    assert fragment in await error_of(sim, "GET", path)


async def test_enum_filters_inside_their_values_still_filter(sim: Sim) -> None:
    await send_ok(sim)
    assert (await (await sim.client.get("/_sim/messages?face=v1")).json())["total"] == 0
    assert (await (await sim.client.get("/_sim/messages?face=v2")).json())["total"] == 1
    assert (await sim.client.get("/_sim/webhooks/events?state=pending")).status == 200
