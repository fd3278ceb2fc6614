"""What a webhook format is: the channels it can carry and how it renders one status change."""

from __future__ import annotations

import hashlib
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
    canonical: str | None    # the neutral status (see canonical.py)
    previous: str | None
    at: float                # simulated time of the status change
    error: ErrorInfo | None
    identity: Mapping[str, str]

    @property
    def wamid(self) -> str:
        return str(self.message.payload.get("wamid") or self.message.id)

    @property
    def api_id(self) -> str:
        """The id the face's own API answered with (v1 "42", Qlara customerMessageId, v2 message id)."""
        payload = self.message.payload
        return str(payload.get("id") or payload.get("customerMessageId") or self.message.id)

    @property
    def account(self) -> str:
        """The account name: the subscription's, else the one the face stored (never a secret), else the tenant."""
        return self.identity.get("account_name") or str(self.message.payload.get("account") or self.message.tenant)

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


def conversation_id(item: Rendering) -> str:
    """A stable 32-hex conversation id per message (Meta and Chuanglan use this shape)."""
    return hashlib.md5(item.wamid.encode(), usedforsecurity=False).hexdigest()
