"""Delivery-status webhook registrations: one callback URL per company, kept by the webhook dispatcher.

The dispatcher's subscription `qlara:<company>` IS the registration (no parallel state here): the
Qlara endpoints create, replace, read and delete it, /_sim/webhooks shows it, and a reset removes it
with the company's other state. The face's INBOUND events go to the same subscription.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from simulator.core.timefmt import iso_utc
from simulator.faces.qlara.face import Inbound
from simulator.faces.qlara.plans import FACE
from simulator.webhooks.dispatcher import Dispatcher
from simulator.webhooks.formats.qlara import inbound_event
from simulator.webhooks.subscription import Subscription

MAX_URL_LENGTH = 2048


def subscription_key(company: str) -> str:
    """The dispatcher subscription id of a company's registration."""
    return f"{FACE}:{company}"


def subscription_spec(company: str, callback_url: str) -> dict[str, Any]:
    """What a registration subscribes to: the company's own WhatsApp and SMS changes, in Qlara's format."""
    return {"url": callback_url, "format": "qlara", "faces": [FACE], "channels": ["whatsapp", "sms"],
            "tenant": company}


def registration_view(sub: Subscription) -> dict[str, Any]:
    """The body POST/PUT/GET answer with."""
    return {"callbackUrl": sub.url, "createdAt": iso_utc(sub.created_at), "updatedAt": iso_utc(sub.updated_at)}


def inbound_pusher(dispatcher: Dispatcher) -> Callable[[Inbound], None]:
    """An `on_inbound` hook that queues the INBOUND event for the company's registered webhook, if any."""

    def push(inbound: Inbound) -> None:
        payload = inbound_event(inbound.source, inbound.destination, inbound.text, inbound.at)
        dispatcher.deliver(subscription_key(inbound.company), payload, face=FACE, channel="whatsapp",
                           tenant=inbound.company, kind="INBOUND")

    return push


def callback_url_problem(value: Any, http_hosts: Iterable[str]) -> str | None:
    """Why `value` is not an acceptable callbackUrl (HTTPS; plain HTTP only to local hosts), or None."""
    if not isinstance(value, str) or not value.strip():
        return "callbackUrl is required"
    if len(value) > MAX_URL_LENGTH:
        return f"callbackUrl must be at most {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        return "callbackUrl must be a valid URL"
    if not host:
        return "callbackUrl must be an absolute URL, e.g. https://your-server.example.com/webhook"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and host in set(http_hosts):
        return None
    return "callbackUrl must use HTTPS"
