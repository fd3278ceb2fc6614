"""customerMessageId lookups, scoped to company and channel as the status endpoints are."""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.core.models import Message


@dataclass(slots=True)
class CustomerIds:
    """(company, channel, customerMessageId) -> message. A reused id points at the newest message."""

    _by_id: dict[tuple[str, str, str], Message] = field(default_factory=dict)

    def add(self, company: str, channel: str, customer_id: str, message: Message) -> None:
        self._by_id[(company, channel, customer_id)] = message

    def get(self, company: str, channel: str, customer_id: str) -> Message | None:
        message = self._by_id.get((company, channel, customer_id))
        return None if message is None or message.removed else message

    def forget(self, company: str | None) -> None:
        if company is None:
            self._by_id.clear()
        else:
            for key in [k for k in self._by_id if k[0] == company]:
                del self._by_id[key]
