"""Fixtures the replica tests share: their own redis-server, the replicas they start (stopped after), one HTTP
session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.process.replicas import Receiver, RedisServer, Replica, redis_server


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@pytest.fixture
def replicas(redis: RedisServer) -> Iterator[list[Replica]]:
    started: list[Replica] = []
    yield started
    for replica in started:
        replica.stop()


@pytest.fixture
async def receiver(aiohttp_server: Any) -> tuple[Receiver, str]:
    """A loopback webhook receiver and its URL."""
    found = Receiver()
    app = web.Application()
    app.router.add_post("/hook", found.hook)
    server = await aiohttp_server(app)
    return found, str(server.make_url("/hook"))
