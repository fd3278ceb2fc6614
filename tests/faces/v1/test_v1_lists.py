"""Postman v1 list endpoints: limit/offset with has_more, one case-insensitive status, created_at
bounds, sort_by, the per-channel limit maxima, and email's tag and exclude_params."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Sim
from tests.faces.v1.client import EMAIL, GOVSG, SMS, call, email_body, send


async def ids(sim: Sim, query: str, path: str = EMAIL) -> list[str]:
    status, body = await call(sim, "GET", f"{path}?{query}" if query else path)
    assert status == 200, body
    return [m["id"] for m in body["data"]]


async def five_emails(sim: Sim) -> None:
    """Ids 1-5, one second apart; #2 bounces (updated last of the early ones), #4 is tagged."""
    recipients = ["a@example.com", "bounce@simulator.amazonses.com", "c@example.com", "d@example.com",
                  "e@example.com"]
    for i, recipient in enumerate(recipients, start=1):
        await send(sim, EMAIL, email_body(recipient, tag="news" if i == 4 else None))
        await sim.advance(1)


async def test_newest_first_by_default_with_limit_offset_and_has_more(sim: Sim) -> None:
    await five_emails(sim)
    status, body = await call(sim, "GET", f"{EMAIL}?limit=2")
    assert (body["has_more"], [m["id"] for m in body["data"]]) == (True, ["5", "4"])
    status, body = await call(sim, "GET", f"{EMAIL}?limit=2&offset=2")
    assert (body["has_more"], [m["id"] for m in body["data"]]) == (True, ["3", "2"])
    status, body = await call(sim, "GET", f"{EMAIL}?limit=2&offset=4")
    assert (body["has_more"], [m["id"] for m in body["data"]]) == (False, ["1"])
    status, body = await call(sim, "GET", f"{EMAIL}?offset=10")
    assert body == {"has_more": False, "data": []}
    assert await ids(sim, "") == ["5", "4", "3", "2", "1"]  # default limit 10


async def test_the_default_limit_is_ten(windowed_sim: Sim) -> None:
    sim = windowed_sim
    for _ in range(11):
        await send(sim, SMS, {"body": "b", "recipient": "6591234567", "label": "default"})
        await sim.advance(1)
    status, body = await call(sim, "GET", SMS)
    assert (len(body["data"]), body["has_more"]) == (10, True)


async def test_sort_by_created_or_updated_either_way(sim: Sim) -> None:
    await five_emails(sim)
    await sim.advance(60)  # 1,3,4,5 are opened 33 s after sending; 2 bounced at 3 s
    assert await ids(sim, "sort_by=%2Bcreated_at") == ["1", "2", "3", "4", "5"]
    assert await ids(sim, "sort_by=-created_at") == ["5", "4", "3", "2", "1"]
    assert await ids(sim, "sort_by=created_at") == ["5", "4", "3", "2", "1"]
    assert await ids(sim, "sort_by=updated_at") == ["5", "4", "3", "1", "2"]
    assert await ids(sim, "sort_by=%2Bupdated_at") == ["2", "1", "3", "4", "5"]


async def test_status_filter_is_one_case_insensitive_value(sim: Sim) -> None:
    await five_emails(sim)
    await sim.advance(60)
    assert await ids(sim, "status=bounced") == ["2"]
    assert await ids(sim, "status=Opened") == ["5", "4", "3", "1"]
    assert await ids(sim, "status=COMPLAINT") == []
    assert await call(sim, "GET", f"{EMAIL}?status=opened&status=bounced") == (
        400, {"code": "api_validation", "message": '"status" must be a string'})
    assert await call(sim, "GET", f"{EMAIL}?status=READ") == (400, {"code": "api_validation", "message": (
        '"status" must be one of [UNSENT, ACCEPTED, SENT, BOUNCED, DELIVERED, OPENED, COMPLAINT]')})


