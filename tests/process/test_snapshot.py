"""`serve --snapshot PATH`: a simulator stopped (SIGTERM, or kill -9 after a periodic write) and started again
with the same flags is the same simulator; a file that is not a usable snapshot is refused before anything
is served."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gzip
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from simulator.snapshot.envelope import FORMAT, encode
from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY
from tests.faces.qlara.helpers import KEY as QLARA_KEY
from tests.faces.qlara.helpers import SEND_SMS, SEND_WA, template_body
from tests.faces.v1.client import EMAIL, GOVSG, KEY, SMS, email_body
from tests.process.processes import free_port, start, wait_for_banner

pytestmark = pytest.mark.process
V2_SEND = f"/api/v2/campaigns/{DEMO_CAMPAIGN}/messages"
V1_AUTH = {"Authorization": f"Bearer {KEY}"}


class Sim:
    """One postman-sim process on a free port, manual clock, with --snapshot."""

    def __init__(self, snapshot: Path, every: str = "1h") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = start([sys.executable, "-m", "simulator", "serve", "--snapshot", str(snapshot)],
                             {"POSTMAN_SIM_PORT": str(self.port), "POSTMAN_SIM_CLOCK": "manual",
                              "POSTMAN_SIM_SEED": "7", "POSTMAN_SIM_SNAPSHOT_EVERY": every,
                              "POSTMAN_SIM_LOG_LEVEL": "warning"})
        self.banner = ""
        self.err = ""

    async def started(self) -> Sim:
        self.banner = await asyncio.to_thread(wait_for_banner, self.process)
        return self

    async def call(self, method: str, path: str, json_body: Any = None,
                   headers: Mapping[str, str] | None = None) -> Any:
        async with aiohttp.ClientSession() as session, session.request(
                method, self.base + path, json=json_body, headers=headers) as response:
            assert response.status < 300, (path, response.status, await response.text())
            return await response.json()

    async def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        code = await asyncio.to_thread(self.process.wait, 20)
        self.err = (await asyncio.to_thread(self.process.communicate))[1]
        return code

    async def post_raw(self, path: str, data: bytes, headers: Mapping[str, str] | None = None) -> int:
        """POST bytes as they are (JSON text a client library would refuse to build); the status."""
        async with aiohttp.ClientSession() as session, session.post(
                self.base + path, data=data, headers={"Content-Type": "application/json", **(headers or {})}) as r:
            await r.read()
            return r.status

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


class Receiver:
    """A loopback webhook receiver that answers 503 until it is told to accept."""

    def __init__(self) -> None:
        self.url = ""
        self.accepting = False
        self.bodies: list[str] = []

    async def hook(self, request: web.Request) -> web.Response:
        if not self.accepting:
            return web.Response(status=503)
        self.bodies.append(await request.text())
        return web.Response(text="ok")


@pytest.fixture
async def receiver(aiohttp_server: Any) -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.hook)
    server = await aiohttp_server(app)
    found.url = str(server.make_url("/hook"))
    yield found


async def send_on_every_face(sim: Sim, n: int) -> None:
    await sim.call("POST", V2_SEND, {"recipient": f"659123456{n}", "language": "english",
                                     "values": {"name": "Tan", "date": "1 Dec"}},
                   {"Authorization": f"Bearer {DEMO_KEY}"})
    await sim.call("POST", f"{EMAIL}/send", email_body(f"user{n}@example.com"), V1_AUTH)
    await sim.call("POST", f"{SMS}/send", {"recipient": f"9123456{n}", "body": "hello", "label": "otp"}, V1_AUTH)
    await sim.call("POST", f"{GOVSG}/send", {"recipient": f"9{n:07d}", "template_id": 1001,
                                             "params": {"name": "Tan", "date": "1 May"}}, V1_AUTH)
    await sim.call("POST", SEND_WA, template_body(f"+3934012345{n}"), QLARA_KEY)
    await sim.call("POST", SEND_SMS, {"destination": f"+6591234{n:03d}", "sender": "TechStore", "body": "code"},
                   QLARA_KEY)


async def send_once_and_stop(path: Path) -> Sim:
    """A simulator on `path` that sends once on every face and stops cleanly (the snapshot written)."""
    sim = await Sim(path).started()
    try:
        await send_on_every_face(sim, 0)
        assert await sim.stop() == 0, sim.err
    finally:
        sim.kill()
    return sim


async def messages(sim: Sim) -> list[dict[str, Any]]:
    page = await sim.call("GET", "/_sim/messages?limit=1000")
    items: list[dict[str, Any]] = page["data"]
    return items


def without_offset(clock: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in clock.items() if k != "offset"}  # the wall clock moved on meanwhile


async def test_sigterm_then_restart_is_the_same_simulator(tmp_path: Path, receiver: Receiver) -> None:
    path = tmp_path / "sim.snapshot"
    first = await Sim(path).started()
    try:
        assert f"Snapshot     {path} (no file yet, starting empty" in first.banner
        await first.call("POST", "/_sim/webhooks", {"id": "qa", "url": receiver.url, "format": "standard",
                                                    "retry": {"schedule": [0, "60s", "60s"], "jitter": 0}})
        await first.call("POST", "/api/partner-gateway/v1/webhooks/delivery-status", {"callbackUrl": receiver.url},
                         QLARA_KEY)
        for n in range(2):
            await send_on_every_face(first, n)
        await first.call("POST", "/_sim/clock/advance", {"seconds": 1.5})  # part way: transitions still due
        before = await messages(first)
        clock = await first.call("GET", "/_sim/clock")
        subscriptions = await first.call("GET", "/_sim/webhooks")
        pending = [e for e in (await first.call("GET", "/_sim/webhooks/events?limit=1000"))["data"]
                   if e["state"] == "pending"]
        assert len(before) == 12 and any(m["status"] not in ("success", "DELIVERED", "READ") for m in before)
        assert len(pending) > 12  # the receiver refused them so far: each waits for its retry
        assert await first.stop() == 0
    finally:
        first.kill()
    assert path.read_bytes().startswith(b"POSTMAN-SIM-SNAPSHOT\n")
    assert receiver.bodies == []

    second = await Sim(path).started()
    try:
        assert f"Snapshot     {path} (restored 12 messages" in second.banner
        assert await messages(second) == before
        assert without_offset(await second.call("GET", "/_sim/clock")) == without_offset(clock)
        assert await second.call("GET", "/_sim/webhooks") == subscriptions
        health = await second.call("GET", "/_sim/health")
        assert health["snapshot"]["path"] == str(path) and health["snapshot"]["restored_messages"] == 12

        receiver.accepting = True
        await second.call("POST", "/_sim/clock/advance", {"seconds": 3600})
        after = {m["id"]: m for m in await messages(second)}
        for old in before:  # the history goes on from where it was
            history, now = old["attempts"][-1]["history"], after[old["id"]]["attempts"][-1]["history"]
            assert now[:len(history)] == history and len(now) > len(history) or old["status"] == now[-1]["status"]
            assert after[old["id"]]["status"] in ("success", "sent_to_telco", "DELIVERED", "OPENED", "READ",
                                                  "delivered", "read"), after[old["id"]]
        assert {e["body"] for e in pending} <= set(receiver.bodies)  # queued events arrive, same bytes
        restored_ids = {m["id"] for m in before}
        whatsapp = {m["id"] for m in before if m["channel"] == "whatsapp"}  # what `standard` covers by default
        assert len(whatsapp) == 4 and whatsapp <= {json.loads(b)["data"]["journal_id"] for b in receiver.bodies
                                                   if '"journal_id"' in b}  # and the transitions applied now

        await send_on_every_face(second, 5)
        new_ids = {m["id"] for m in await messages(second)} - after.keys()
        assert len(new_ids) == 6 and not new_ids & restored_ids
        assert {"v1.email.3", "v1.sms.3", "v1.whatsapp.3"} <= new_ids  # serials go on: 1 and 2 before the restart
    finally:
        second.kill()


async def test_a_request_with_a_lone_surrogate_does_not_stop_the_snapshot(tmp_path: Path) -> None:
    """JSON may escape half a UTF-16 pair (\\ud800), which no UTF-8 file can hold: the journal keeps such a
    body, and the snapshot must still be written and restore every message."""
    path = tmp_path / "sim.snapshot"
    first = await Sim(path).started()
    try:
        await send_on_every_face(first, 0)
        await first.post_raw("/nope", rb'{"a": "\ud800", "\udfff": ["x\udc00y"]}')
        await first.post_raw(f"{SMS}/send", rb'{"recipient": "91234567", "body": "hi \ud800", "label": "otp"}',
                             V1_AUTH)
        before = await messages(first)
        assert await first.stop() == 0, first.err
        assert "Traceback" not in first.err, first.err
    finally:
        first.kill()
    second = await Sim(path).started()
    try:
        assert len(before) >= 6
        assert await messages(second) == before
        bodies = [r["body"] for r in (await second.call("GET", "/_sim/requests?limit=1000"))["data"]]
        assert any(b is not None and "\ufffd" in b for b in bodies), bodies  # the half pair shown as U+FFFD
    finally:
        second.kill()


async def test_a_failed_final_write_says_so_in_one_line_and_exits_non_zero(tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    path = folder / "sim.snapshot"
    sim = await Sim(path).started()
    try:
        await send_on_every_face(sim, 0)
        shutil.rmtree(folder)  # the write has nowhere to go now
        assert await sim.stop() == 1
    finally:
        sim.kill()
    lines = [line for line in sim.err.splitlines() if "snapshot" in line]
    assert len(lines) == 1 and "written" not in lines[0].replace("NOT written", ""), sim.err
    assert f"snapshot NOT written to {path} on the way down" in lines[0] and "No such file" in lines[0], sim.err
    assert "Traceback" not in sim.err, sim.err


SLOW_V1 = "version: 1\nfaults:\n  - {name: slow, match: {path: /v1/*}, latency: 2s}\n"


async def test_a_second_signal_while_stopping_still_writes_the_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "sim.snapshot"
    sim = await Sim(path).started()
    try:
        await send_on_every_face(sim, 0)
        before = await messages(sim)
        async with aiohttp.ClientSession() as session:
            reload = await session.post(sim.base + "/_sim/scenarios/reload", data=SLOW_V1)
            assert reload.status == 200, await reload.text()
            slow = asyncio.ensure_future(session.get(f"{sim.base}{SMS}/messages", headers=V1_AUTH))
            await asyncio.sleep(0.5)  # in flight: the shutdown waits for it, time for an impatient second Ctrl-C
            sim.process.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
            sim.process.send_signal(signal.SIGINT)
            await asyncio.sleep(0.2)
            assert await sim.stop() == 0, sim.err  # a third one, for good measure
            with contextlib.suppress(aiohttp.ClientError):
                (await slow).close()
    finally:
        sim.kill()
    assert "Traceback" not in sim.err and "Error" not in sim.err, sim.err
    assert "already stopping" in sim.err, sim.err
    second = await Sim(path).started()
    try:
        assert await messages(second) == before
    finally:
        second.kill()


async def test_a_leftover_tmp_file_or_link_is_never_written_through(tmp_path: Path) -> None:
    path = tmp_path / "sim.snapshot"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    path.with_name("sim.snapshot.tmp").symlink_to(victim)
    sim = await Sim(path).started()
    try:
        assert await sim.stop() == 0, sim.err
    finally:
        sim.kill()
    assert victim.read_text() == "keep me"
    assert path.read_bytes().startswith(b"POSTMAN-SIM-SNAPSHOT\n") and path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.snapshot", "sim.snapshot.lock", "sim.snapshot.tmp",
                                                         "victim.txt"]  # no other temporary file left behind


async def test_a_snapshot_path_that_is_a_link_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "store" / "real.snapshot"
    real.parent.mkdir()
    link = tmp_path / "sim.snapshot"
    link.symlink_to(real)
    await send_once_and_stop(link)
    assert link.is_symlink() and real.read_bytes().startswith(b"POSTMAN-SIM-SNAPSHOT\n")


async def test_a_second_server_on_the_same_snapshot_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sim.snapshot"
    first = await Sim(path).started()
    try:
        code, out, err = await asyncio.to_thread(refused_start, path)
        assert code == 2 and "listening" not in out
        assert err.strip() == f"postman-sim: cannot restore the snapshot {path}: another postman-sim is using it " \
                              f"(it holds {path}.lock)", err
        assert await first.stop() == 0, first.err
    finally:
        first.kill()


def test_a_snapshot_in_a_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "sim.snapshot"
    code, out, err = refused_start(path)
    assert code == 2 and "listening" not in out
    assert err.strip() == f"postman-sim: cannot restore the snapshot {path}: its folder {path.parent} does not " \
                          "exist", err


async def wait_for_new_write(path: Path, after_ns: int, timeout: float = 20.0) -> int:
    """Poll the file's mtime until a write newer than `after_ns` lands (bounded), and return its mtime."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError):
            mtime = path.stat().st_mtime_ns
            if mtime > after_ns:
                return mtime
        await asyncio.sleep(0.05)
    raise AssertionError(f"no snapshot written to {path} within {timeout}s")


