"""What a webhook format is: the channels it can carry and how it renders one status change.

It lives with the faces because a face may add a format of its own (Qlara's); the webhooks package
holds the built-in ones and looks every format up at delivery time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.core.models import ErrorInfo, Message
from simulator.scenarios.model import normalise_recipient


@dataclass(frozen=True, slots=True)
class Rendering:
    """One status change as a format sees it, plus the subscription's identity settings."""

    event_id: str
    message: Message
    status: str              # the face's own status, e.g. DELIVERED
    canonical: str | None    # the neutral status (core.flows.NEUTRAL)
    previous: str | None
    at: float                # simulated time of the status change
    error: ErrorInfo | None
    identity: Mapping[str, str]

    @property
    def wamid(self) -> str:
        return self.message.facts.wamid or self.message.id

    @property
    def api_id(self) -> str:
        """The id the face's own API answered with (v1 "42", Qlara customerMessageId, v2 message id)."""
        facts = self.message.facts
        return facts.api_id or facts.customer_message_id or self.message.id

    @property
    def account(self) -> str:
        """The account name: the subscription's, else the one the face stored (never a secret), else the tenant."""
        return self.identity.get("account_name") or self.message.facts.account or self.message.tenant

    @property
    def phone_digits(self) -> str:
        return normalise_recipient(self.message.recipient)


class Format(Protocol):
    name: str
    channels: frozenset[str]   # channels this format can express
    only_200: bool             # success is exactly 200 (Meta) rather than any 2xx
    user_agent: str

    def render(self, item: Rendering) -> dict[str, Any] | None:
        """The JSON body for this change, or None when this format does not report it."""
        ...
