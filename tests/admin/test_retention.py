"""Bounded memory (issue 12): --max-messages and --retention evict settled messages, oldest settled first, and
say so in /_sim/health and the metrics; /_sim/messages reads indexes that stay right through evictions and
resets; a full reset frees every message by reference counting (no cycles for the collector to find)."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import urllib.request
from typing import Any

import pytest

from simulator.core.models import Message
from tests.conftest import DEMO_KEY, ROOT, Sim
from tests.faces.qlara import helpers as qlara
from tests.faces.v1 import client as v1
from tests.faces.v2.helpers import get_message, send_ok
from tests.process.processes import free_port, start, wait_for_banner

SETTLE = 3600  # far past every default v2 timeline


async def _json(sim: Sim, path: str) -> Any:
    response = await sim.client.get(path)
    assert response.status == 200, await response.text()
    return await response.json()


async def _held(sim: Sim) -> list[str]:
    """Recipients of the held messages, oldest accepted first."""
    body = await _json(sim, "/_sim/messages?limit=1000")
    return [m["recipient"] for m in reversed(body["data"])]


async def _evicted_metric(sim: Sim) -> float:
    text = await (await sim.client.get("/_sim/metrics")).text()
    lines = [line for line in text.splitlines() if line.startswith("postman_sim_messages_evicted_total ")]
    return float(lines[0].split()[1])


async def test_max_messages_evicts_the_oldest_settled_first_and_never_an_unsettled_one(sim: Sim) -> None:
    sim.engine.store.configure(max_messages=2)
    await send_ok(sim, "6590000001")
    await sim.advance(SETTLE)  # 01 settles
    for n in (2, 3, 4):
        await send_ok(sim, f"659000000{n}")
    # Over the bound, but only 01 has settled: it goes, the three still on their way stay.
    assert await _held(sim) == ["6590000002", "6590000003", "6590000004"]
    await sim.advance(SETTLE)  # they settle in acceptance order: 02 goes, 03 and 04 fit
    assert await _held(sim) == ["6590000003", "6590000004"]
    health = await _json(sim, "/_sim/health")
    assert (health["messages"], health["evicted"]) == (2, 2)
    assert await _evicted_metric(sim) == 2


async def test_an_evicted_message_is_gone_from_every_read(sim: Sim) -> None:
    sim.engine.store.configure(max_messages=1)
    first = await send_ok(sim, "6590000001")
    await sim.advance(SETTLE)
    second = await send_ok(sim, "6590000002")
    await sim.advance(SETTLE)
    response = await sim.client.get(f"/api/v2/campaigns/{first['campaignId']}/messages/{first['id']}",
                                    headers={"Authorization": f"Bearer {DEMO_KEY}"})
    assert response.status == 404
    assert (await get_message(sim, second["id"]))["id"] == second["id"]
    assert (await sim.client.get(f"/_sim/messages/{first['id']}")).status == 404
    for query in ("recipient=6590000001", "status=success", "face=v2", f"tenant={first['campaignId']}"):
        body = await _json(sim, f"/_sim/messages?{query}")
        assert first["id"] not in [m["id"] for m in body["data"]], query
    assert (await _json(sim, "/_sim/messages?status=success"))["total"] == 1
    response = await sim.client.get(f"/api/v2/campaigns/{first['campaignId']}/messages",
                                    headers={"Authorization": f"Bearer {DEMO_KEY}"})
    assert [m["id"] for m in (await response.json())["data"]] == [second["id"]]


async def test_retention_evicts_on_the_simulated_clock(sim: Sim) -> None:
    sim.engine.store.configure(retention=3600)
    await send_ok(sim, "6590000001")
    await sim.advance(60)  # 01 settles within this minute (the default v2 timeline takes seconds)
    await send_ok(sim, "6590000002")
    await sim.advance(3600 - 60)  # 01 settled less than an hour ago
    assert await _held(sim) == ["6590000001", "6590000002"]
    await sim.advance(60)  # 01 settled over an hour ago now, 02 not yet
    assert await _held(sim) == ["6590000002"]
    assert (await _json(sim, "/_sim/health"))["evicted"] == 1


async def test_message_filters_and_totals_follow_status_changes_evictions_and_tenant_resets(sim: Sim) -> None:
    other = "campaign_00000000-0000-4000-8000-0000000000aa"
    other_key = "key_test_postman_sim_other_key_00000001"
    for n in range(3):
        await send_ok(sim, f"659000000{n}")
    await send_ok(sim, "6590000009", campaign=other, key=other_key)
    assert (await _json(sim, "/_sim/messages?status=created"))["total"] == 4
    await sim.advance(SETTLE)
    assert (await _json(sim, "/_sim/messages?status=created"))["total"] == 0
    settled = await _json(sim, "/_sim/messages?status=success&limit=2")
    assert (settled["total"], settled["hasMore"]) == (4, True)
    assert [m["recipient"] for m in settled["data"]] == ["6590000009", "6590000002"]  # newest accepted first
    page = await _json(sim, "/_sim/messages?status=success&limit=2&offset=2")
    assert [m["recipient"] for m in page["data"]] == ["6590000001", "6590000000"]
    assert (await _json(sim, f"/_sim/messages?tenant={other}"))["total"] == 1
    response = await sim.client.post("/_sim/reset", json={"tenant": other})
    assert (await response.json())["removed"] == 1
    assert (await _json(sim, "/_sim/messages?face=v2&channel=sms"))["total"] == 3
    assert (await _json(sim, "/_sim/messages?recipient=6590000009"))["total"] == 0
    metrics = await (await sim.client.get("/_sim/metrics")).text()
    assert 'postman_sim_messages{channel="sms",face="v2",status="success"} 3.0' in metrics


async def test_a_full_reset_frees_every_message_without_the_cyclic_collector(sim: Sim) -> None:
    for n in range(8):  # under the demo campaign's rate limit
        await send_ok(sim, f"659000000{n}")
    await sim.advance(SETTLE)
    gc.collect()
    gc.disable()  # whatever is freed from here on is freed by reference counting
    try:
        alive = sum(isinstance(o, Message) for o in gc.get_objects())  # this test's, and earlier tests' left over
        response = await sim.client.post("/_sim/reset", json={})
        assert (await response.json())["removed"] == 8
        assert sum(isinstance(o, Message) for o in gc.get_objects()) == alive - 8
    finally:
        gc.enable()


def _live_messages() -> int:
    gc.collect()
    return sum(isinstance(o, Message) for o in gc.get_objects())


async def _send_one(sim: Sim, face: str, n: int) -> None:
    if face == "v2":
        await send_ok(sim, f"659000000{n}")
    elif face == "v1_email":
        await v1.send(sim, v1.EMAIL, v1.email_body(f"user{n}@example.com"))
    elif face == "qlara_whatsapp":
        await qlara.send_whatsapp(sim, qlara.template_body(f"+39340123456{n}", customerMessageId=f"order-{n}"))
    else:
        await qlara.send_sms(sim, f"+39340123456{n}", customerMessageId=f"otp-{n}")


@pytest.mark.parametrize("face", ["v2", "v1_email", "qlara_whatsapp", "qlara_sms"])
async def test_evicted_messages_are_freed_on_every_face(sim: Sim, face: str) -> None:
    """--max-messages bounds memory, not only what reads show: nothing a face keeps (Qlara's customerMessageId
    lookup, say) may hold an evicted message alive."""
    sim.engine.store.configure(max_messages=2)
    before = _live_messages()
    for n in range(6):
        await _send_one(sim, face, n)
    await sim.advance(SETTLE)
    assert (await _json(sim, "/_sim/health"))["messages"] == 2
    assert _live_messages() - before == 2


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_the_serve_flags_bound_the_store() -> None:
    port = free_port()
    process = start([sys.executable, "-m", "simulator", "serve", "--scenarios", str(ROOT / "scenarios.yaml"),
                     "--clock", "manual", "--max-messages", "1", "--port", str(port)],
                    {"POSTMAN_SIM_RETENTION": "1h"})
    try:
        wait_for_banner(process)
        base = f"http://127.0.0.1:{port}"
        body = json.dumps({"recipient": "6591234567", "language": "english",
                           "values": {"name": "Tan", "date": "1 Dec"}}).encode()
        for _ in range(2):
            request = urllib.request.Request(
                f"{base}/api/v2/campaigns/campaign_00000000-0000-4000-8000-000000000001/messages", data=body,
                method="POST", headers={"Authorization": f"Bearer {DEMO_KEY}", "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as response:
                assert response.status == 201
            advance = urllib.request.Request(f"{base}/_sim/clock/advance", data=b'{"seconds": 60}', method="POST",
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(advance, timeout=5).close()
        assert _get(f"{base}/_sim/health")["evicted"] == 1
        advance = urllib.request.Request(f"{base}/_sim/clock/advance", data=b'{"seconds": 3600}', method="POST",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(advance, timeout=5).close()
        assert _get(f"{base}/_sim/health") | {"clock": None} == {"status": "ok", "clock": None, "messages": 0,
                                                                   "evicted": 2}
    finally:
        process.terminate()
        process.communicate(timeout=10)


@pytest.mark.parametrize(("flag", "value", "expected"), [
    ("--max-messages", "0", "invalid value '0': a whole number >= 1"),
    ("--retention", "soon", "invalid retention 'soon': a duration such as 3600, 30m, 12h or 7d, or off"),
])
def test_bad_bounds_get_one_clear_line(flag: str, value: str, expected: str) -> None:
    result = subprocess.run([sys.executable, "-m", "simulator", "serve", flag, value], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


async def test_a_long_advance_lets_other_requests_in_and_keeps_time_order(make_sim: Any, monkeypatch: Any) -> None:
    from simulator.core import scheduler

    monkeypatch.setattr(scheduler, "PAUSE_EVERY", 0.0)
    monkeypatch.setattr(scheduler, "PAUSE_CHECK", 1)  # pause after every transition
    sim = await make_sim("version: 1\nextends: default\nv2:\n  rate_limit: 0\n")
    for n in range(40):
        await send_ok(sim, f"65900000{n:02d}")
    start = sim.clock.now()
    advance = asyncio.ensure_future(sim.advance(SETTLE))
    seen = []
    while not advance.done():  # ask the time while the advance runs
        seen.append((await _json(sim, "/_sim/clock"))["epoch"])
    assert any(start < epoch < start + SETTLE for epoch in seen)  # answered part-way through its steps
    assert (await advance)["ran"] >= 40
    body = await _json(sim, "/_sim/messages?limit=1")
    times = [change["at"] for change in body["data"][0]["attempts"][0]["history"]]
    assert times == sorted(times) and body["data"][0]["status"] == "success"
