"""The control surface's one error shape, {"error": {"code", "message"}}, for /_sim and its sub-apps."""

from __future__ import annotations

import logging

from aiohttp import web

from simulator.faces.common import error_middleware

log = logging.getLogger("postman_sim.admin")


class AdminError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _respond(request: web.Request, exc: AdminError) -> web.Response:
    return web.json_response({"error": {"code": exc.code, "message": exc.message}}, status=exc.status)


admin_errors = error_middleware(AdminError, _respond, lambda exc: AdminError(exc.status, "http_error", exc.reason),
                                lambda: AdminError(500, "internal", "Internal error"), log)
