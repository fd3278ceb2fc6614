"""Small helpers every face uses: reading requests without ever answering with a 500, WhatsApp ids."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import math
import re
import sys
import time
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
from aiohttp import web
from aiohttp.typedefs import Middleware

from simulator.core.gcpolicy import no_full_collections as no_full_collections  # v2 batch's name for the policy
from simulator.core.ids import IdFactory
from simulator.core.scheduler import hand_over
from simulator.core.trace import note_body

E = TypeVar("E", bound=Exception)


def error_middleware(kind: type[E], respond: Callable[[web.Request, E], web.StreamResponse],
                     from_http: Callable[[web.HTTPException], E], internal: Callable[[], E],
                     log: logging.Logger) -> Middleware:
    """Every face's error policy: its own errors (`kind`) and aiohttp's 4xx/5xx answered in the face's
    shape by `respond`; anything else logged and answered as the face's 500, never a stack trace."""

    @web.middleware
    async def middleware(request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        try:
            return await handler(request)
        except kind as exc:
            return respond(request, exc)
        except web.RequestPayloadError:  # a body that does not decode, read by aiohttp (request.post(), ...)
            return respond(request, from_http(web.HTTPBadRequest(reason="The request body could not be decoded.")))
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            response = respond(request, from_http(exc))
            if "Allow" in exc.headers:  # a 405 says which methods the path takes (RFC 9110)
                response.headers["Allow"] = exc.headers["Allow"]
            exc.__traceback__ = None  # a router 404/405 stays in the request's match_info: no cycle through frames
            return response
        except Exception:
            log.exception("unexpected error in %s %s", request.method, request.path)
            return respond(request, internal())

    return middleware


def parse_json(raw: str | bytes) -> Any:
    """json.loads for request input: ValueError for anything it cannot read, including nesting deep enough
    to hit the recursion limit (`[[[[...` thousands deep), so no caller can leak that as a 500, and text that
    is not valid Unicode (LoneSurrogate; bytes must be UTF-8). orjson reads the common case; what it refuses
    is read again by the standard library, which decides the error (or accepts what orjson would not)."""
    if isinstance(raw, bytes):
        with contextlib.suppress(orjson.JSONDecodeError):  # what orjson refuses, the standard library decides
            return orjson.loads(raw)
        raw = raw.decode("utf-8-sig")  # UnicodeDecodeError is a ValueError; json.loads would take UTF-16 too
    try:
        data = json.loads(raw, parse_constant=_no_constant, parse_int=_int_or_infinity)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc
    if _SURROGATE_ESCAPE.search(raw) is not None:
        _refuse_lone_surrogates(data)
    return data


def _int_or_infinity(text: str) -> int | float:
    """An integer as JavaScript's JSON.parse reads it: past the double range it is ±Infinity, which every check
    that takes a number refuses (as it refuses 1e400), not an int that float() cannot convert (a 500)."""
    if len(text) <= 309:  # fewer digits than 10**309: int() is cheap, and float() of it may still overflow
        value = int(text)
        if abs(value) <= _LARGEST_DOUBLE:
            return value
    return -math.inf if text.startswith("-") else math.inf


_LARGEST_DOUBLE = int(sys.float_info.max)


class LoneSurrogate(ValueError):
    """A string holds half of a UTF-16 surrogate pair (`"\\ud800"`): not text, and it cannot be stored,
    echoed as UTF-8 or sent on in a webhook."""


# Only a \uD800-\uDFFF escape (or, in str input, a surrogate character) can put a surrogate into json.loads'
# output once bytes are valid UTF-8, so the check below runs only for bodies that have one (a valid escaped
# pair is joined into one character and passes).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")


def _refuse_lone_surrogates(data: Any) -> None:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LoneSurrogate("a string holds an unpaired UTF-16 surrogate (\\ud800-\\udfff)") from exc
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # Python's json reads NaN/Infinity; JSON.parse (and Postman) do not


class BadBody(ValueError):
    """The request body is not the JSON object the endpoint needs."""


async def read_limited(request: web.Request, max_bytes: int) -> bytes:
    """The raw body, streamed: BadBody("too large") past max_bytes, whether or not Content-Length says so
    (a chunked body has none, and request.read() would stop at the app's client_max_size instead)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BadBody("too large")
    content = request.content
    try:
        body = await content.read(256 * 1024)
        if len(body) > max_bytes:
            raise BadBody("too large")
        if body and not content.at_eof():  # more to come (the usual small body has all arrived: one read)
            raw = bytearray(body)
            while chunk := await content.read(256 * 1024):
                raw.extend(chunk)
                if len(raw) > max_bytes:
                    raise BadBody("too large")
            body = bytes(raw)
    except web.RequestPayloadError as exc:  # a Content-Encoding (gzip, deflate) that does not decode
        raise BadBody("malformed") from exc
    note_body(body)
    return body


def spoiled_at(url: str) -> int | None:
    """Where `url` holds whitespace or a control character (a CR/LF would split a request line, a space is no
    URL), else None: every webhook URL, whoever registers it, is refused for it."""
    return next((i for i, c in enumerate(url) if c.isspace() or unicodedata.category(c) == "Cc"), None)


def encoded_but_empty(request: web.Request, body: bytes) -> bool:
    """Was a body sent with a Content-Encoding that decoded to nothing? aiohttp reads a gzip cut short as empty,
    so an optional body that comes out empty would otherwise pass for "no body" (for a reset: everything)."""
    return not body and request.body_exists and request.headers.get("Content-Encoding", "identity").lower() not in {
        "", "identity"}


async def read_json_object(request: web.Request, max_bytes: int) -> dict[str, Any]:
    """Read a JSON object body; BadBody on malformed JSON ("lone surrogate" for text that is not Unicode),
    a non-object, or more than max_bytes ("too large")."""
    return json_object(await read_limited(request, max_bytes))


def json_object(raw: bytes) -> dict[str, Any]:
    """A body already read, as a JSON object; BadBody as `read_json_object` says."""
    try:
        data = parse_json(raw) if raw else None
    except LoneSurrogate as exc:
        raise BadBody("lone surrogate") from exc
    except ValueError as exc:
        raise BadBody("malformed") from exc
    if not isinstance(data, dict):
        raise BadBody("not an object")
    return data


def yield_every(seconds: float = 0.001) -> Callable[[], Awaitable[None]]:
    """A `pause()` for long loops (a 100,000-row batch): it lets the event loop run other requests whenever
    `seconds` of real time have passed since the last pause, so no request waits behind the loop for long.
    A request needs several loop turns (read, handle, write): each pause hands over a few (`hand_over`).
    Real (perf_counter) time, not the simulated clock: this is about the server's latency, not the scenario."""
    last = time.perf_counter()

    async def pause() -> None:
        nonlocal last
        if time.perf_counter() - last >= seconds:
            await hand_over()
            last = time.perf_counter()

    return pause


def bearer_token(request: web.Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, exactly as sent, or None."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = header[len("Bearer "):]
    return token or None


def wamid(ids: IdFactory, phone: str) -> str:
    """A Meta-style WhatsApp message id (wamid.HBgL...): base64 of the recipient's digits and seeded random
    bytes in the layout Meta uses, so webhook formats carry an id that looks like the real thing."""
    digits = phone.lstrip("+").encode()
    rand = ids.faker.random.getrandbits(72).to_bytes(9, "big").hex().upper().encode()
    raw = bytes([0x1C, 0x18, len(digits)]) + digits + b"\x15\x02\x00\x11\x18\x12" + rand + b"\x00"
    return "wamid." + base64.b64encode(raw).decode()
