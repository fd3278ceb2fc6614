"""Qlara error bodies: Spring Boot's {"timestamp","status","error","message","path"}, and the documented 429."""

from __future__ import annotations

from http import HTTPStatus

from aiohttp import web

from simulator.core.flows import ApiError
from simulator.core.timefmt import iso_utc
from simulator.faces.base import FaceError

UNAUTHORIZED = "Missing or invalid credentials"
# The answers `faults:` give on Qlara's paths (its 429 is the documented rate-limit body).
FAULT_MESSAGES = {500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable",
                  504: "Gateway timeout"}


# Qlara's errors have no code: the documented ones, named by Spring's `error` in snake case, for faults'
# `error: {code: ...}` (403: the IP whitelist; 409: a webhook that already exists;
# docs/scenarios.md "API-level faults").
DOCUMENTED: dict[str, ApiError] = {
    "bad_request": ApiError(400, "Invalid request"),
    "unauthorized": ApiError(401, UNAUTHORIZED),
    "forbidden": ApiError(403, "Access denied: the request does not come from a whitelisted IP address"),
    "not_found": ApiError(404, "Message not found"),
    "conflict": ApiError(409, "A webhook is already registered for this company"),
    "too_many_requests": ApiError(429, "Rate limit exceeded"),
    **{HTTPStatus(status).phrase.lower().replace(" ", "_"): ApiError(status, message)
       for status, message in FAULT_MESSAGES.items()},
}


class QlaraError(FaceError):
    """Raised by handlers; the face turns it into the Spring-style body (Qlara's errors have no code)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, None, message)


class QlaraRateLimited(QlaraError):
    """The documented 429, with its own body; `Retry-After` says when to try again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(429, f"Rate limit exceeded. Please retry after {retry_after} seconds.")
        self.retry_after = retry_after
        self.headers["Retry-After"] = str(retry_after)


def fault(status: int, message: str | None = None, retry_after: int = 1, code: str | None = None) -> QlaraError:
    """A fault's answer: a documented error by its code (its own status), else the status's."""
    documented = DOCUMENTED.get(code) if code is not None else None
    if documented is not None:
        status, message = documented.status, message or documented.message
    if status == 429:
        return QlaraRateLimited(retry_after)
    return QlaraError(status, message or FAULT_MESSAGES[status])


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
