"""GET /_sim/scenarios (what is in force, the last reload error) and POST /_sim/scenarios/reload."""

from __future__ import annotations

from aiohttp import web

from simulator.admin.errors import AdminError
from simulator.runtime.reload import SCENARIO_RUNTIME
from simulator.scenarios.files import limit_text


async def get_scenarios(request: web.Request) -> web.Response:
    return web.json_response(request.config_dict[SCENARIO_RUNTIME].view())


async def _read_at_most(request: web.Request, limit: int) -> bytes:
    """Up to `limit` bytes of the body (a chunked one too): enough to tell it is over the cap."""
    data = bytearray()
    while len(data) < limit:
        chunk = await request.content.read(limit - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


async def post_reload(request: web.Request) -> web.Response:
    """Re-read the file, or load the YAML sent as the body; 422 with the problems if it is broken."""
    runtime = request.config_dict[SCENARIO_RUNTIME]
    text = None
    if request.can_read_body:
        cap = runtime.config.max_bytes
        raw = b"" if (request.content_length or 0) > cap else await _read_at_most(request, cap + 1)
        if (request.content_length or 0) > cap or len(raw) > cap:
            raise AdminError(413, "too_large", f"The body is over {limit_text(cap)}.")
        text = raw.decode("utf-8", errors="replace") if raw.strip() else None
    if await runtime.reload_async(text, origin="POST /_sim/scenarios/reload"):
        return web.json_response(runtime.view())
    error = runtime.last_error or {}
    raise AdminError(422, "invalid_scenarios", "; ".join(error.get("problems", [])),
                     {"problems": error.get("details") or error.get("problems")})
