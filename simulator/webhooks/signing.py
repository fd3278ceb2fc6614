"""Webhook signatures: Meta's X-Hub-Signature-256 and Standard Webhooks' webhook-signature.

Both are HMAC-SHA256 over the exact raw body bytes; Standard Webhooks signs "{id}.{timestamp}.{body}"
with the base64-decoded part of a `whsec_` secret. The verify helpers serve the sink and receivers.

A signature's timestamp is transport metadata, not part of the simulated story: it is the wall-clock time
of the delivery attempt, so receiver libraries that check it against their own clock (Standard Webhooks,
Svix: 5 minutes either way) accept deliveries on the manual clock and at any speed. Event times in the
body stay simulated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time

STANDARD_PREFIX = "whsec_"


def meta_signature(app_secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 header value: sha256=<hex HMAC-SHA256(app secret, raw body)>."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_meta(app_secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(meta_signature(app_secret, body), header)


def standard_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret; ValueError if it is not one."""
    if not secret.startswith(STANDARD_PREFIX):
        raise ValueError("a Standard Webhooks secret starts with whsec_")
    try:
        return base64.b64decode(secret[len(STANDARD_PREFIX):], validate=True)
    except binascii.Error as exc:
        raise ValueError("the part after whsec_ must be base64") from exc


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The webhook-signature header value: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def standard_headers(secret: str, msg_id: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """webhook-id, webhook-timestamp (wall-clock epoch seconds of this attempt) and webhook-signature."""
    timestamp = int(time.time() if now is None else now)
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": standard_signature(secret, msg_id, timestamp, body)}


def verify_standard(secret: str, msg_id: str | None, timestamp: str | None, body: bytes,
                    header: str | None) -> bool:
    """True if any v1 signature in the space-separated header matches (no timestamp tolerance here)."""
    if not (msg_id and timestamp and header and timestamp.isdigit()):
        return False
    expected = standard_signature(secret, msg_id, int(timestamp), body)
    return any(hmac.compare_digest(expected, candidate) for candidate in header.split())
