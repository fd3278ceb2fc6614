"""Shared fixtures: a real simulator server on loopback with a manual clock, and a client for it.

Everything under tests/process/ (a real process, Docker, pytester, the real clock) is marked `process`:
`make test-fast` runs the rest (-m "not process")."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from simulator import create_app, load_config, parse_config
from simulator.clock import ManualClock
from simulator.core.engine import Engine
from simulator.faces import faces
from simulator.scenarios import SimConfig
from simulator.state import ENGINE

ROOT = Path(__file__).resolve().parent.parent
START = 1_767_225_600.0  # 2026-01-01T00:00:00Z: a fixed start keeps timestamps comparable
DEMO_CAMPAIGN = "campaign_00000000-0000-4000-8000-000000000001"
DEMO_KEY = "key_test_postman_sim_demo_key_0000000001"


@dataclass
class Sim:
    """A running simulator: its HTTP client, and the engine for white-box checks of timestamps."""

    client: TestClient[web.Request, web.Application]
    clock: ManualClock
    app: web.Application

    @property
    def engine(self) -> Engine:
        return self.app[ENGINE]

    async def advance(self, seconds: float) -> dict[str, Any]:
        response = await self.client.post("/_sim/clock/advance", json={"seconds": seconds})
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


SimFactory = Callable[..., Awaitable[Sim]]


@functools.cache
def default_config() -> SimConfig:
    """The bundled scenarios.yaml, parsed once per session (48 ms a parse, once per server before). SimConfig
    is frozen and the faces only read its sections; `_default_config_unchanged` checks nothing changed it."""
    return load_config(ROOT / "scenarios.yaml")


def simulated_windows(config: SimConfig) -> SimConfig:
    """`config` with `rate_limit_clock: simulated` in every face section: rate-limit windows that only the
    manual clock ends, for tests that count requests per (simulated) second."""
    sections = dict(config.sections)
    for face in faces():
        sections[face.section] = {**config.section(face.section), "rate_limit_clock": "simulated"}
    return dataclasses.replace(config, sections=sections)


@pytest.fixture(scope="session", autouse=True)
def _default_config_unchanged() -> Iterator[None]:
    yield
    if default_config.cache_info().currsize:
        assert default_config() == load_config(ROOT / "scenarios.yaml"), "a test changed the shared default config"


PROCESS_TESTS = Path(__file__).resolve().parent / "process"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/process/ `process` (they start processes or run on the real clock)."""
    for item in items:
        if item.path.is_relative_to(PROCESS_TESTS):
            item.add_marker(pytest.mark.process)


@pytest.fixture
def make_sim(aiohttp_client: Any) -> SimFactory:
    """make_sim(yaml_text=None, seed=0): a server on loopback with the manual clock at START."""

    async def go(yaml_text: str | None = None, seed: int | None = 0, config: SimConfig | None = None) -> Sim:
        if config is None:
            config = default_config() if yaml_text is None else parse_config(yaml_text)
        clock = ManualClock(start=START)
        app = create_app(config, clock=clock, seed=seed)
        client = await aiohttp_client(app)
        return Sim(client=client, clock=clock, app=app)

    return go


@pytest.fixture
async def sim(make_sim: SimFactory) -> Sim:
    return await make_sim()


@pytest.fixture
async def windowed_sim(make_sim: SimFactory) -> Sim:
    """The bundled scenarios with rate-limit windows on the simulated clock (`rate_limit_clock: simulated`)."""
    return await make_sim(config=simulated_windows(default_config()))
