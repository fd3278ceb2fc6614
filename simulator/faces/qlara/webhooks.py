"""Qlara's webhooks, all of them: the delivery-status registration endpoints, and the `qlara` payload format.

Registrations: one callback URL per company (POST 201/409, PUT, GET, DELETE). The dispatcher's
subscription `qlara:<company>` IS the registration (no parallel state here), reached only through the
SUBSCRIPTIONS protocol: the endpoints create, replace, read and delete it, /_sim/webhooks shows it, a reset
removes it with the company's other state, and the face's INBOUND events go to the same subscription.

The format, as in the new webhooks guide: DELIVERY events carry statusCode/description (only 3 = "Message
delivered" is documented; the other codes are this simulator's choice, see docs/webhooks.md) and, on failures,
`errorCode` (the guide says the push carries "any error details"). READ events (WhatsApp only) carry just
the ids, destination, channel and timestamp, and INBOUND events the source, destination and text, exactly
like the guide's examples, timestamps in whole seconds as there.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from simulator.faces.base import SUBSCRIPTIONS, SubscriptionRefused, Subscriptions, route
from simulator.faces.formats import Rendering
from simulator.faces.jsonio import json_response
from simulator.faces.qlara.errors import QlaraError, bad_request, not_found
from simulator.faces.qlara.plans import FACE
from simulator.faces.qlara.routes import GATEWAY, QlaraRuntime
from simulator.faces.qlara.serialise import registration_view
from simulator.faces.qlara.state import Company, Inbound
from simulator.faces.qlara.validation import callback_url_problem

NOT_CONFIGURED = "No delivery status webhook is configured"
HOOK = f"{GATEWAY}/webhooks/delivery-status"


def subscription_key(company: str) -> str:
    """The dispatcher subscription id of a company's registration."""
    return f"{FACE}:{company}"


def subscription_spec(company: str, callback_url: str) -> dict[str, Any]:
    """What a registration subscribes to: the company's own WhatsApp and SMS changes, in Qlara's format."""
    return {"url": callback_url, "format": "qlara", "faces": [FACE], "channels": ["whatsapp", "sms"],
            "tenant": company}


def push_inbound(subscriptions: Subscriptions, inbound: Inbound) -> None:
    """Queue the INBOUND event for the company's registered webhook, if any."""
    payload = inbound_event(inbound.source, inbound.destination, inbound.text, inbound.at)
    subscriptions.deliver(subscription_key(inbound.company), payload, face=FACE, channel="whatsapp",
                          tenant=inbound.company, kind="INBOUND")


class WebhookRoutes(QlaraRuntime):
    """/partner-gateway/v1/webhooks/delivery-status."""

    async def _callback_url(self, request: web.Request) -> str:
        body = await self.json_body(request)
        url = body.get("callbackUrl")
        problem = callback_url_problem(url, self.config.callback_http_hosts)
        if problem is not None:
            raise bad_request(problem)
        assert isinstance(url, str)
        return url

    @staticmethod
    def _subscriptions(request: web.Request) -> Subscriptions:
        subscriptions = request.config_dict[SUBSCRIPTIONS]
        subscriptions.learn_local_address(request.transport)  # never a callback to our own /_sim
        return subscriptions

    @route("POST", HOOK)
    async def create_webhook(self, request: web.Request, company: Company) -> web.Response:
        url = await self._callback_url(request)
        subscriptions, key = self._subscriptions(request), subscription_key(company.id)
        if subscriptions.get_subscription(key) is not None:
            raise QlaraError(409, "Webhook already configured")
        try:
            sub = subscriptions.set_subscription(key, subscription_spec(company.id, url), source=FACE)
        except SubscriptionRefused as exc:
            raise bad_request(f"callbackUrl cannot be used: {exc}") from exc
        return json_response(registration_view(sub), status=201)

    @route("PUT", HOOK)
    async def update_webhook(self, request: web.Request, company: Company) -> web.Response:
        """Replaces the URL; also re-enables a registration a 410 Gone had disabled (a new URL is a new start)."""
        url = await self._callback_url(request)
        subscriptions, key = self._subscriptions(request), subscription_key(company.id)
        if subscriptions.get_subscription(key) is None:
            raise not_found(NOT_CONFIGURED)
        try:
            sub = subscriptions.update_subscription(key, {"url": url, "enabled": True})
        except SubscriptionRefused as exc:
            raise bad_request(f"callbackUrl cannot be used: {exc}") from exc
        return json_response(registration_view(sub))

    @route("GET", HOOK)
    async def read_webhook(self, request: web.Request, company: Company) -> web.Response:
        sub = self._subscriptions(request).get_subscription(subscription_key(company.id))
        if sub is None:
            raise not_found(NOT_CONFIGURED)
        return json_response(registration_view(sub))

    @route("DELETE", HOOK)
    async def delete_webhook(self, request: web.Request, company: Company) -> web.Response:
        if not self._subscriptions(request).remove_subscription(subscription_key(company.id)):
            raise not_found(NOT_CONFIGURED)
        return web.Response(status=204)


STATUS_CODES: dict[str, tuple[int, str]] = {
    "sent": (1, "Message sent"),
    "received": (2, "Message received by the carrier"),
    "delivered": (3, "Message delivered"),
    "failed": (4, "Message not delivered"),
    "expired": (5, "Message expired"),
}


def _timestamp(at: float) -> str:
    """The guide's spelling: UTC, whole seconds, Z (2026-04-09T10:30:00Z)."""
    return datetime.fromtimestamp(int(at), UTC).isoformat().replace("+00:00", "Z")


def inbound_event(source: str, destination: str, text: str, at: float) -> dict[str, Any]:
    """The INBOUND payload: a recipient (`source`) wrote to the company's WhatsApp number (`destination`)."""
    return {"eventType": "INBOUND", "source": source, "destination": destination, "text": text,
            "channel": "WHATSAPP", "messageType": "TEXT", "timestamp": _timestamp(at)}


class QlaraFormat:
    """The `qlara` webhook format: DELIVERY, READ (WhatsApp only) and, from inbound messages, INBOUND."""

    name = "qlara"
    channels = frozenset({"whatsapp", "sms"})
    only_200 = False
    user_agent = "postman-sim-webhooks/0.1"

    def render(self, item: Rendering) -> dict[str, Any] | None:
        message = item.message
        destination = message.recipient if "@" in message.recipient else "+" + item.phone_digits
        channel = message.channel.upper()
        if item.canonical == "read":
            if message.channel != "whatsapp":
                return None
            return {"eventType": "READ", "messageId": message.id, "destination": destination,
                    "channel": channel, "timestamp": _timestamp(item.at)}
        coded = STATUS_CODES.get(item.canonical or "")
        if coded is None:
            return None
        code, description = coded
        if item.error is not None and item.error.description and item.canonical in ("failed", "expired"):
            description = item.error.description
        payload: dict[str, Any] = {
            "eventType": "DELIVERY", "messageId": message.id,
            "customerMessageId": message.facts.customer_message_id or message.id,
            "destination": destination, "statusCode": code, "description": description}
        if item.canonical == "failed":
            payload["errorCode"] = None if item.error is None else item.error.code
        payload["channel"] = channel
        payload["timestamp"] = _timestamp(item.at)
        return payload