async def test_created_at_bounds(sim: Sim) -> None:
    await five_emails(sim)  # created at :00, :01, :02, :03, :04
    assert await ids(sim, "created_at[gte]=2026-01-01T00:00:02Z") == ["5", "4", "3"]
    assert await ids(sim, "created_at[gt]=2026-01-01T00:00:02.000Z") == ["5", "4"]
    assert await ids(sim, "created_at[lt]=2026-01-01T00:00:02Z") == ["2", "1"]
    assert await ids(sim, "created_at[lte]=2026-01-01T08:00:02%2B08:00") == ["3", "2", "1"]
    assert await ids(sim, "created_at[gt]=2026-01-01T00:00:00Z&created_at[lt]=2026-01-01T00:00:04Z") == [
        "4", "3", "2"]
    assert await call(sim, "GET", f"{EMAIL}?created_at[gt]=yesterday") == (
        400, {"code": "api_validation", "message": '"created_at.gt" must be in ISO 8601 date format'})


async def test_email_lists_filter_by_tag_and_can_exclude_params(sim: Sim) -> None:
    await five_emails(sim)
    assert await ids(sim, "tag=news") == ["4"]
    status, body = await call(sim, "GET", f"{EMAIL}?exclude_params=true&limit=1")
    assert "params" not in body["data"][0]
    status, body = await call(sim, "GET", f"{EMAIL}?exclude_params=false&limit=1")
    assert body["data"][0]["params"]["subject"] == "Hello"
    assert (await call(sim, "GET", f"{EMAIL}?exclude_params=maybe"))[1]["message"] == (
        '"exclude_params" must be a boolean')
    assert (await call(sim, "GET", f"{EMAIL}?tag={'t' * 256}"))[1]["message"] == (
        '"tag" length must be less than or equal to 255 characters long')


@pytest.mark.parametrize(("path", "maximum"), [(EMAIL, 1000), (SMS, 100), (GOVSG, 1000)])
async def test_each_channel_has_its_own_limit_maximum(sim: Sim, path: str, maximum: int) -> None:
    assert (await call(sim, "GET", f"{path}?limit={maximum}"))[0] == 200
    assert await call(sim, "GET", f"{path}?limit={maximum + 1}") == (
        400, {"code": "api_validation", "message": f'"limit" must be less than or equal to {maximum}'})


@pytest.mark.parametrize(("query", "message"), [
    ("limit=0", '"limit" must be greater than or equal to 1'),
    ("limit=ten", '"limit" must be a number'),
    ("limit=1.5", '"limit" must be an integer'),
    ("offset=-1", '"offset" must be greater than or equal to 0'),
    ("limit=1&limit=2", '"limit" must be a string'),
    ("sort_by=recipient", '"sort_by" with value "recipient" fails to match the required pattern: '
                          "/^[+-]?created_at|updated_at$/"),
    ("page=2", '"page" is not allowed'),
    ("created_at[after]=2026-01-01", '"created_at.after" is not allowed'),
    ("created_at=2026-01-01", '"created_at" must be of type object'),
])
async def test_bad_list_queries_are_validation_errors(sim: Sim, query: str, message: str) -> None:
    for path in (EMAIL, SMS, GOVSG):
        assert await call(sim, "GET", f"{path}?{query}") == (400, {"code": "api_validation", "message": message})


@pytest.mark.parametrize("path", [SMS, GOVSG])
async def test_tag_and_exclude_params_belong_to_email_only(sim: Sim, path: str) -> None:
    assert await call(sim, "GET", f"{path}?tag=x") == (400, {"code": "api_validation",
                                                            "message": '"tag" is not allowed'})


async def test_sms_and_govsg_lists_filter_by_their_own_statuses(sim: Sim) -> None:
    sends: list[tuple[str, dict[str, Any]]] = [
        (SMS, {"body": "b", "recipient": "6591234567", "label": "default"}),
        (SMS, {"body": "b", "recipient": "6511111111", "label": "default"}),
        (GOVSG, {"recipient": "91234567", "template_id": 1002}),
        (GOVSG, {"recipient": "6580131026", "template_id": 1002}),
    ]
    for path, body in sends:
        await send(sim, path, body)
    assert await ids(sim, "status=unsent", SMS) == ["2", "1"]
    assert await ids(sim, "status=accepted", GOVSG) == ["2", "1"]
    await sim.advance(60)
    assert await ids(sim, "status=error", SMS) == ["2"]
    assert await ids(sim, "status=delivered", SMS) == ["1"]
    assert await ids(sim, "status=read", GOVSG) == ["1"]
    assert await ids(sim, "status=error", GOVSG) == ["2"]
    assert await ids(sim, "", EMAIL) == []  # channels keep separate lists
