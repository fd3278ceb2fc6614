"""SIGTERM with webhooks pending: what can be delivered within the grace period is, the rest is logged."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.faces.v1.client import GOVSG, KEY
from tests.process.processes import free_port, start, wait_for_banner

SCENARIOS = """
v1: {{rate_limit: 0}}
timelines:
  burst: [{{after: 0, status: SENT}}, {{after: 0, status: DELIVERED}}, {{after: 0, status: READ}}]
defaults: {{v1.whatsapp: burst}}
webhooks:
  subscription_in_flight: 2
  shutdown_grace: 4s
  subscriptions:
    - {{id: steady, url: "{steady}", format: standard}}
    - {{id: stuck, url: "{stuck}", format: standard, timeout: 60}}
"""


def serve(tmp_path: Path, scenarios: str) -> tuple[int, subprocess.Popen[str]]:
    """`postman-sim serve` on the manual clock with these scenarios: its port and process."""
    path = tmp_path / "scenarios.yaml"
    path.write_text(scenarios)
    port = free_port()
    return port, start([sys.executable, "-m", "simulator", "serve", "--scenarios", str(path)],
                       {"POSTMAN_SIM_PORT": str(port), "POSTMAN_SIM_CLOCK": "manual",
                        "POSTMAN_SIM_LOG_LEVEL": "warning"})


async def test_sigterm_delivers_what_it_can_then_logs_what_is_left(tmp_path: Path, aiohttp_server: Any) -> None:
    """The reproduction: 3,141 pending events vanished on SIGTERM, exit 0, nothing logged."""
    received: list[bytes] = []
    never = asyncio.Event()

    async def steady(request: web.Request) -> web.Response:
        received.append(await request.read())
        await asyncio.sleep(0.05)  # 100 events two at a time: about 2.5 s of work
        return web.Response(text="ok")

    async def stuck(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response(text="never")

    app = web.Application()
    app.router.add_post("/steady", steady)
    app.router.add_post("/stuck", stuck)
    server = await aiohttp_server(app)
    port, process = serve(tmp_path, SCENARIOS.format(steady=server.make_url("/steady"),
                                                     stuck=server.make_url("/stuck")))
    try:
        await asyncio.to_thread(wait_for_banner, process)
        async with aiohttp.ClientSession() as session:
            for i in range(20):  # 5 events each (UNSENT, ACCEPTED, SENT, DELIVERED, READ) per subscription
                async with session.post(f"http://127.0.0.1:{port}{GOVSG}/send",
                                        headers={"Authorization": f"Bearer {KEY}"},
                                        json={"recipient": f"9{i:07d}", "template_id": 1001,
                                              "params": {"name": "Tan", "date": "1 May"}}) as response:
                    assert response.status == 201, await response.text()
        assert len(received) < 100  # still pending when the signal comes
        process.send_signal(signal.SIGTERM)
        returncode = await asyncio.to_thread(process.wait, 15)
        _, stderr = await asyncio.to_thread(process.communicate)
    finally:
        never.set()
        if process.poll() is None:
            process.kill()
    assert returncode == 0
    assert len(received) == len(set(received)) == 100  # the deliverable ones arrived within the grace period
    warnings = [line for line in stderr.splitlines() if "left undelivered" in line]
    assert len(warnings) == 1, stderr
    assert "100 webhook events left undelivered" in warnings[0] and "stuck=100" in warnings[0]
    assert "steady=" not in warnings[0]


HOSTILE = """
v1: {{rate_limit: 0}}
timelines:
  one: [{{after: 0, status: SENT}}]
defaults: {{v1.whatsapp: one}}
webhooks:
  shutdown_grace: 2s
  subscriptions:
    - {{id: hostile, url: "http://127.0.0.1:{port}/hook", format: standard, timeout: 60}}
"""


async def endless_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers with a header value that never ends (the lean client froze on it, and SIGTERM waited ~50 s)."""
    writer.write(b"HTTP/1.1 200 OK\r\nX-Big: ")
    while not writer.is_closing():
        writer.write(b"v" * 65536)
        await writer.drain()


async def dribble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answers a byte every 0.2 s: mid-answer for as long as the attempt's timeout."""
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" * 100:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.2)


@pytest.mark.parametrize("answer", [endless_head, dribble], ids=["endless head", "dribbled answer"])
async def test_sigterm_exits_within_the_grace_with_a_hostile_receiver_mid_answer(
        tmp_path: Path, answer: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]) -> None:
    answering = asyncio.Event()
    handlers: set[asyncio.Task[None]] = set()

    async def receive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                await reader.readuntil(b"\r\n\r\n")
                answering.set()
                await answer(reader, writer)
        finally:
            writer.close()

    receiver = await asyncio.start_server(receive, "127.0.0.1", 0)
    port, process = serve(tmp_path, HOSTILE.format(port=receiver.sockets[0].getsockname()[1]))
    try:
        await asyncio.to_thread(wait_for_banner, process)
        async with aiohttp.ClientSession() as session, session.post(
                f"http://127.0.0.1:{port}{GOVSG}/send", headers={"Authorization": f"Bearer {KEY}"},
                json={"recipient": "90000001", "template_id": 1001, "params": {"name": "Tan", "date": "1 May"}},
        ) as response:
            assert response.status == 201, await response.text()
        await asyncio.wait_for(answering.wait(), 10)
        await asyncio.sleep(0.5)  # well into the answer
        loop = asyncio.get_running_loop()
        signalled = loop.time()
        process.send_signal(signal.SIGTERM)
        returncode = await asyncio.to_thread(process.wait, 15)
        took = loop.time() - signalled
        _, stderr = await asyncio.to_thread(process.communicate)
    finally:
        if process.poll() is None:
            process.kill()
        receiver.close()
        for handler in handlers:  # each closes its writer while the loop still runs
            handler.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
    assert returncode == 0, stderr
    assert took < 2 + 2, f"exit took {took:.1f} s"  # the grace, and some slack
    assert "Traceback" not in stderr
