"""v2 error bodies: {"error": {code, message, type, id}} (or the legacy 401 shape, if configured)."""

from __future__ import annotations

from aiohttp import web

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


class V2Error(Exception):
    """Raised by handlers; the face's middleware turns it into the v2 error body."""

    def __init__(self, status: int, code: str, message: str, type_: str,
                 details: list[dict[str, object]] | None = None, omitted: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.type = type_
        self.details = details
        self.omitted = omitted  # problems left out of `details` (it holds at most the first 100)


def invalid(message: str, details: list[dict[str, object]] | None = None, omitted: int = 0) -> V2Error:
    return V2Error(400, "parameter_invalid", message, "validation_error", details, omitted)


def domain(code: str, message: str) -> V2Error:
    return V2Error(400, code, message, "domain_error")


def unauthorized(message: str = "No valid API key provided") -> V2Error:
    return V2Error(401, "invalid_api_key_provided", message, "authentication_error")


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
