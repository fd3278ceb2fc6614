"""No webhook may reach the simulator's own /_sim routes (but the sink), under any spelling of its address."""

from __future__ import annotations

from typing import Any

import pytest

from simulator import create_app, parse_config
from tests.conftest import Sim, SimFactory
from tests.faces.qlara.helpers import GATEWAY, KEY

HOOK = f"{GATEWAY}/webhooks/delivery-status"

# {port} is the port the test server listens on.
CONTROL_URLS = [
    "http://127.0.0.1:{port}/_sim/reset",
    "http://localhost:{port}/_sim/reset",
    "http://LocalHost.:{port}/_sim/reset",
    "http://127.1:{port}/_sim/reset",
    "http://127.0.0.2:{port}/_sim/reset",
    "http://2130706433:{port}/_sim/reset",
    "http://0x7f.0.0.1:{port}/_sim/reset",
    "http://[::1]:{port}/_sim/reset",
    "http://[::ffff:127.0.0.1]:{port}/_sim/reset",
    "http://0.0.0.0:{port}/_sim/reset",
    "http://[::]:{port}/_sim/reset",
    "http://127.0.0.1:{port}/_SIM/reset",
    "http://127.0.0.1:{port}/%5Fsim/reset",
    "http://127.0.0.1:{port}/%255Fsim/reset",
    "http://127.0.0.1:{port}//_sim/reset",
    "http://127.0.0.1:{port}/./_sim/reset",
    "http://127.0.0.1:{port}/_sim/sink/../reset",
    "http://127.0.0.1:{port}/_sim/sink%2F..%2Freset",
    "http://127.0.0.1:{port}/_sim",
    "https://127.0.0.1:{port}/_sim/webhooks",
]


def _port(sim: Sim) -> int:
    port = sim.client.server.port
    assert port is not None
    return port


@pytest.mark.parametrize("template", CONTROL_URLS)
async def test_qlara_callback_at_the_control_surface_is_a_qlara_400(sim: Sim, template: str) -> None:
    url = template.format(port=_port(sim)).replace("http:", "https:")  # past Qlara's own HTTPS rule
    response = await sim.client.post(HOOK, json={"callbackUrl": url}, headers=KEY)
    assert response.status == 400, await response.text()
    body = await response.json()
    assert body["status"] == 400 and body["error"] == "Bad Request" and "/_sim" in body["message"]  # Qlara's shape
    assert (await sim.client.get(HOOK, headers=KEY)).status == 404  # nothing registered


@pytest.mark.parametrize("template", CONTROL_URLS)
async def test_sim_webhooks_refuses_the_control_surface(sim: Sim, template: str) -> None:
    url = template.format(port=_port(sim))
    response = await sim.client.post("/_sim/webhooks", json={"url": url})
    assert response.status == 400, await response.text()
    error = (await response.json())["error"]
    assert error["code"] == "invalid_subscription" and "/_sim" in error["message"]
    assert (await (await sim.client.get("/_sim/webhooks")).json())["data"] == []


async def test_a_qlara_callback_can_no_longer_reset_every_tenant(sim: Sim) -> None:
    """The reproduction: a Qlara client's callback at /_sim/reset wiped every tenant on its next event."""
    other = await sim.client.post("/_sim/webhooks", json={"url": "http://127.0.0.1:9/elsewhere"})
    assert other.status == 201
    url = f"http://127.0.0.1:{_port(sim)}/_sim/reset"
    assert (await sim.client.post(HOOK, json={"callbackUrl": url}, headers=KEY)).status == 400
    update = await sim.client.patch("/_sim/webhooks/wh_1", json={"url": url})  # nor by changing the URL
    assert update.status == 400
    assert (await (await sim.client.get("/_sim/webhooks/wh_1")).json())["url"] == "http://127.0.0.1:9/elsewhere"


async def test_the_sink_and_other_ports_stay_allowed(sim: Sim) -> None:
    port = _port(sim)
    for url in (f"http://127.0.0.1:{port}/_sim/sink", f"http://localhost:{port}/_sim/sink/qlara?status=503",
                f"http://127.0.0.1:{port}/hooks/_sim", f"http://127.0.0.1:{port + 1}/_sim/reset"):
        response = await sim.client.post("/_sim/webhooks", json={"url": url})
        assert response.status == 201, (url, await response.text())
    sink = f"http://127.0.0.1:{port}/_sim/sink/qlara"
    assert (await sim.client.post(HOOK, json={"callbackUrl": sink}, headers=KEY)).status == 201


def test_config_and_cli_subscriptions_at_the_control_surface_fail_at_start() -> None:
    """Before the server listens its port may be unknown: then every loopback /_sim path is refused."""
    for url in ("http://localhost:8080/_sim/reset", "http://127.1:1234/%5Fsim/clock/advance"):
        config = parse_config(f"webhooks:\n  subscriptions:\n    - {{url: '{url}'}}\n")
        with pytest.raises(ValueError, match="control surface /_sim"):
            create_app(config)
    for url in ("http://[::]:8080/_sim/reset", "http://0.0.0.0:8080//_sim/clock/advance"):
        with pytest.raises(ValueError, match="control surface /_sim"):  # the CLI's --webhook-url, port known
            create_app(parse_config(f"webhooks:\n  from_cli:\n    - {{url: '{url}'}}\n"), bound=("0.0.0.0", 8080))
    create_app(parse_config("webhooks:\n  subscriptions:\n    - {url: 'http://localhost:8080/_sim/sink'}\n"))
    create_app(parse_config("webhooks:\n  subscriptions:\n    - {url: 'http://localhost:9/_sim/x'}\n"),
               bound=("127.0.0.1", 8080))  # known port: another server's /_sim is its own business


async def test_allow_hosts_restricts_face_registered_callbacks(make_sim: SimFactory) -> None:
    sim = await make_sim("webhooks:\n  allow_hosts: ['*.qa.example.com', '127.0.0.1:9000']\n")
    refused: list[Any] = []
    for url in ("https://evil.example.net/hook", "https://qa.example.com.evil.net/x", "http://127.0.0.1:9001/h"):
        response = await sim.client.post(HOOK, json={"callbackUrl": url}, headers=KEY)
        refused.append((response.status, "allow_hosts" in (await response.json())["message"]))
    assert refused == [(400, True)] * 3
    ok = await sim.client.post(HOOK, json={"callbackUrl": "https://hooks.qa.example.com/q"}, headers=KEY)
    assert ok.status == 201
    moved = await sim.client.put(HOOK, json={"callbackUrl": "https://evil.example.net/hook"}, headers=KEY)
    assert moved.status == 400
    assert (await (await sim.client.get(HOOK, headers=KEY)).json())["callbackUrl"] == "https://hooks.qa.example.com/q"
    assert (await sim.client.put(HOOK, json={"callbackUrl": "http://127.0.0.1:9000/h"}, headers=KEY)).status == 200
    # The operator's own subscriptions (/_sim/webhooks, config, CLI) are not face callbacks: not restricted.
    assert (await sim.client.post("/_sim/webhooks", json={"url": "https://evil.example.net/x"})).status == 201


def test_allow_hosts_must_be_a_list_of_globs() -> None:
    with pytest.raises(ValueError, match="allow_hosts"):
        create_app(parse_config("webhooks:\n  allow_hosts: '*.example.com'\n"))
