"""The AppKey under which the dispatcher hangs off the application (faces read it from config_dict)."""

from __future__ import annotations

from aiohttp import web

from simulator.webhooks.dispatcher import Dispatcher

DISPATCHER = web.AppKey("webhooks", Dispatcher)
