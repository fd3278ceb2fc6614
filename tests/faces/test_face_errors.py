"""A bug inside a handler is answered in each face's own 500 shape, never as a stack trace."""

from __future__ import annotations

import pytest

from tests.conftest import Sim
from tests.faces.qlara.helpers import GATEWAY, KEY
from tests.faces.v2.helpers import send


def broken(*_: object) -> None:
    raise RuntimeError("bug")


async def test_qlara_answers_its_spring_shaped_500(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("simulator.faces.qlara.routes.status_view", broken)
    response = await sim.client.get(f"{GATEWAY}/messages/history", headers=KEY,
                                    params={"channel": "SMS", "from": "2025-01-01T00:00:00Z",
                                            "to": "2027-01-01T00:00:00Z"})
    assert response.status == 200  # nothing to render yet: the bug is not reached
    await sim.client.post("/api/message-server/sms/send", headers=KEY,
                          json={"destination": "+393401234567", "sender": "Shop", "body": "hi"})
    response = await sim.client.get(f"{GATEWAY}/messages/history", headers=KEY,
                                    params={"channel": "SMS", "from": "2025-01-01T00:00:00Z",
                                            "to": "2027-01-01T00:00:00Z"})
    assert response.status == 500
    body = await response.json()
    assert (body["status"], body["error"], body["message"], body["path"]) == (
        500, "Internal Server Error", "Internal server error", f"{GATEWAY}/messages/history")


async def test_v2_answers_its_own_500(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("simulator.faces.v2.routes.created_view", broken)
    response = await send(sim)
    assert response.status == 500
    error = (await response.json())["error"]
    assert (error["code"], error["message"], error["type"]) == (
        "internal_server_error", "Internal server error", "server_error")


@pytest.mark.parametrize(("path", "shape"), [
    ("/api/v2/nope", {"error"}), ("/API/V2/campaigns", {"error"}),
    ("/v1/nope", {"code", "message"}), ("/V1/transactional/sms/send", {"code", "message"}),
    ("/api/message-server/nope", {"timestamp", "status", "error", "message", "path"}),
    ("/api/partner-gateway/nope", {"timestamp", "status", "error", "message", "path"}),
    ("/partner-gateway/nope", {"timestamp", "status", "error", "message", "path"}),
    ("/Partner-Gateway/v1/messages/status/x", {"timestamp", "status", "error", "message", "path"}),
])
async def test_an_unknown_path_under_a_face_is_a_404_in_its_json_shape(sim: Sim, path: str,
                                                                         shape: set[str]) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = await sim.client.request(method, path)
        assert response.status == 404 and response.content_type == "application/json", await response.text()
        assert set(await response.json()) == shape
