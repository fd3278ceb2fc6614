"""Bodies that do not decode (Content-Encoding: gzip or deflate that is corrupt or cut short), over real HTTP:
each API answers a 400 in its own shape, never a 500, and a destructive /_sim call never reads a broken body as
"no body" (a truncated gzip `{"tenant": ...}` used to reset every tenant)."""

from __future__ import annotations

import gzip
import zlib

import pytest
from aiohttp import ClientResponse

from tests.conftest import DEMO_CAMPAIGN, Sim
from tests.faces.qlara.helpers import KEY as QLARA_KEY
from tests.faces.qlara.helpers import SEND_WA
from tests.faces.v1.client import SMS, call
from tests.faces.v2.helpers import auth, error_of, send

V2_SEND = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"
V2_BODY = b'{"recipient": "6591234567", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}}'
CORRUPT = {"deflate": b"garbage", "gzip": V2_BODY}  # the second: plain JSON declared as gzip
TRUNCATED_GZIP = gzip.compress(b'{"tenant": "campaign_x"}')[:10]


def encoded(encoding: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "Content-Encoding": encoding}


def closes(response: ClientResponse) -> None:
    """A body that did not decode leaves the connection's framing unknown: the answer says it closes it."""
    assert response.headers.get("Connection") == "close"


async def held(sim: Sim) -> int:
    return int((await (await sim.client.get("/_sim/health")).json())["messages"])


@pytest.mark.parametrize("encoding", sorted(CORRUPT))
async def test_a_body_that_does_not_decode_is_a_400_in_each_apis_shape(sim: Sim, encoding: str) -> None:
    raw = CORRUPT[encoding]
    response = await sim.client.post(V2_SEND, data=raw, headers={**auth(), **encoded(encoding)})
    closes(response)
    error = await error_of(response, 400)
    plain = await sim.client.post(V2_SEND, data=b"{", headers={**auth(), **encoded("identity")})
    malformed = await error_of(plain, 400)
    assert (error["code"], error["type"]) == (malformed["code"], malformed["type"])
    status, body = await call(sim, "POST", f"{SMS}/send", data=raw, headers=encoded(encoding))
    assert (status, body["code"]) == (400, "malformed")
    response = await sim.client.post(SEND_WA, data=raw, headers={**QLARA_KEY, **encoded(encoding)})
    assert response.status == 400
    closes(response)
    assert set(await response.json()) >= {"timestamp", "status", "error", "message", "path"}
    admin = await sim.client.post("/_sim/clock/advance", data=raw, headers=encoded(encoding))
    assert admin.status == 400
    assert (await admin.json())["error"]["code"] == "bad_request"
    unknown = await sim.client.post("/api/v2/nowhere", data=raw, headers=encoded(encoding))
    assert unknown.status == 404
    for answer in (admin, unknown):
        closes(answer)
    assert await held(sim) == 0
    journal = await (await sim.client.get("/_sim/requests")).json()
    assert [entry["status"] for entry in journal["data"]][:4] == [404, 400, 400, 400]


async def test_a_truncated_gzip_reset_body_resets_nothing(sim: Sim) -> None:
    for _ in range(3):
        assert (await send(sim)).status == 201
    response = await sim.client.post("/_sim/reset", data=TRUNCATED_GZIP, headers=encoded("gzip"))
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"
    assert await held(sim) == 3
    cleared = await sim.client.delete("/_sim/requests", data=TRUNCATED_GZIP, headers=encoded("gzip"))
    assert cleared.status == 400
    assert (await (await sim.client.get("/_sim/requests")).json())["data"]
    # No body at all still means everything, as documented.
    assert (await (await sim.client.post("/_sim/reset")).json())["removed"] == 3


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_well_encoded_body_is_read_like_a_plain_one(sim: Sim, encoding: str) -> None:
    raw = gzip.compress(V2_BODY) if encoding == "gzip" else zlib.compress(V2_BODY)
    response = await sim.client.post(V2_SEND, data=raw, headers={**auth(), **encoded(encoding)})
    assert response.status == 201, await response.text()
    assert (await response.json())["values"] == {"name": "Tan", "date": "1 Dec"}
    tenant = gzip.compress(b'{"tenant": "campaign_elsewhere"}')
    reset = await sim.client.post("/_sim/reset", data=tenant, headers=encoded("gzip"))
    assert (await reset.json()) == {"removed": 0, "tenant": "campaign_elsewhere"}
    assert await held(sim) == 1


async def test_a_gzip_body_cut_short_is_refused_never_read_as_its_prefix(sim: Sim) -> None:
    # aiohttp checks that a deflate stream ended, not a gzip one: the part that did decode was handed on.
    whole = gzip.compress(V2_BODY)
    for cut in (whole[:-5], whole[: len(whole) // 2 + 8]):  # no CRC trailer; half the stream
        response = await sim.client.post(V2_SEND, data=cut, headers={**auth(), **encoded("gzip")})
        assert response.status == 400, await response.text()
        assert response.headers.get("Connection") == "close"
    form = b"recipient=%2B6591234567&label=default&body=" + b"Your one time password is 123456. " * 50
    packed = gzip.compress(form)
    response = await sim.client.post(f"{SMS}/send", data=packed[: len(packed) // 2], headers={
        "Authorization": "Bearer demo_v1_c2VjcmV0", "Content-Type": "application/x-www-form-urlencoded",
        "Content-Encoding": "gzip"})
    assert response.status == 400, await response.text()
    before = await (await sim.client.get("/_sim/scenarios")).json()
    scenarios = gzip.compress(b"version: 1\nrules: []\ndefaults: {}\n# " + b"padding " * 200)
    reload = await sim.client.post("/_sim/scenarios/reload", data=scenarios[: len(scenarios) // 2],
                                   headers={"Content-Encoding": "gzip"})
    assert reload.status == 400
    assert await (await sim.client.get("/_sim/scenarios")).json() == before
    assert await held(sim) == 0


async def test_the_sink_answers_a_body_that_does_not_decode_with_a_400(sim: Sim) -> None:
    for encoding, raw in CORRUPT.items():
        response = await sim.client.post("/_sim/sink/hook", data=raw, headers=encoded(encoding))
        assert response.status == 400, await response.text()
    assert (await (await sim.client.get("/_sim/sink")).json())["total"] == 0
