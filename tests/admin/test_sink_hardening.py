"""The sink's hardening: ASCII-digit statuses, header-safe Retry-After, the standalone sink's verify token."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from simulator.admin.sink import create_sink_app
from simulator.clock import ManualClock
from tests.conftest import START, Sim


@pytest.mark.parametrize("status", ["%C2%B2", "%D9%A5%D9%A0%D9%A3", "abc", "700", "99", "%EF%BC%95%EF%BC%90%EF%BC%93"])
async def test_sink_status_must_be_ascii_digits_from_200_to_599(sim: Sim, status: str) -> None:
    response = await sim.client.post(f"/_sim/sink/x?status={status}", data=b"{}")
    assert response.status == 400
    assert "ASCII digits" in await response.text()


async def test_sink_sends_only_ascii_in_retry_after(sim: Sim) -> None:
    response = await sim.client.post("/_sim/sink/x?status=503&retry_after=%D9%A1%D9%A2", data=b"{}")
    assert response.status == 503 and "Retry-After" not in response.headers
    response = await sim.client.post("/_sim/sink/x?status=503&retry_after=120", data=b"{}")
    assert response.status == 503 and response.headers["Retry-After"] == "120"


async def test_standalone_sink_refuses_unicode_digits_and_checks_its_verify_token(aiohttp_client: Any) -> None:
    client: TestClient[web.Request, web.Application] = await aiohttp_client(
        create_sink_app(ManualClock(start=START), verify_token="tok-123"))
    assert (await client.post("/hook?status=%C2%B2", data=b"x")).status == 400
    assert (await client.post("/hook?status=%D9%A5%D9%A0%D9%A3", data=b"x")).status == 400
    assert (await client.post("/hook?status=503", data=b"x")).status == 503
    ok = await client.get("/hook", params={"hub.mode": "subscribe", "hub.verify_token": "tok-123",
                                           "hub.challenge": "42"})
    assert (ok.status, await ok.text()) == (200, "42")
    for wrong in ("tok-124", "Tok-123", "", "tök-123"):
        response = await client.get("/hook", params={"hub.mode": "subscribe", "hub.verify_token": wrong,
                                                     "hub.challenge": "42"})
        assert response.status == 403


# -- defect 7: size, content type, surrogates, error lists ---------------------------------------------------


# -- defect 8: a 100,000-row batch does not stall the server -------------------------------------------------


# -- defect 9: credentials ------------------------------------------------------------------------------------

