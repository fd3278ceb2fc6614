"""GET /_sim/health and POST /_sim/reset."""

from __future__ import annotations

from aiohttp import web

from simulator.admin.bodies import read_fields
from simulator.core.engine import Engine
from simulator.snapshot import SNAPSHOT
from simulator.state import ENGINE, REPLICA


def engine_of(request: web.Request) -> Engine:
    return request.config_dict[ENGINE]


async def health(request: web.Request) -> web.Response:
    engine = engine_of(request)
    engine.catch_up()  # retention is on the simulated clock: what expired by now is gone
    body = {"status": "ok", "clock": engine.clock.kind, "messages": len(engine.store), "evicted": engine.store.evicted}
    snapshot = request.config_dict.get(SNAPSHOT)
    if snapshot is not None:  # serve --snapshot: where the file is and when it was last written
        body["snapshot"] = snapshot.view()
    replica = request.config_dict.get(REPLICA)
    if replica is not None:  # --state redis://...: which replica answered, and whether it holds the lease
        body["replica"] = replica()
    return web.json_response(body)


async def reset(request: web.Request) -> web.Response:
    tenant = (await read_fields(request, {"tenant": "string"}, optional=True)).get("tenant")
    removed = engine_of(request).reset(tenant)
    return web.json_response({"removed": removed, "tenant": tenant})
