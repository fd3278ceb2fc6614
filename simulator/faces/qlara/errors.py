"""Qlara error bodies: Spring Boot's {"timestamp","status","error","message","path"}, and the documented 429."""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import web

from simulator.core.timefmt import iso_utc

UNAUTHORIZED = "Missing or invalid credentials"


class QlaraError(Exception):
    """Raised by handlers; the face turns it into the Spring-style body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> QlaraError:
    return QlaraError(400, message)


def not_found(message: str) -> QlaraError:
    return QlaraError(404, message)


def reason(status: int) -> str:
    """Spring's reason phrase (fixed here: Python's phrase for 413 changed between versions)."""
    if status == 413:
        return "Payload Too Large"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int, message: str, path: str, now: float) -> dict[str, object]:
    return {"timestamp": iso_utc(now), "status": status, "error": reason(status), "message": message, "path": path}


def rate_limited_body(retry_after: int) -> dict[str, object]:
    """Verbatim from the rate-limit section of the docs."""
    return {"status": 429, "error": "Too Many Requests",
            "message": f"Rate limit exceeded. Please retry after {retry_after} seconds.", "retryAfter": retry_after}


def http_error(exc: web.HTTPException) -> QlaraError:
    """Router-level errors (unknown path, wrong method, body too large) in the same shape."""
    if exc.status == 404:
        return QlaraError(404, "No endpoint found for this path")
    if exc.status == 405:
        method = getattr(exc, "method", "")
        return QlaraError(405, f"Request method '{method}' is not supported")
    if exc.status == 413:
        return QlaraError(413, "Request body is too large")
    return QlaraError(exc.status, exc.reason)
