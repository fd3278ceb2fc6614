"""v2 error bodies: {"error": {code, message, type, id}} (or the legacy 401 shape, if configured)."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from simulator.core.flows import ApiError
from simulator.faces.base import FaceError

# Messages the docs give verbatim.
INVALID_RECIPIENT = "Invalid recipient, ensure it is a valid normalized phone number, eg 6591112222."
VALUES_INVALID = "Validation failed (expected type is object)"
LANGUAGE_UNSUPPORTED = "{language} is not supported. available language(s) for this campaign: {languages}"
FILE_TOO_LARGE = "File too large, max file size is 40MB"
# Ours, where the docs are silent (README, v2 "Choices where the documentation is silent").
NOT_JSON = "Content-Type must be application/json."
LONE_SURROGATE = "Request body has a string with an unpaired UTF-16 surrogate (\\ud800-\\udfff)."
RETRY_NOT_FAILED = "Message cannot be retried as it does not exist or it has not failed."
RETRY_TOO_MANY = "Message can no longer be retried as it has reached the maximum number of attempts of 3."
BATCH_NOT_RETRYABLE = "Batch cannot be retried as it does not exist or is currently not retryable."
BATCH_UNRESOLVED = "Batch cannot be retried as there is at least one batch message that is still unresolved."
BATCH_NOTHING_TO_RETRY = ("Batch cannot be retried as either all messages are successful or all failed "
                          "messages have exceeded the maximum number of attempts.")


# The answers `faults:` give on /api/v2 (the 429 and 500 match what the face itself answers).
FAULTS = {
    429: ("too_many_requests", "Too many requests, please try again later.", "rate_limit_error"),
    500: ("internal_server_error", "Internal server error", "server_error"),
    502: ("bad_gateway", "Bad gateway", "server_error"),
    503: ("service_unavailable", "Service unavailable", "server_error"),
    504: ("gateway_timeout", "Gateway timeout", "server_error"),
}


# Every error the v2 documentation (and the clients built on it: Plumber, the SMPP gateway) names, by code, for
# faults' `error: {code: ...}`. Where the docs give no message, the message is ours (README "API-level faults").
DOCUMENTED: dict[str, ApiError] = {
    "parameter_invalid": ApiError(400, "Validation failed", "validation_error"),
    "invalid_ip_address_used": ApiError(400, "The IP address used is not whitelisted for this campaign.",
                                        "authentication_error"),
    "message_not_found_or_retry_message_not_in_failure_status": ApiError(400, RETRY_NOT_FAILED, "domain_error"),
    "too_many_message_attempts_error": ApiError(400, RETRY_TOO_MANY, "domain_error"),
    "batch_not_found_or_is_not_retryable": ApiError(400, BATCH_NOT_RETRYABLE, "domain_error"),
    "unresolved_batch_messages": ApiError(400, BATCH_UNRESOLVED, "domain_error"),
    "no_failed_batch_messages_to_retry": ApiError(400, BATCH_NOTHING_TO_RETRY, "domain_error"),
    "authentication_required": ApiError(401, "No valid API key provided", "authentication_error"),
    "invalid_api_key_provided": ApiError(401, "No valid API key provided", "authentication_error"),
    "forbidden": ApiError(403, "The API key doesn't have permissions to perform the request.",
                          "authorization_error"),
    # "a HTTP response code 403 and error code 1010": Cloudflare's block, answered before the API, in plain text
    "cloudflare_1010": ApiError(403, "error code: 1010", text="error code: 1010"),
    "invalid_path": ApiError(404, "Cannot find the requested path", "not_found_error"),
    **{code: ApiError(status, message, type_) for status, (code, message, type_) in FAULTS.items()},
}


class V2Error(FaceError):
    """Raised by handlers; the face turns it into the v2 error body."""

    code: str

    def __init__(self, status: int, code: str, message: str, type_: str,
                 details: list[dict[str, object]] | None = None, omitted: int = 0, *,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status, code, message, headers=headers)
        self.type = type_
        self.details = details
        self.omitted = omitted  # problems left out of `details` (it holds at most the first 100)


def invalid(message: str, details: list[dict[str, object]] | None = None, omitted: int = 0) -> V2Error:
    return V2Error(400, "parameter_invalid", message, "validation_error", details, omitted)


def domain(code: str, message: str) -> V2Error:
    return V2Error(400, code, message, "domain_error")


def unauthorized(message: str = "No valid API key provided") -> V2Error:
    return V2Error(401, "invalid_api_key_provided", message, "authentication_error")


def too_many_requests() -> V2Error:
    """The face's own 429 (its rate limit): the body of FAULTS[429], with `Retry-After: 1`."""
    return fault(429, headers={"Retry-After": "1"})


def fault(status: int, code: str | None = None, message: str | None = None, *,
          headers: Mapping[str, str] | None = None) -> V2Error:
    """A fault's answer: a documented error by its code (its own status), else FAULTS[status]."""
    documented = DOCUMENTED.get(code) if code is not None else None
    if documented is not None:
        return V2Error(documented.status, code or "", message or documented.message,
                       documented.type or "invalid_request_error", headers=headers)
    default_code, default_message, type_ = FAULTS[status]
    return V2Error(status, code or default_code, message or default_message, type_, headers=headers)


def not_found(message: str) -> V2Error:
    return V2Error(404, "not_found", message, "not_found_error")


def error_body(error: V2Error, trace_id: str, legacy_unauthorized: bool) -> dict[str, object]:
    if legacy_unauthorized and error.status == 401:
        return {"message": "Unauthorized", "statusCode": 401}
    body: dict[str, object] = {"code": error.code, "message": error.message, "type": error.type, "id": trace_id}
    if error.details is not None:
        body["details"] = error.details
    if error.omitted:
        body["omittedDetails"] = error.omitted
    return {"error": body}


def http_error(exc: web.HTTPException) -> V2Error:
    """Router-level errors (unknown path, wrong method, body too large) in the v2 shape."""
    if exc.status == 404:
        return V2Error(404, "invalid_path", "Cannot find the requested path", "not_found_error")
    if exc.status == 405:
        return V2Error(405, "method_not_allowed", f"{exc.reason}", "invalid_request_error")
    if exc.status == 413:
        return invalid(FILE_TOO_LARGE)
    return V2Error(exc.status, "http_error", exc.reason, "invalid_request_error")
