"""--admin-token on real servers: the threaded clients, the serve banner and the standalone sink."""

from __future__ import annotations

import signal
import sys
import urllib.error
import urllib.request

import pytest

from simulator.testing import AsyncSimClient, SimClient, SimError, ThreadedSimulator
from tests.admin.test_admin_token import BEARER, TOKEN, WRONG
from tests.conftest import ROOT, default_config
from tests.process.processes import free_port, start, wait_for_banner


def test_the_clients_send_the_token() -> None:
    with ThreadedSimulator(default_config(), admin_token=TOKEN) as server:
        with pytest.raises(SimError) as refused:
            SimClient(server.url, admin_token="").clock()
        assert refused.value.status == 401 and refused.value.code == "unauthorized"
        assert SimClient(server.url, admin_token=TOKEN).advance(5).kind == "manual"
        assert SimClient(server.url, admin_token=TOKEN).reset() == 0


def test_the_clients_read_the_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTMAN_SIM_ADMIN_TOKEN", TOKEN)
    with ThreadedSimulator(default_config(), admin_token=TOKEN) as server:
        assert SimClient(server.url).clock().kind == "manual"


async def test_the_async_client_sends_the_token() -> None:
    with ThreadedSimulator(default_config(), admin_token=TOKEN) as server:
        with pytest.raises(SimError) as refused:
            await AsyncSimClient(server.url, admin_token=WRONG).clock()
        assert refused.value.status == 401
        assert (await AsyncSimClient(server.url, admin_token=TOKEN).advance(5)).kind == "manual"


def _get(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        return int(exc.code)


def _serve(host: str, env: dict[str, str]) -> tuple[str, int]:
    port = free_port()
    process = start([sys.executable, "-m", "simulator", "serve", "--host", host, "--port", str(port),
                     "--clock", "manual", "--scenarios", str(ROOT / "scenarios.yaml")], env)
    try:
        banner = wait_for_banner(process)
        clock = _get(f"http://127.0.0.1:{port}/_sim/clock")
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    return banner, clock


def test_the_banner_warns_when_bound_to_every_interface_without_a_token() -> None:
    banner, clock = _serve("0.0.0.0", {})
    assert "WARNING: bound to 0.0.0.0 without an admin token" in banner and "--admin-token" in banner
    assert clock == 200


def test_with_a_token_from_the_environment_there_is_no_warning_and_the_control_surface_is_closed() -> None:
    banner, clock = _serve("0.0.0.0", {"POSTMAN_SIM_ADMIN_TOKEN": TOKEN})
    assert "WARNING" not in banner and "needs the admin token" in banner and TOKEN not in banner
    assert clock == 401


def test_loopback_needs_no_warning() -> None:
    banner, _ = _serve("127.0.0.1", {})
    assert "WARNING" not in banner


def test_a_token_with_spaces_is_one_clear_line() -> None:
    process = start([sys.executable, "-m", "simulator", "serve", "--admin-token", "two words"], {})
    _, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "invalid admin token: the admin token must be non-empty visible ASCII" in err


def test_the_standalone_sink_guards_reading_with_the_token() -> None:
    port = free_port()
    process = start([sys.executable, "-m", "simulator", "sink", "--port", str(port)],
                    {"POSTMAN_SIM_ADMIN_TOKEN": TOKEN})
    try:
        assert process.stdout is not None
        banner = "".join(process.stdout.readline() for _ in range(4))
        assert "Authorization: Bearer <token>" in banner
        posted = urllib.request.Request(f"http://127.0.0.1:{port}/hook", data=b"{}", method="POST",
                                        headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(posted, timeout=5) as response:
            assert response.status == 200
        assert _get(f"http://127.0.0.1:{port}/") == 401
        assert _get(f"http://127.0.0.1:{port}/", {"Authorization": f"Bearer {WRONG}"}) == 401
        assert _get(f"http://127.0.0.1:{port}/", BEARER) == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)


