"""The control surface's one error shape, {"error": {"code", "message", ...details}}, for /_sim and its sub-apps."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from simulator.faces.base import FaceError
from simulator.faces.common import error_middleware

log = logging.getLogger("postman_sim.admin")


class AdminError(FaceError):
    """Any 4xx/5xx of /_sim; `details` are extra keys beside code and message (a reload's "problems")."""

    code: str

    def __init__(self, status: int, code: str, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(status, code, message)
        self.details: dict[str, Any] = dict(details or {})


def _respond(request: web.Request, exc: FaceError) -> web.Response:
    """Any FaceError raised under /_sim (a plain one from faces/bodies.py included) in the /_sim shape."""
    details = exc.details if isinstance(exc, AdminError) else {}
    response = web.json_response({"error": {"code": exc.code, "message": exc.message, **details}}, status=exc.status)
    response.headers.update(exc.headers)
    return response


admin_errors = error_middleware(FaceError, _respond, lambda exc: AdminError(exc.status, "http_error", exc.reason),
                                lambda: AdminError(500, "internal", "Internal error"), log)
