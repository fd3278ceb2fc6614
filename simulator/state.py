"""Typed application keys: all state hangs off the aiohttp Application, never module globals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from simulator.core.engine import Engine
from simulator.scenarios.model import SimConfig

ENGINE = web.AppKey("engine", Engine)
CONFIG = web.AppKey("config", SimConfig)
# On --state redis://...: this replica's id and whether it holds the lease (GET /_sim/health shows it).
REPLICA = web.AppKey[Callable[[], dict[str, Any]]]("replica")
