"""WhatsApp's 24-hour customer-service window, on the simulated clock.

A recipient opens the window by writing to the company (simulated with POST /_sim/qlara/inbound);
free-form messages are allowed until `hours` after their latest message. Templates always are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.scenarios.model import normalise_recipient


@dataclass(slots=True)
class ConversationWindows:
    hours: float
    _last: dict[tuple[str, str], float] = field(default_factory=dict)

    def record(self, company: str, recipient: str, at: float) -> float:
        """Note an inbound message; returns when the window it opens closes."""
        key = (company, normalise_recipient(recipient))
        self._last[key] = max(at, self._last.get(key, at))
        return self._last[key] + self.hours * 3600

    def last_inbound(self, company: str, recipient: str) -> float | None:
        return self._last.get((company, normalise_recipient(recipient)))

    def is_open(self, company: str, recipient: str, now: float) -> bool:
        last = self.last_inbound(company, recipient)
        return last is not None and now - last < self.hours * 3600

    def forget(self, company: str | None) -> None:
        if company is None:
            self._last.clear()
        else:
            for key in [k for k in self._last if k[0] == company]:
                del self._last[key]
