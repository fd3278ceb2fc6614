"""Postman v1: odd input is answered in the v1 error shape, never with a 500 or a stack trace."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Sim
from tests.faces.v1.client import EMAIL, GOVSG, SMS, call

UNSAFE = (400, {"code": "api_validation", "message": '"template_id" must be a safe number'})
# Each odd body, and the exact answer where one channel must give a particular one.
ODD_BODIES: list[tuple[dict[str, Any], dict[str, tuple[int, dict[str, str]]]]] = [
    ({"recipient": {"a": 1}, "subject": ["s"], "body": None}, {}),
    ({"recipient": None, "template_id": 1e308, "params": None}, {}),
    ({"recipient": "91234567", "template_id": 10 ** 30}, {GOVSG: UNSAFE}),
    ({"recipient": "91234567", "template_id": -(2 ** 53)}, {GOVSG: UNSAFE}),
    ({"recipient": "91234567", "template_id": "1e300"}, {GOVSG: UNSAFE}),
    ({"recipient": "user@example.com", "subject": "s", "body": "b", "cc": [1, 2], "bcc": {"x": 1}}, {}),
    ({"recipient": "user@example.com", "subject": "s", "body": "b", "disable_tracking": None, "tag": None}, {}),
    ({"body": ["x"], "recipient": "6591234567", "label": {"x": 1}}, {}),
    ({"": "", "\u0000": "\u0000"}, {}),
]


@pytest.mark.parametrize(("body", "answers"), ODD_BODIES)
@pytest.mark.parametrize("path", [EMAIL, SMS, GOVSG])
async def test_odd_json_is_a_4xx_in_the_v1_shape(sim: Sim, path: str, body: dict[str, Any],
                                                 answers: dict[str, tuple[int, dict[str, str]]]) -> None:
    status, answer = await call(sim, "POST", f"{path}/send", json=body)
    assert status < 500, answer
    if status >= 400:
        assert set(answer) == {"code", "message"}
    if path in answers:
        assert (status, answer) == answers[path]


@pytest.mark.parametrize(("content_type", "data"), [
    ("multipart/form-data", b"garbage"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nnot a part"),
    ("application/x-www-form-urlencoded", b"recipient=%FF%FE&subject=s"),
    ("text/plain", b"hello"),
])
@pytest.mark.parametrize("path", [EMAIL, SMS, GOVSG])
async def test_odd_encodings_are_a_4xx(sim: Sim, path: str, content_type: str, data: bytes) -> None:
    status, answer = await call(sim, "POST", f"{path}/send", data=data, headers={"Content-Type": content_type})
    assert 400 <= status < 500, answer
    assert set(answer) == {"code", "message"}


@pytest.mark.parametrize("query", ["limit=nan", "offset=1e400", "limit=1e3", "created_at[gt]=", "sort_by=",
                                   "status=", "created_at=2026-01-01"])
async def test_odd_list_queries_never_fail_the_server(sim: Sim, query: str) -> None:
    for path in (EMAIL, SMS, GOVSG):
        status, answer = await call(sim, "GET", f"{path}?{query}")
        assert status in (200, 400), answer


async def test_an_unexpected_failure_is_500_internal_server(sim: Sim, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr("simulator.faces.v1.sms.sms_view", broken)
    status, answer = await call(sim, "POST", f"{SMS}/send",
                                json={"body": "b", "recipient": "6591234567", "label": "default"})
    assert (status, answer) == (500, {"code": "internal_server", "message": "Internal Server Error."})
