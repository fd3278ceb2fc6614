"""Deeply nested JSON (past Python's recursion limit) is each face's own 400, never a 500."""

from __future__ import annotations

import base64

import pytest

from tests.conftest import DEMO_CAMPAIGN, Sim
from tests.faces.qlara.helpers import KEY, SEND_SMS, SEND_WA
from tests.faces.v1.client import EMAIL, GOVSG, SMS, call, email_body
from tests.faces.v2.helpers import auth, error_of

DEEP_ARRAY = "[" * 3000 + "]" * 3000
DEEP_OBJECT = '{"a":' * 3000 + "1" + "}" * 3000
DEEP = [DEEP_ARRAY, DEEP_OBJECT, '{"recipient": ' + DEEP_ARRAY + "}"]
AS_JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("raw", DEEP)
@pytest.mark.parametrize("path", [EMAIL, SMS, GOVSG])
async def test_v1_answers_400_malformed(sim: Sim, path: str, raw: str) -> None:
    status, body = await call(sim, "POST", f"{path}/send", data=raw.encode(), headers=AS_JSON)
    assert (status, body) == (400, {"code": "malformed", "message": "Malformed request body"})


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
async def test_v1_deep_stringified_cc_is_the_cc_validation_error(sim: Sim, content_type: str) -> None:
    fields = {**email_body(), "cc": DEEP_ARRAY}
    if content_type == "application/json":
        status, body = await call(sim, "POST", f"{EMAIL}/send", json=fields)
    else:
        status, body = await call(sim, "POST", f"{EMAIL}/send", data=fields)
    assert (status, body) == (400, {"code": "api_validation", "message": (
        '"cc" failed custom validation because cc must be a valid array or stringified array.')})


@pytest.mark.parametrize("raw", DEEP)
async def test_v2_answers_400_parameter_invalid(sim: Sim, raw: str) -> None:
    response = await sim.client.post(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", data=raw.encode(),
                                     headers={**auth(), **AS_JSON})
    assert (await error_of(response, 400))["code"] == "parameter_invalid"


async def test_v2_deep_cursor_is_400_parameter_invalid(sim: Sim) -> None:
    cursor = base64.b64encode(DEEP_ARRAY.encode()).decode()
    response = await sim.client.get(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages", headers=auth(),
                                    params={"after": cursor})
    error = await error_of(response, 400)
    assert error["code"] == "parameter_invalid"
    assert "cursor" in error["message"]


@pytest.mark.parametrize("raw", DEEP)
async def test_qlara_answers_its_spring_shaped_400(sim: Sim, raw: str) -> None:
    for path in (SEND_WA, SEND_SMS):
        response = await sim.client.post(path, data=raw.encode(), headers={**KEY, **AS_JSON})
        assert response.status == 400
        error = await response.json()
        assert (error["status"], error["error"], error["message"], error["path"]) == (
            400, "Bad Request", "Request body must be a JSON object", path)


@pytest.mark.parametrize("raw", DEEP)
async def test_sim_control_surface_answers_400_bad_request(sim: Sim, raw: str) -> None:
    for path in ("/_sim/clock/advance", "/_sim/qlara/inbound", "/_sim/webhooks"):
        response = await sim.client.post(path, data=raw.encode(), headers=AS_JSON)
        assert response.status == 400, path
        assert (await response.json())["error"]["code"] == "bad_request", path


async def test_sim_sink_records_a_deep_body_without_parsing_it(sim: Sim) -> None:
    response = await sim.client.post("/_sim/sink/deep", data=DEEP_ARRAY.encode(), headers=AS_JSON)
    assert response.status == 200
    received = (await (await sim.client.get("/_sim/sink")).json())["data"]
    assert [(r["path"], r["json"], r["body"]) for r in received] == [("/_sim/sink/deep", None, DEEP_ARRAY)]


@pytest.mark.parametrize("raw", DEEP)
async def test_sim_scenarios_reload_answers_422_and_keeps_the_scenarios(sim: Sim, raw: str) -> None:
    response = await sim.client.post("/_sim/scenarios/reload", data=raw.encode())
    assert response.status == 422
    error = (await response.json())["error"]
    assert error["code"] == "invalid_scenarios"
    assert "nested too deeply" in error["message"]
