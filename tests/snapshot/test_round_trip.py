"""A snapshot taken of one simulator and loaded into a new one (in process, over real HTTP on loopback):
what a user reads back is the same, and what the simulator does next goes on from where it was."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from simulator import create_app, parse_config
from simulator.clock import ManualClock, SystemClock, ahead_of_wall
from simulator.scenarios.model import SimConfig
from simulator.snapshot import envelope, load, write
from simulator.snapshot.state import capture, clock_data, restore_clock
from tests.conftest import DEMO_CAMPAIGN, START, Sim, default_config
from tests.faces.qlara.helpers import open_window, send_whatsapp, status, text_body
from tests.faces.v2.helpers import auth, send_ok

RELOAD = """
version: 1
timelines:
  slow: [{after: 100, status: enqueued}, {after: 100, status: sending}]
rules:
  - {name: slow-sg, match: {face: v2}, timeline: slow}
"""
OPEN_CAMPAIGN = "campaign_12345678-1234-4234-8234-123456789012"
OPEN_KEY = "key_test_open_mode_key_0001"


async def save(sim: Sim, path: Path) -> None:
    envelope.write_atomic(path, envelope.encode(await capture(sim.app), 0))


async def restored(aiohttp_client: Any, path: Path, config: SimConfig | None = None) -> TestClient[Any, Any]:
    app = create_app(config or default_config(), clock=ManualClock(start=START), seed=0)
    load(app, path)
    client: TestClient[Any, Any] = await aiohttp_client(app)
    return client


async def json_of(client: TestClient[Any, Any], path: str, **kwargs: Any) -> Any:
    response = await client.get(path, **kwargs)
    assert response.status == 200, await response.text()
    return await response.json()


async def test_reloaded_scenarios_open_mode_campaigns_windows_and_the_journal_come_back(
        sim: Sim, tmp_path: Path, aiohttp_client: Any) -> None:
    path = tmp_path / "sim.snapshot"
    assert (await sim.client.post("/_sim/scenarios/reload", data=RELOAD)).status == 200
    sent = await send_ok(sim, campaign=OPEN_CAMPAIGN, key=OPEN_KEY)  # open mode: the key is bound to it now
    await sim.advance(150)
    scenarios = await json_of(sim.client, "/_sim/scenarios")
    message = await json_of(sim.client, f"/api/v2/campaigns/{OPEN_CAMPAIGN}/messages/{sent['id']}",
                            headers=auth(OPEN_KEY))
    requests = await json_of(sim.client, "/_sim/requests")
    await save(sim, path)
    assert OPEN_KEY.encode() not in path.read_bytes()  # keys only by digest; the journal masked

    client = await restored(aiohttp_client, path)
    assert await json_of(client, "/_sim/scenarios") == scenarios  # the reload body is in force again
    again = await json_of(client, f"/api/v2/campaigns/{OPEN_CAMPAIGN}/messages/{sent['id']}", headers=auth(OPEN_KEY))
    assert again == message  # same campaign, template ids and fullMessage
    other = await client.get(f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages/{sent['id']}", headers=auth(OPEN_KEY))
    assert other.status == 401  # the key stays bound to its own campaign
    replay = await json_of(client, "/_sim/requests")
    old_ids = [r["id"] for r in requests["data"]]  # newest first
    new_ids = [r["id"] for r in replay["data"]][:-len(old_ids)]
    assert [r["id"] for r in replay["data"]][-len(old_ids):] == old_ids and len(new_ids) == 2
    assert min(new_ids) > max(old_ids)  # the journal's numbers go on

    assert (await client.post("/_sim/clock/advance", json={"seconds": 50})).status == 200
    done = await json_of(client, f"/api/v2/campaigns/{OPEN_CAMPAIGN}/messages/{sent['id']}", headers=auth(OPEN_KEY))
    assert done["latestStatus"] == "sending"  # the reloaded timeline's second step, 200 s after acceptance


async def test_an_open_whatsapp_window_stays_open(sim: Sim, tmp_path: Path, aiohttp_client: Any) -> None:
    path = tmp_path / "sim.snapshot"
    await open_window(sim, "+393401234567")
    await sim.advance(3600)
    await save(sim, path)
    client = await restored(aiohttp_client, path)
    again = Sim(client=client, clock=ManualClock(), app=client.app)
    inside = await send_whatsapp(again, text_body("+393401234567"))  # 23 h of the window left
    outside = await send_whatsapp(again, text_body("+393400000000"))  # never opened
    await again.advance(10)
    assert (await status(again, inside))["deliveryStatus"] == "READ"
    assert (await status(again, outside))["deliveryStatus"] == "ERROR"


def test_a_real_clock_keeps_its_lead_and_speed() -> None:
    clock = SystemClock(speed=60)
    clock.jump(3600)
    data = clock_data(clock)
    later = SystemClock(speed=1)
    assert restore_clock(later, data) is None
    assert later.speed == 60 and 3600 <= ahead_of_wall(later) < 3600 + 60 * 5
    assert restore_clock(ManualClock(), data) is not None  # another kind: left as the flags set it


def test_a_real_clock_a_hair_behind_the_wall_clock_restores() -> None:
    """Written a few µs after reading the time (or on a replica whose entry time lags the wall clock), a real
    clock that was never advanced has a lead just below zero; its own snapshot must load."""
    for lead in (-2.384185791015625e-07, -0.005):
        later = SystemClock()
        assert restore_clock(later, {"kind": "real", "ahead": lead, "speed": 1.0}) is None
        assert abs(ahead_of_wall(later)) < 1


HOOKS = """
version: 1
webhooks:
  subscriptions:
    - {{id: from-file, url: "{url}", format: standard}}
"""


async def test_the_scenarios_file_wins_over_a_snapshot_for_its_own_subscriptions(
        make_sim: Any, tmp_path: Path, aiohttp_client: Any) -> None:
    path = tmp_path / "sim.snapshot"
    sim = await make_sim(HOOKS.format(url="http://127.0.0.1:9/old"))
    added = await sim.client.post("/_sim/webhooks", json={"id": "at-run-time", "url": "http://127.0.0.1:9/rt"})
    assert added.status == 201, await added.text()
    await save(sim, path)
    client = await restored(aiohttp_client, path, parse_config(HOOKS.format(url="http://127.0.0.1:9/new")))
    urls = {s["id"]: s["url"] for s in (await json_of(client, "/_sim/webhooks"))["data"]}
    assert urls == {"from-file": "http://127.0.0.1:9/new", "at-run-time": "http://127.0.0.1:9/rt"}


async def test_a_failed_write_is_shown_by_health_and_the_next_one_recovers(tmp_path: Path, aiohttp_client: Any) -> None:
    folder = tmp_path / "not-yet"
    folder.mkdir()
    client = await restored(aiohttp_client, folder / "sim.snapshot")  # nothing there: a first start
    shutil.rmtree(folder)  # and then its folder is gone
    await write(client.app)
    failed = (await json_of(client, "/_sim/health"))["snapshot"]
    assert failed["last_written_at"] is None and "No such file or directory" in failed["last_error"]
    folder.mkdir()
    await write(client.app)
    ok = (await json_of(client, "/_sim/health"))["snapshot"]
    assert ok["last_error"] is None and ok["bytes"] == (folder / "sim.snapshot").stat().st_size
    assert ok["restored_messages"] is None and ok["last_written_at"] is not None