async def test_kill_9_after_a_periodic_write_restores_that_write(tmp_path: Path) -> None:
    path = tmp_path / "sim.snapshot"
    first = await Sim(path, every="1s").started()
    try:
        for n in range(2):
            await send_on_every_face(first, n)
        await first.call("POST", "/_sim/clock/advance", {"seconds": 1.5})
        before = await messages(first)
        clock = await first.call("GET", "/_sim/clock")
        # two writes after the last change: the second one certainly began after it
        await wait_for_new_write(path, await wait_for_new_write(path, 0))
        health = (await first.call("GET", "/_sim/health"))["snapshot"]
        assert health["last_written_at"] is not None and health["bytes"] > 0 and health["last_error"] is None
        first.process.kill()  # kill -9: no goodbye write
        await asyncio.to_thread(first.process.communicate)
    finally:
        first.kill()
    second = await Sim(path).started()
    try:
        assert await messages(second) == before
        assert without_offset(await second.call("GET", "/_sim/clock")) == without_offset(clock)
    finally:
        second.kill()


def _valid(payload: bytes = b"{}", fmt: int = FORMAT) -> bytes:
    data = b"".join(encode([payload], 7))
    if fmt != FORMAT:
        data = data.replace(b'"format":1,', f'"format":{fmt},'.encode(), 1)
    return data


