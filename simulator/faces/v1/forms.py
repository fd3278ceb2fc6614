"""Read a send request as the real service's body parsers do: JSON, urlencoded or multipart.

Attachments are streamed and counted as they arrive, so an oversized upload is refused (413)
without being held in memory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from simulator.faces.common import BadBody, parse_json, read_limited
from simulator.faces.v1 import errors

JSON_MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    size: int
    hash: str


@dataclass(slots=True)
class SendForm:
    fields: dict[str, Any] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)


async def _read_limited(request: web.Request) -> bytes:
    """The raw body, read from the stream (the main app's 1 MiB client_max_size would refuse a 1 MiB
    email body); more than JSON_MAX_BYTES is body-parser's "entity too large": 413 in the v1 shape, and a body
    whose Content-Encoding does not decode body-parser's 400."""
    try:
        return await read_limited(request, JSON_MAX_BYTES)
    except BadBody as exc:
        raise (errors.payload_too_large() if str(exc) == "too large" else errors.malformed()) from exc


async def read_json(request: web.Request) -> dict[str, Any]:
    """A JSON body; malformed JSON is 400 malformed, any other top-level value a Joi-style 400."""
    raw = await _read_limited(request)
    if not raw.strip():
        return {}
    try:
        data = parse_json(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.malformed() from exc
    if isinstance(data, list):
        raise errors.validation('"value" must be of type object')
    if not isinstance(data, dict):  # body-parser's strict mode takes only objects and arrays
        raise errors.malformed()
    return data


async def read_body(request: web.Request) -> dict[str, Any]:
    """A JSON or urlencoded body (SMS, GovSG). These routes have no multipart parser in the real
    service, so any other body reads as empty and fails validation there too."""
    if request.content_type == "multipart/form-data":
        return {}
    return (await read_send_form(request, 0, 0)).fields


async def read_send_form(request: web.Request, per_file: int, total: int) -> SendForm:
    content_type = request.content_type
    if content_type == "application/json" or content_type.endswith("+json"):
        return SendForm(fields=await read_json(request))
    if content_type == "application/x-www-form-urlencoded":
        raw = await _read_limited(request)
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except (ValueError, UnicodeDecodeError) as exc:
            raise errors.malformed() from exc
        return SendForm(fields=_collapse(pairs))
    if content_type == "multipart/form-data":
        return await _multipart(request, per_file, total)
    return SendForm()


def _collapse(items: Any) -> dict[str, Any]:
    """Repeated form fields become a list, as Express's parsers give them."""
    out: dict[str, Any] = {}
    for key, value in items:
        if key in out:
            out[key] = (out[key] if isinstance(out[key], list) else [out[key]]) + [value]
        else:
            out[key] = value
    return out


async def _multipart(request: web.Request, per_file: int, total: int) -> SendForm:
    pairs: list[tuple[str, str]] = []
    attachments: list[Attachment] = []
    used = 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise errors.malformed()
            name = part.name or ""
            if part.filename is None:
                text = bytearray()
                while chunk := await part.read_chunk():
                    text.extend(chunk)
                    if len(text) > JSON_MAX_BYTES:
                        raise errors.payload_too_large()
                pairs.append((name, part.decode(bytes(text)).decode("utf-8", errors="replace")))
                continue
            digest = hashlib.sha256()
            size = 0
            while chunk := await part.read_chunk():
                size += len(chunk)
                used += len(chunk)
                if size > per_file:
                    raise errors.V1Error(413, "attachment_limit", errors.ATTACHMENT_TOO_BIG)
                if used > total:
                    raise errors.V1Error(413, "attachment_limit", errors.ATTACHMENTS_TOO_BIG)
                digest.update(chunk)
            if name != "attachments":
                raise errors.validation(f'"{name}" is not allowed')
            attachments.append(Attachment(filename=part.filename, size=size, hash=digest.hexdigest()))
    except (ValueError, AssertionError, HttpProcessingError) as exc:  # a broken multipart stream
        raise errors.malformed() from exc
    return SendForm(fields=_collapse(pairs), attachments=attachments)
