"""GET /_sim/metrics: the Prometheus text exposition of the app's own registry (simulator.telemetry)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from simulator.telemetry.metrics import METRICS


async def metrics_view(request: web.Request) -> web.Response:
    """GET /_sim/metrics: the Prometheus text exposition format."""
    body = request.config_dict[METRICS].render()
    content_type, _, charset = CONTENT_TYPE_LATEST.partition("; charset=")
    return web.Response(body=body, content_type=content_type, charset=charset or "utf-8")