def _flipped() -> bytes:
    data = bytearray(_valid(b'{"messages": []}' * 50))
    data[-30] ^= 0x01
    return bytes(data)


def _header_says(payload_bytes: int) -> bytes:
    data = _valid()
    size = json.loads(data.split(b"\n")[1])["payload_bytes"]
    return data.replace(f'"payload_bytes":{size},'.encode(), f'"payload_bytes":{payload_bytes},'.encode(), 1)


REFUSED = {
    "truncated": (_valid(b'{"messages": []}' * 50)[:-20], "truncated"),
    "flipped byte": (_flipped(), "corrupt: the payload's SHA-256 does not match"),
    "foreign JSON": (json.dumps({"messages": [], "clock": 0}).encode(), "not a postman-sim snapshot"),
    "random bytes": (bytes(range(256)) * 4, "not a postman-sim snapshot"),
    "newer format": (_valid(fmt=FORMAT + 1), f"snapshot format {FORMAT + 1}"),
    "our envelope, wrong content": (_valid(b'{"messages": 3}'), "corrupt: its content does not have the expected"),
    "a decompression bomb": (_valid(b" " * (64 << 20)), "corrupt: the payload decompresses to more than"),
    "a header claiming 3 GiB": (_header_says(3 << 30), "too large: the header says 3221225472 bytes of payload"),
    "more payload than the header says": (_valid() + b"x", "corrupt: the payload is longer than"),
}


