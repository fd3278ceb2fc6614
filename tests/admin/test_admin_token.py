"""--admin-token: every /_sim route but health, the dashboard page and the sink's receiving side needs it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.web_urldispatcher import PrefixedSubAppResource

from simulator import create_app
from simulator.clock import ManualClock
from tests.conftest import DEMO_CAMPAIGN, ROOT, START, Sim, default_config
from tests.faces.v2.helpers import auth, send, send_ok

TOKEN = "s3cret-admin-token_0123456789"
WRONG = "s3cret-admin-token_0123456780"  # same length, last character differs
BEARER = {"Authorization": f"Bearer {TOKEN}"}
# What stays reachable without the token, and why: health for load balancers and readiness probes,
# the dashboard's page (its API calls need the token), and a sink that webhooks must be able to reach.
OPEN = {("GET", "/_sim/health"), ("HEAD", "/_sim/health"), ("GET", "/_sim/dashboard"), ("HEAD", "/_sim/dashboard"),
        ("POST", "/_sim/sink"), ("PUT", "/_sim/sink"), ("POST", "/_sim/sink/x"), ("PUT", "/_sim/sink/x")}


def _routes(app: web.Application) -> Iterator[tuple[str, str]]:
    """(method, concrete path) for every route of `app` and the sub-apps mounted in it (their
    resources carry the full path once mounted)."""
    for resource in app.router.resources():
        if isinstance(resource, PrefixedSubAppResource):
            yield from _routes(resource._app)
            continue
        path = re.sub(r"\{[^}]+\}", "x", resource.canonical)
        for route in resource:
            yield route.method, path


@pytest.fixture
async def guarded(aiohttp_client: Any) -> Sim:
    clock = ManualClock(start=START)
    app = create_app(default_config(), clock=clock, seed=0, admin_token=TOKEN)
    return Sim(client=await aiohttp_client(app), clock=clock, app=app)


def _control_routes(app: web.Application) -> list[tuple[str, str]]:
    routes = sorted({(method, path) for method, path in _routes(app) if path.startswith("/_sim")})
    assert len(routes) > 30 and ("POST", "/_sim/reset") in routes and ("GET", "/_sim/webhooks/events") in routes
    assert ("POST", "/_sim/qlara/inbound") in routes and ("GET", "/_sim/sink/x") in routes
    return routes


async def test_every_control_route_but_the_open_ones_answers_401_without_the_token(guarded: Sim) -> None:
    routes = _control_routes(guarded.app)
    refused = []
    for method, path in routes:
        response = await guarded.client.request(method, path, json={} if method in ("POST", "PUT", "PATCH") else None)
        if (method, path) in OPEN:
            assert response.status < 400, (method, path, response.status)
            continue
        refused.append((method, path))
        assert response.status == 401, (method, path, response.status)
        assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")
        if method != "HEAD":
            error = (await response.json())["error"]
            assert error["code"] == "unauthorized" and "Authorization: Bearer" in error["message"]
    assert len(refused) == len(routes) - len(OPEN)
    clock = await (await guarded.client.get("/_sim/clock", headers=BEARER)).json()
    assert clock["epoch"] == START  # advance, set and speed were all refused
    journal = await (await guarded.client.get("/_sim/messages", headers=BEARER)).json()
    assert journal["total"] == 0  # and so was the simulated Qlara inbound


async def test_nothing_changes_without_the_token(guarded: Sim) -> None:
    before = await (await guarded.client.get("/_sim/clock", headers=BEARER)).json()
    for path in ("/_sim/clock/advance", "/%5Fsim/clock/advance", "/_sim/clock/advance/"):
        response = await guarded.client.post(path, json={"seconds": 60})
        assert response.status == 401, path
    assert (await guarded.client.get("/_sim/nope")).status == 401  # unknown paths do not reveal what exists
    after = await (await guarded.client.get("/_sim/clock", headers=BEARER)).json()
    assert after["epoch"] == before["epoch"]


async def test_the_right_token_opens_every_kind_of_route(guarded: Sim) -> None:
    for path in ("/_sim/clock", "/_sim/messages", "/_sim/webhooks", "/_sim/webhooks/events", "/_sim/scenarios",
                 "/_sim/sink", "/_sim/metrics", "/_sim/openapi.json", "/_sim/docs"):
        response = await guarded.client.get(path, headers=BEARER)
        assert response.status == 200, (path, await response.text())
    advanced = await guarded.client.post("/_sim/clock/advance", json={"seconds": 60}, headers=BEARER)
    assert advanced.status == 200
    assert (await guarded.client.post("/_sim/reset", json={}, headers=BEARER)).status == 200


@pytest.mark.parametrize("header", [f"Bearer {WRONG}", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer ", TOKEN,
                                    f"Bearer {TOKEN[:-1]}\u00e9"])
async def test_a_wrong_token_is_refused(guarded: Sim, header: str) -> None:
    response = await guarded.client.get("/_sim/clock", headers={"Authorization": header})
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].endswith('error="invalid_token"')
    assert (await response.json())["error"] == {"code": "unauthorized", "message": "The admin token is wrong."}


async def test_the_sink_receives_without_the_token_but_shows_only_with_it(guarded: Sim) -> None:
    assert (await guarded.client.post("/_sim/sink/hook", json={"hello": 1})).status == 200
    handshake = await guarded.client.get("/_sim/sink/hook", params={"hub.mode": "subscribe", "hub.challenge": "42"})
    assert handshake.status == 200 and await handshake.text() == "42"
    assert (await guarded.client.get("/_sim/sink")).status == 401
    assert (await guarded.client.delete("/_sim/sink")).status == 401
    shown = await (await guarded.client.get("/_sim/sink", headers=BEARER)).json()
    assert shown["total"] == 1 and shown["data"][0]["json"] == {"hello": 1}


async def test_the_dashboard_page_loads_and_asks_for_the_token(guarded: Sim) -> None:
    response = await guarded.client.get("/_sim/dashboard")
    assert response.status == 200
    page = await response.text()
    assert "sessionStorage" in page and "Authorization" in page


async def test_health_stays_open(guarded: Sim) -> None:
    response = await guarded.client.get("/_sim/health")
    assert response.status == 200


async def test_without_a_token_the_control_surface_stays_open(sim: Sim) -> None:
    assert (await sim.client.get("/_sim/clock")).status == 200
    assert (await sim.client.get("/_sim/sink")).status == 200


async def test_open_mode_the_campaign_id_is_the_only_secret_strict_mode_is_not_so(make_sim) -> None:
    """What the README's Security section says: in open mode a fresh key joins any open campaign whose id it
    knows and reads its messages; in strict mode only configured keys work."""
    campaign = "campaign_0b5e7a1c-1111-4222-8333-444455556666"
    sim = await make_sim()
    sent = await send_ok(sim, campaign=campaign, key="key_test_owner_0001")
    stranger = await sim.client.get(f"/api/v2/campaigns/{campaign}/messages/{sent['id']}",
                                    headers=auth("key_test_stranger_0002"))
    assert stranger.status == 200 and (await stranger.json())["id"] == sent["id"]
    configured = await sim.client.get(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages",
                                      headers=auth("key_test_stranger_0003"))
    assert configured.status == 401  # configured campaigns take only their own keys, even in open mode
    strict = await make_sim(yaml_text=(ROOT / "scenarios.yaml").read_text().replace("mode: open", "mode: strict"))
    refused = await send(strict, campaign=campaign, key="key_test_owner_0001")
    assert refused.status == 401
