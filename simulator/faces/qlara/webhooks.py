"""Delivery-status webhook registrations: one callback URL per company.

The face only keeps the registrations; the webhook dispatcher delivers. It reads
`webhook_for(company)` and/or subscribes with `on_change(hook)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from simulator.core.timefmt import iso_utc

ChangeHook = Callable[[str, str | None], None]   # (company id, callback URL or None when removed)
MAX_URL_LENGTH = 2048


@dataclass(slots=True)
class Registration:
    company: str
    callback_url: str
    created_at: float
    updated_at: float

    def view(self) -> dict[str, Any]:
        return {"callbackUrl": self.callback_url, "createdAt": iso_utc(self.created_at),
                "updatedAt": iso_utc(self.updated_at)}


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


@dataclass(slots=True)
class WebhookRegistry:
    _by_company: dict[str, Registration] = field(default_factory=dict)
    _hooks: list[ChangeHook] = field(default_factory=list)

    def webhook_for(self, company: str) -> str | None:
        """The company's delivery-status callback URL, if it registered one."""
        registration = self._by_company.get(company)
        return None if registration is None else registration.callback_url

    def registrations(self) -> dict[str, str]:
        """Every company's callback URL."""
        return {company: r.callback_url for company, r in self._by_company.items()}

    def on_change(self, hook: ChangeHook) -> None:
        """Call `hook(company, url_or_None)` after every create, update and delete (and reset)."""
        self._hooks.append(hook)

    def get(self, company: str) -> Registration | None:
        return self._by_company.get(company)

    def put(self, company: str, url: str, now: float) -> Registration:
        existing = self._by_company.get(company)
        registration = Registration(company, url, existing.created_at if existing else now, now)
        self._by_company[company] = registration
        self._notify(company, url)
        return registration

    def delete(self, company: str) -> bool:
        if self._by_company.pop(company, None) is None:
            return False
        self._notify(company, None)
        return True

    def forget(self, company: str | None) -> None:
        for name in [c for c in self._by_company if company is None or c == company]:
            self.delete(name)

    def _notify(self, company: str, url: str | None) -> None:
        for hook in self._hooks:
            hook(company, url)