def refused_start(path: Path, clock: str = "manual") -> tuple[int, str, str]:
    """Start with --snapshot PATH, expecting it to end by itself: (exit code, stdout, stderr)."""
    process = start([sys.executable, "-m", "simulator", "serve", "--snapshot", str(path)],
                    {"POSTMAN_SIM_PORT": str(free_port()), "POSTMAN_SIM_CLOCK": clock})
    try:
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode, out, err


@pytest.mark.parametrize("case", list(REFUSED))
def test_an_unusable_snapshot_is_refused_and_left_alone(tmp_path: Path, case: str) -> None:
    content, reason = REFUSED[case]
    path = tmp_path / "sim.snapshot"
    path.write_bytes(content)
    code, out, err = refused_start(path)
    assert code == 2
    assert "listening" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"postman-sim: cannot restore the snapshot {path}: ") and reason in lines[0], err
    assert path.read_bytes() == content and not path.with_name("sim.snapshot.tmp").exists()


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "sim.snapshot"
    os.mkfifo(path)
    code, _, err = refused_start(path)
    assert code == 2
    assert err.strip() == f"postman-sim: cannot restore the snapshot {path}: cannot be read: not a regular file " \
                          "(a FIFO, a device or a socket); move it away to start empty", err
    assert not path.with_name("sim.snapshot.lock").exists()


