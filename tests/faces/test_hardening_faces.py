"""Issue 10, defects 7 to 9 over real HTTP: size and content errors in each face's shape, lone surrogates,
capped batch errors, a 100,000-row batch that leaves the server responsive, and credentials (defect 6, the
sink: tests/admin/test_sink_hardening.py)."""

from __future__ import annotations

import asyncio
import base64
import io
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, ROOT, Sim, SimFactory
from tests.faces.qlara.helpers import KEY as QLARA_KEY
from tests.faces.qlara.helpers import SEND_WA, template_body
from tests.faces.v1.client import EMAIL, SMS, call
from tests.faces.v2.helpers import auth, error_of
from tests.faces.v2.test_v2_retry_batch import csv_form

V2_SEND = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"
AS_JSON = {"Content-Type": "application/json"}
SCENARIOS = (ROOT / "scenarios.yaml").read_text(encoding="utf-8")


async def stored(sim: Sim) -> int:
    total: int = (await (await sim.client.get("/_sim/messages")).json())["total"]
    return total


async def chunked(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A body without Content-Length (Transfer-Encoding: chunked)."""
    for start in range(0, len(data), size):
        yield data[start:start + size]


# -- defect 7: size, content type, surrogates, error lists ---------------------------------------------------

async def test_v2_chunked_single_send_over_1_mib_gets_the_single_send_size_error(sim: Sim) -> None:
    huge = b'{"recipient": "6591234567", "language": "english", "values": {"name": "' + b"a" * 2_000_000 + b'"}}'
    response = await sim.client.post(V2_SEND, data=chunked(huge), headers={**auth(), **AS_JSON})
    assert response.request_info.headers.get("Transfer-Encoding") == "chunked"
    error = await error_of(response, 400)
    assert (error["code"], error["message"]) == ("parameter_invalid", "Request body exceeds 1048576 bytes.")
    assert await stored(sim) == 0


@pytest.mark.parametrize("body_of", ["content_length", "chunked"])
async def test_v1_body_over_the_limit_is_413_in_the_v1_shape(sim: Sim, body_of: str) -> None:
    ten_mb = b'{"recipient": "a@b.co", "subject": "s", "body": "' + b"x" * 10_000_000 + b'"}'
    for path in (EMAIL, SMS):
        data: Any = io.BytesIO(ten_mb) if body_of == "content_length" else chunked(ten_mb)
        status, body = await call(sim, "POST", f"{path}/send", data=data, headers=AS_JSON)
        assert (status, body) == (413, {"code": "payload_too_large", "message": "request entity too large"})
    assert await stored(sim) == 0


async def test_v1_multipart_text_field_over_the_limit_is_413(sim: Sim) -> None:
    boundary = "b0undary"
    raw = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\n".encode() + b"x" * 10_000_000
           + f"\r\n--{boundary}--\r\n".encode())
    status, body = await call(sim, "POST", f"{EMAIL}/send", data=io.BytesIO(raw),
                              headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert (status, body["code"]) == (413, "payload_too_large")


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "text/xml",
                                          "application/x-www-form-urlencoded"])
async def test_v2_refuses_bodies_that_are_not_json(sim: Sim, content_type: str) -> None:
    raw = b'{"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}'
    if "xml" in content_type:
        raw = b"<message><recipient>6591234567</recipient></message>"
    response = await sim.client.post(V2_SEND, data=raw, headers={**auth(), "Content-Type": content_type})
    error = await error_of(response, 400)
    assert (error["code"], error["message"]) == ("parameter_invalid", "Content-Type must be application/json.")
    assert await stored(sim) == 0


async def test_v2_still_takes_json_with_a_charset(sim: Sim) -> None:
    raw = b'{"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}'
    response = await sim.client.post(V2_SEND, data=raw,
                                     headers={**auth(), "Content-Type": "application/json; charset=utf-8"})
    assert response.status == 201


@pytest.mark.parametrize("raw", [
    b'{"recipient": "6591234567", "language": "english", "values": {"name": "\\ud800", "date": "1 Dec"}}',
    b'{"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "x\\uDFFFy"}}',
    b'{"recipient": "6591234567\\ud800", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}',
])
async def test_v2_refuses_a_lone_surrogate(sim: Sim, raw: bytes) -> None:
    error = await error_of(await sim.client.post(V2_SEND, data=raw, headers={**auth(), **AS_JSON}), 400)
    assert error["code"] == "parameter_invalid"
    assert "surrogate" in error["message"]
    assert await stored(sim) == 0


async def test_v2_keeps_a_valid_surrogate_pair(sim: Sim) -> None:
    raw = b'{"recipient": "6591234567", "language": "english", "values": {"name": "\\ud83d\\ude00", "date": "1"}}'
    response = await sim.client.post(V2_SEND, data=raw, headers={**auth(), **AS_JSON})
    assert response.status == 201
    assert (await response.json())["values"]["name"] == "\N{GRINNING FACE}"


async def test_v1_and_qlara_refuse_a_lone_surrogate(sim: Sim) -> None:
    raw = b'{"recipient": "a@b.co", "subject": "hi \\ud800", "body": "x"}'
    status, body = await call(sim, "POST", f"{EMAIL}/send", data=raw, headers=AS_JSON)
    assert (status, body["code"]) == (400, "malformed")
    raw = b'{"recipient": "+6591234567", "body": "\\udc00", "label": "default"}'
    status, body = await call(sim, "POST", f"{SMS}/send", data=raw, headers=AS_JSON)
    assert (status, body["code"]) == (400, "malformed")
    raw = (b'{"destination": "+393401234567", "phoneNumberId": 5, '
           b'"template": {"id": 43, "parameters": ["Mario", "\\ud800"]}}')
    response = await sim.client.post(SEND_WA, data=raw, headers={**QLARA_KEY, **AS_JSON})
    assert response.status == 400
    body = await response.json()
    assert set(body) >= {"timestamp", "status", "error", "message", "path"}
    assert "surrogate" in body["message"]
    assert await stored(sim) == 0


async def test_an_invalid_batch_lists_the_first_100_problems_and_counts_the_rest(make_sim: SimFactory) -> None:
    sim = await make_sim(SCENARIOS.replace("batch_max_rows: 20", "batch_max_rows: 100000"))
    rows = 5000
    text = "recipient,language,name,date\n" + "12345,english,Tan,1 Dec\n" * rows
    response = await sim.client.post(f"{V2_SEND.rsplit('/', 1)[0]}/batch/messages", headers=auth(),
                                     data=csv_form(text))
    error = await error_of(response, 400)
    assert error["code"] == "parameter_invalid"
    assert len(error["details"]) == 100
    assert error["details"][0] == {"row": 2, "column": "recipient", "message": (
        "Invalid recipient, ensure it is a valid normalized phone number, eg 6591112222.")}
    assert error["omittedDetails"] == rows - 100
    assert await stored(sim) == 0


# -- defect 8: a 100,000-row batch does not stall the server -------------------------------------------------

async def test_health_stays_fast_while_a_100000_row_batch_is_accepted(make_sim: SimFactory) -> None:
    sim = await make_sim(SCENARIOS.replace("batch_max_rows: 20", "batch_max_rows: 100000"))
    rows = 100_000
    text = "recipient,language,name,date\n" + "".join(f"659{i:07d},english,N{i},1 Dec\n" for i in range(rows))
    batch = asyncio.ensure_future(sim.client.post(f"{V2_SEND.rsplit('/', 1)[0]}/batch/messages", headers=auth(),
                                                  data=csv_form(text)))
    latencies: list[float] = []
    while not batch.done():
        started = time.perf_counter()
        assert (await sim.client.get("/_sim/health")).status == 200
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)
    response = batch.result()
    assert response.status == 201, await response.text()
    assert len(latencies) >= 50, "the batch finished too fast to measure: raise the row count"
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert p99 < 0.050, f"health p99 {p99 * 1000:.1f} ms over {len(latencies)} requests"
    assert await stored(sim) == rows


# -- defect 9: credentials ------------------------------------------------------------------------------------

async def test_credential_checks_accept_the_right_secret_and_refuse_an_equal_length_wrong_one(
        make_sim: SimFactory) -> None:
    sim = await make_sim(SCENARIOS.replace("mode: open ", "mode: strict "))
    body = {"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}
    wrong_v2 = DEMO_KEY[:-1] + ("2" if DEMO_KEY[-1] != "2" else "3")
    assert (await sim.client.post(V2_SEND, json=body, headers=auth())).status == 201
    assert (await sim.client.post(V2_SEND, json=body, headers=auth(wrong_v2))).status == 401

    v1_key = "postman_v1_c2ltdWxhdG9yLWRlbW8ta2V5LTAwMDAwMDAwMDE"
    wrong_v1 = v1_key[:-1] + "2"
    assert (await call(sim, "GET", EMAIL, key=v1_key))[0] == 200
    assert (await call(sim, "GET", EMAIL, key=wrong_v1))[0] == 401

    def basic(user: str, password: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    destination = "+393401234567"
    right = await sim.client.post(SEND_WA, json=template_body(destination), headers=basic("demo", "demo-password"))
    assert right.status == 200, await right.text()
    for password in ("demo-passworx", "Demo-password", "demo-pässword"):
        wrong = await sim.client.post(SEND_WA, json=template_body(destination), headers=basic("demo", password))
        assert wrong.status == 401
    assert (await sim.client.post(SEND_WA, json=template_body(destination), headers=QLARA_KEY)).status == 200
    wrong_key = {"X-Api-Key": QLARA_KEY["X-Api-Key"][:-1] + "9"}
    assert (await sim.client.post(SEND_WA, json=template_body(destination), headers=wrong_key)).status == 401
