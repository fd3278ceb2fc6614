"""Typed application keys: all state hangs off the aiohttp Application, never module globals."""

from __future__ import annotations

from aiohttp import web

from simulator.core.engine import Engine
from simulator.scenarios.model import SimConfig

ENGINE = web.AppKey("engine", Engine)
CONFIG = web.AppKey("config", SimConfig)