async def test_an_empty_file_is_a_first_start(tmp_path: Path) -> None:
    path = tmp_path / "sim.snapshot"
    path.write_bytes(b"")
    sim = await send_once_and_stop(path)
    assert f"Snapshot     {path} (empty file, starting empty" in sim.banner
    assert path.read_bytes().startswith(b"POSTMAN-SIM-SNAPSHOT\n")


async def test_a_restart_without_seed_says_so_in_words(tmp_path: Path) -> None:
    path = tmp_path / "sim.snapshot"
    first = await Sim(path).started()  # --seed 7
    try:
        assert await first.stop() == 0, first.err
    finally:
        first.kill()
    process = start([sys.executable, "-m", "simulator", "serve", "--snapshot", str(path)],
                    {"POSTMAN_SIM_PORT": str(free_port()), "POSTMAN_SIM_CLOCK": "manual"})
    try:
        banner = await asyncio.to_thread(wait_for_banner, process)
    finally:
        process.kill()
        process.communicate()
    assert "note: snapshot it was taken with --seed 7, this run has no --seed: the seeded streams" in banner, banner


def test_a_snapshot_path_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a-folder"
    path.mkdir()
    code, _, err = refused_start(path)
    assert code == 2
    assert err.strip() == f"postman-sim: cannot restore the snapshot {path}: cannot be read: Is a directory; move it " \
                          "away to start empty", err


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(payload: dict[str, Any]) -> None:
        target: Any = payload
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return edit


def _duplicate_id(payload: dict[str, Any]) -> None:
    payload["messages"][1][0] = payload["messages"][0][0]


EDITED = {  # a hand-edited payload whose checksum was made right again: values a simulator never had
    "message time 1e300": ("manual", _set(["messages", 0, 5], 1e300), "created_at 1e+300 is outside"),
    "status change time -1": ("manual", _set(["messages", 0, 9, 0, 5, 0], -1.0), "-1.0 is outside"),
    "manual clock at 1e300": ("manual", _set(["clock", "now"], 1e300), "the clock's time 1e+300 is outside"),
    "duplicate message ids": ("manual", _duplicate_id, "appears twice"),
    "request time 1e300": ("manual", _set(["journal", "entries", 0, "at"], 1e300), "a request's time 1e+300"),
    "clock speed -5": ("real", _set(["clock"], {"kind": "real", "ahead": 0.0, "speed": -5}), "speed must be > 0"),
    "clock ahead 1e308": ("real", _set(["clock"], {"kind": "real", "ahead": 1e308, "speed": 1.0}),
                          "the clock's lead 1e+308 is outside"),
    "clock behind -1e308": ("real", _set(["clock"], {"kind": "real", "ahead": -1e308, "speed": 1.0}),
                            "the clock's lead -1e+308 is outside"),
}


@pytest.fixture(scope="module")
def taken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The payload of a real snapshot with messages on every face."""
    path = tmp_path_factory.mktemp("taken") / "sim.snapshot"

    asyncio.run(send_once_and_stop(path))
    payload: dict[str, Any] = json.loads(gzip.decompress(path.read_bytes().split(b"\n", 2)[2]))
    return payload


@pytest.mark.parametrize("case", list(EDITED))
def test_values_a_simulator_never_had_are_refused(tmp_path: Path, taken: dict[str, Any], case: str) -> None:
    clock, edit, reason = EDITED[case]
    payload = copy.deepcopy(taken)
    edit(payload)
    path = tmp_path / "sim.snapshot"
    path.write_bytes(b"".join(encode([json.dumps(payload).encode()], 7)))
    code, out, err = refused_start(path, clock)
    assert code == 2 and "listening" not in out, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"postman-sim: cannot restore the snapshot {path}: corrupt: "), err
    assert reason in lines[0], err
