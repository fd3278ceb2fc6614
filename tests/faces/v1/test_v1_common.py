"""Postman v1: what all three channels share: API-key auth, tenants, the error shape, the rate limit."""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, Sim, SimFactory
from tests.faces.v1.client import EMAIL, GOVSG, KEY, OTHER_KEY, SMS, call, email_body, send

README = (ROOT / "README.md").read_text(encoding="utf-8")
UNAUTHENTICATED = {"code": "unauthenticated",
                   "message": "Unauthenticated request. Please try again with correct authentication"}
SENDS = {
    EMAIL: email_body(),
    SMS: {"body": "Your code is 123456", "recipient": "6591234567", "label": "default"},
    GOVSG: {"recipient": "91234567", "template_id": 1001, "params": {"name": "Tan", "date": "1 May"}},
}


@pytest.mark.parametrize("header", [
    None,
    "Bearer",
    "Bearer ",
    "bearer alice_v1_secret",
    "Basic alice_v1_secret",
    "Bearer alice_v1",
    "Bearer alice__secret",
    "Bearer _v1_secret",
    "Bearer alice_v1_",
    "Bearer  alice_v1_secret",
])
async def test_missing_or_malformed_key_is_401_with_the_documented_body(sim: Sim, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    for path in (f"{EMAIL}/send", f"{SMS}/send", f"{GOVSG}/send"):
        response = await sim.client.post(path, json=SENDS[path.rsplit("/", 1)[0]], headers=headers)
        assert response.status == 401
        assert await response.json() == UNAUTHENTICATED
    response = await sim.client.get(EMAIL, headers=headers)
    assert response.status == 401


async def test_strict_mode_accepts_only_configured_keys(make_sim: SimFactory) -> None:
    sim = await make_sim(f"mode: strict\nv1:\n  keys: [{KEY}]\n")
    assert (await call(sim, "GET", SMS))[0] == 200
    assert await call(sim, "GET", SMS, key=OTHER_KEY) == (401, UNAUTHENTICATED)


@pytest.mark.parametrize(("path", "param", "label"), [
    (EMAIL, "emailId", "Email"), (SMS, "smsId", "Sms"), (GOVSG, "messageId", "GovSG"),
])
async def test_each_key_is_a_tenant(sim: Sim, path: str, param: str, label: str) -> None:
    mine = await send(sim, path, SENDS[path])
    status, body = await call(sim, "GET", f"{path}/{mine['id']}", key=OTHER_KEY)
    assert status == 404
    assert body == {"code": "not_found", "message": f"{label} message with ID {mine['id']} not found."}
    status, body = await call(sim, "GET", path, key=OTHER_KEY)
    assert (status, body) == (200, {"has_more": False, "data": []})
    status, body = await call(sim, "GET", path)
    assert [m["id"] for m in body["data"]] == [mine["id"]]


@pytest.mark.parametrize(("path", "param"), [(EMAIL, "emailId"), (SMS, "smsId"), (GOVSG, "messageId")])
async def test_a_non_numeric_id_is_a_validation_error_and_an_unknown_one_404(sim: Sim, path: str, param: str) -> None:
    assert await call(sim, "GET", f"{path}/abc") == (400, {"code": "api_validation",
                                                           "message": f'"{param}" must be a number'})
    status, body = await call(sim, "GET", f"{path}/987")
    assert status == 404
    assert body["code"] == "not_found"
    assert body["message"].endswith("message with ID 987 not found.")


@pytest.mark.parametrize("path", [EMAIL, SMS, GOVSG])
async def test_malformed_json_is_400_malformed_never_a_500(sim: Sim, path: str) -> None:
    as_json = {"Content-Type": "application/json"}
    status, body = await call(sim, "POST", f"{path}/send", data=b'{"recipient": ', headers=as_json)
    assert (status, body) == (400, {"code": "malformed", "message": "Malformed request body"})
    status, body = await call(sim, "POST", f"{path}/send", data=b"[1, 2]", headers=as_json)
    assert (status, body) == (400, {"code": "api_validation", "message": '"value" must be of type object'})
    assert (await call(sim, "POST", f"{path}/send", data=b"5", headers=as_json))[1]["code"] == "malformed"
    status, body = await call(sim, "POST", f"{path}/send", data=b"\xff\xfe", headers=as_json)
    assert (status, body["code"]) == (400, "malformed")


async def test_paths_match_case_insensitively_as_express_does(sim: Sim) -> None:
    sent = await send(sim, "/v1/transactional/govSG", SENDS[GOVSG])
    status, body = await call(sim, "GET", f"/v1/transactional/GovSG/{sent['id']}")
    assert (status, body["id"]) == (200, sent["id"])
    status, body = await call(sim, "GET", "/v1/Transactional/govsg/")
    assert [m["id"] for m in body["data"]] == [sent["id"]]
    status, body = await call(sim, "GET", "/v1/TRANSACTIONAL/GOVSG")
    assert (status, [m["id"] for m in body["data"]]) == (200, [sent["id"]])


async def test_only_the_v1_prefix_itself_is_case_sensitive_as_the_readme_says(sim: Sim) -> None:
    response = await sim.client.get("/V1/transactional/govsg", headers={"Authorization": f"Bearer {KEY}"})
    assert response.status == 404
    assert "Paths after `/v1` match in any letter case" in README
    assert "`/V1/...` is the server's plain 404" in README


async def test_unknown_paths_and_methods_are_404_in_the_v1_shape(sim: Sim) -> None:
    assert await call(sim, "GET", "/v1/transactional/fax") == (404, {"code": "not_found", "message": "Not Found"})
    assert await call(sim, "DELETE", f"{EMAIL}/1") == (404, {"code": "not_found", "message": "Not Found"})


async def test_sends_are_rate_limited_per_key_with_429_rate_limit(make_sim: SimFactory) -> None:
    sim = await make_sim("v1:\n  rate_limit: 3\n  rate_limit_clock: simulated\n")
    for path in (EMAIL, SMS, GOVSG):  # one window shared by every channel
        response = await sim.client.post(f"{path}/send", json=SENDS[path], headers={"Authorization": f"Bearer {KEY}"})
        assert response.status == 201
        assert response.headers["RateLimit-Limit"] == "3"
    response = await sim.client.post(f"{SMS}/send", json=SENDS[SMS], headers={"Authorization": f"Bearer {KEY}"})
    assert response.status == 429
    assert await response.json() == {"code": "rate_limit", "message": "Too many requests. Please try again later."}
    assert response.headers["Retry-After"] == "1"
    assert response.headers["RateLimit-Remaining"] == "0"
    # another key has its own allowance; reads are not limited
    assert (await call(sim, "POST", f"{SMS}/send", key=OTHER_KEY, json=SENDS[SMS]))[0] == 201
    assert (await call(sim, "GET", SMS))[0] == 200
    # the refused send stored nothing, and the next window allows sends again
    assert len((await call(sim, "GET", SMS))[1]["data"]) == 1
    await sim.advance(1)
    assert (await call(sim, "POST", f"{SMS}/send", json=SENDS[SMS]))[0] == 201


async def test_the_default_rate_limit_is_ten_sends_per_second(sim: Sim) -> None:
    statuses = [(await call(sim, "POST", f"{SMS}/send", json=SENDS[SMS]))[0] for _ in range(11)]
    assert statuses == [201] * 10 + [429]


async def test_reset_restarts_ids_and_forgets_messages(sim: Sim) -> None:
    first = await send(sim, EMAIL, email_body())
    second = await send(sim, EMAIL, email_body())
    assert (first["id"], second["id"]) == ("1", "2")
    assert (await sim.client.post("/_sim/reset")).status == 200
    assert (await call(sim, "GET", f"{EMAIL}/1"))[0] == 404
    assert (await send(sim, EMAIL, email_body()))["id"] == "1"


@pytest.mark.parametrize(("yaml_text", "named"), [
    ("v1:\n  rate_limit: -1\n", "v1.rate_limit"),
    ("v1:\n  email:\n    blacklist: a@b.c\n", "v1.email.blacklist"),
    ("v1:\n  sms:\n    status_on_send: SENT\n", "v1.sms.status_on_send"),
    ("v1:\n  govsg:\n    templates: [{id: x}]\n", "v1.govsg.templates"),
    ("v1:\n  govsg:\n    templates: [{id: 1, languages: [fr]}]\n", "unknown language"),
])
async def test_a_bad_v1_section_is_refused_at_start_naming_the_key(make_sim: SimFactory, yaml_text: str,
                                                                   named: str) -> None:
    with pytest.raises(ValueError, match=named):
        await make_sim(yaml_text)
