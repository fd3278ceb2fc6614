"""SIGTERM with webhooks pending: what can be delivered within the grace period is, the rest is logged."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp
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
    scenarios = tmp_path / "scenarios.yaml"
    scenarios.write_text(SCENARIOS.format(steady=server.make_url("/steady"), stuck=server.make_url("/stuck")))
    port = free_port()
    process = start([sys.executable, "-m", "simulator", "serve", "--scenarios", str(scenarios)],
                    {"POSTMAN_SIM_PORT": str(port), "POSTMAN_SIM_CLOCK": "manual",
                     "POSTMAN_SIM_LOG_LEVEL": "warning"})
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
