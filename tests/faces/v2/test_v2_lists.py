"""v2 cursor pagination: newest first, forwards and backwards, no message lost or repeated."""

from __future__ import annotations

import base64
import json

from tests.conftest import DEMO_CAMPAIGN, Sim
from tests.faces.v2.helpers import auth, error_of, send_ok

BASE = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"


async def send_many(sim: Sim, count: int) -> list[str]:
    """Sends `count` messages, three per identical instant (ties break on id), within the rate limit."""
    ids = []
    for i in range(count):
        if i and i % 3 == 0:
            await sim.advance(0.4)
        ids.append((await send_ok(sim, f"659000{i:04d}"))["id"])
    return ids


async def page(sim: Sim, **query: str) -> dict:
    await sim.advance(1)  # stay under the 10 requests/s campaign limit
    response = await sim.client.get(BASE, headers=auth(), params=query)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_pages_forward_then_backward_cover_every_message_exactly_once(windowed_sim: Sim) -> None:
    sim = windowed_sim
    ids = await send_many(sim, 23)
    forward: list[str] = []
    first = body = await page(sim, limit="5")
    assert body["pageData"]["hasPreviousPage"] is False
    while True:
        forward += [m["id"] for m in body["data"]]
        if not body["pageData"]["hasNextPage"]:
            break
        body = await page(sim, limit="5", after=body["pageData"]["endCursor"])
    assert len(forward) == 23 and set(forward) == set(ids)

    backward: list[str] = []
    while True:
        backward = [m["id"] for m in body["data"]] + backward
        if not body["pageData"]["hasPreviousPage"]:
            break
        body = await page(sim, limit="5", before=body["pageData"]["startCursor"])
    assert backward == forward
    assert [m["id"] for m in body["data"]] == [m["id"] for m in first["data"]]


async def test_order_is_newest_first_by_created_at_then_id(sim: Sim) -> None:
    await send_many(sim, 9)
    body = await page(sim, limit="100")
    keys = [(m["createdAt"], m["id"]) for m in body["data"]]
    assert keys == sorted(keys, reverse=True)
    assert body["pageData"] == {**body["pageData"], "hasNextPage": False, "hasPreviousPage": False}


async def test_cursor_is_base64_of_created_at_and_id(sim: Sim) -> None:
    await send_many(sim, 2)
    body = await page(sim, limit="1")
    decoded = json.loads(base64.b64decode(body["pageData"]["startCursor"]))
    assert decoded == [body["data"][0]["createdAt"], body["data"][0]["id"]]
    assert body["pageData"]["startCursor"] == body["pageData"]["endCursor"]
    assert body["pageData"]["hasNextPage"] is True


async def test_cursor_carries_created_at_to_the_millisecond_it_is_printed_with(sim: Sim) -> None:
    await sim.advance(0.5756)  # between two milliseconds: createdAt prints .575, never rounded up
    await send_ok(sim)
    body = await page(sim, limit="1")
    created = body["data"][0]["createdAt"]
    assert created.endswith(".575+08:00")
    assert json.loads(base64.b64decode(body["pageData"]["startCursor"]))[0] == created
    older = await page(sim, after=body["pageData"]["endCursor"])
    assert older["data"] == []


async def test_search_matches_a_substring_of_the_recipient(sim: Sim) -> None:
    await send_ok(sim, "6591122233")
    await send_ok(sim, "6598765432")
    body = await page(sim, search="11")
    assert [m["recipient"] for m in body["data"]] == ["6591122233"]
    assert body["data"][0]["batchId"] is None
    assert body["data"][0]["batches"] == []


async def test_empty_list_and_bad_parameters(sim: Sim) -> None:
    body = await page(sim)
    assert body == {"data": [], "pageData": {"hasNextPage": False, "hasPreviousPage": False,
                                             "startCursor": None, "endCursor": None}}
    for query, text in (({"limit": "0"}, "less than 1"), ({"limit": "1001"}, "greater than 1000"),
                        ({"limit": "x"}, "integer"), ({"after": "not-a-cursor"}, "cursor")):
        error = await error_of(await sim.client.get(BASE, headers=auth(), params=query), 400)
        assert error["code"] == "parameter_invalid"
        assert text in error["message"]
    assert len((await page(sim, limit="1000"))["data"]) == 0


async def test_well_formed_but_foreign_cursors_are_a_400(sim: Sim) -> None:
    for parts in ([123, "x"], [None, None], [["2026"], "m"], [1e308, "m"], ["2026-01-01T00:00:00Z", 5], "x"):
        cursor = base64.b64encode(json.dumps(parts).encode()).decode()
        error = await error_of(await sim.client.get(BASE, headers=auth(), params={"after": cursor}), 400)
        assert error["message"] == "Invalid cursor."
        await sim.advance(1)
