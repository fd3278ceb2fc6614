"""What the Qlara face remembers besides messages: companies and their credentials, customerMessageId
lookups, the 24-hour conversation windows and the simulated inbound messages that open them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.core.models import Message
from simulator.core.ratelimit import Limit
from simulator.faces.credentials import SecretMap, secret_equals
from simulator.faces.qlara.config import KEY_FORMAT, Catalog, CompanySpec, QlaraConfig
from simulator.scenarios.model import normalise_recipient


@dataclass(frozen=True, slots=True)
class Credential:
    kind: str              # "key" or "basic"
    identity: str          # the API key, or the Basic username
    secret: str | None = None

    @property
    def limiter_key(self) -> str:
        """Rate limits count per key (per Basic username for Basic auth)."""
        return f"qlara:{self.kind}:{self.identity}"


@dataclass(frozen=True, slots=True)
class Company:
    """A tenant: every message, webhook and conversation window belongs to one."""

    id: str
    name: str
    catalog: Catalog
    limits: tuple[Limit, ...]
    restricted: bool = False
    configured: bool = True


@dataclass(slots=True)
class Companies:
    """Configured companies, plus (open mode) one company per unknown well-formed key or Basic user.

    API keys are the secret themselves, so `by_key` is a SecretMap (looked up by digest); a Basic username is
    not secret and is looked up as it is, then its password compared in constant time."""

    config: QlaraConfig
    open_mode: bool
    by_key: SecretMap[Company] = field(default_factory=SecretMap)
    by_user: dict[str, tuple[str, Company]] = field(default_factory=dict)
    by_id: dict[str, Company] = field(default_factory=dict)

    def load(self) -> None:
        self.by_key.clear()
        self.by_user.clear()
        self.by_id.clear()
        for spec in self.config.companies:
            company = self._from_spec(spec)
            self.by_id[company.id] = company
            for key in spec.api_keys:
                self.by_key[key] = company
            for username, password in spec.basic.items():
                self.by_user[username] = (password, company)

    def _from_spec(self, spec: CompanySpec) -> Company:
        limits = self.config.limits if spec.limits is None else spec.limits
        return Company(id=spec.id, name=spec.name, catalog=spec.catalog, limits=limits, restricted=spec.restricted)

    def resolve(self, cred: Credential | None) -> Company | None:
        """The company the credential belongs to, or None (401)."""
        if cred is None:
            return None
        if cred.kind == "key":
            company = self.by_key.get(cred.identity)
            if company is None and self.open_mode and KEY_FORMAT.match(cred.identity):
                company = self.by_key[cred.identity] = self._open("key", cred.identity)
            return company
        known = self.by_user.get(cred.identity)
        if known is not None:
            return known[1] if secret_equals(cred.secret, known[0]) else None
        if not self.open_mode:
            return None
        company = self._open("basic", f"basic:{cred.identity}")
        self.by_user[cred.identity] = (cred.secret or "", company)
        return company

    def open_company(self, company_id: str) -> Company:
        """The open-mode company with exactly this id (a snapshot names it), made if need be."""
        company = self.by_id.get(company_id)
        if company is None:
            company = self.by_id[company_id] = Company(
                id=company_id, name=company_id, catalog=self.config.open_catalog, limits=self.config.limits,
                configured=False)
        return company

    def _open(self, kind: str, company_id: str) -> Company:
        """The open-mode company with this id, made on first use. Never a configured company: an id that
        clashes with one (an API key equal to `qlara-demo`) is namespaced as `<kind>:<id>`."""
        while (company := self.by_id.get(company_id)) is not None and company.configured:
            company_id = f"{kind}:{company_id}"
        return self.open_company(company_id)

    def find(self, company_id: str) -> Company | None:
        return self.by_id.get(company_id)

    def find_by_key(self, key: str) -> Company | None:
        return self.resolve(Credential("key", key))


@dataclass(slots=True)
class CustomerIds:
    """(company, channel, customerMessageId) -> message. A reused id points at the newest message."""

    _by_id: dict[tuple[str, str, str], Message] = field(default_factory=dict)

    def add(self, company: str, channel: str, customer_id: str, message: Message) -> None:
        self._by_id[(company, channel, customer_id)] = message

    def drop(self, company: str, channel: str, customer_id: str, message: Message) -> None:
        """Forget `message` (evicted), unless a newer message has taken its id since."""
        key = (company, channel, customer_id)
        if self._by_id.get(key) is message:
            del self._by_id[key]

    def get(self, company: str, channel: str, customer_id: str) -> Message | None:
        message = self._by_id.get((company, channel, customer_id))
        return None if message is None or message.removed else message

    def forget(self, company: str | None) -> None:
        if company is None:
            self._by_id.clear()
        else:
            for key in [k for k in self._by_id if k[0] == company]:
                del self._by_id[key]


@dataclass(slots=True)
class ConversationWindows:
    """WhatsApp's 24-hour customer-service window, on the simulated clock: a recipient opens it by writing
    to the company (POST /_sim/qlara/inbound); free-form messages are allowed until `hours` after their
    latest message. Templates always are."""

    hours: float
    _last: dict[tuple[str, str], float] = field(default_factory=dict)

    def record(self, company: str, recipient: str, at: float) -> float:
        """Note an inbound message; returns when the window it opens closes."""
        key = (company, normalise_recipient(recipient))
        self._last[key] = max(at, self._last.get(key, at))
        return self._last[key] + self.hours * 3600

    def items(self) -> list[tuple[tuple[str, str], float]]:
        """((company, normalised recipient), latest inbound) for each window ever opened."""
        return list(self._last.items())

    def restore(self, company: str, recipient: str, at: float) -> None:
        self._last[(company, recipient)] = at

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


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message a recipient sent to a company (simulated): it opens the 24-hour window."""

    company: str
    source: str           # the recipient's number
    destination: str      # the company's WhatsApp number
    text: str
    at: float
    window_closes_at: float


@dataclass(slots=True)
class QlaraState:
    """Everything above, forgotten together on a reset (all of it, or one company's)."""

    companies: Companies
    windows: ConversationWindows
    customer_ids: CustomerIds = field(default_factory=CustomerIds)

    @classmethod
    def create(cls, config: QlaraConfig, open_mode: bool) -> QlaraState:
        state = cls(Companies(config, open_mode), ConversationWindows(config.window_hours))
        state.companies.load()
        return state

    def forget(self, company: str | None) -> None:
        self.windows.forget(company)
        self.customer_ids.forget(company)
        if company is None:
            self.companies.load()

    # -- snapshots: plain data, keys only by digest ------------------------------------------------

    def export_state(self) -> dict[str, Any]:
        """Open windows, customerMessageId lookups and the open-mode companies made by API key (a Basic
        user's company is made again, with the same id, on its next request: its password is not stored)."""
        companies = self.companies
        return {
            "windows": [[company, recipient, at] for (company, recipient), at in self.windows.items()],
            "open_keys": [[digest, company.id] for digest, company in companies.by_key.digests()
                          if not company.configured],
        }

    def import_state(self, data: Mapping[str, Any]) -> None:
        """Before the messages: they rebuild the customerMessageId lookups themselves (`message_restored`)."""
        for company, recipient, at in data["windows"]:
            self.windows.restore(str(company), str(recipient), float(at))
        for digest, company_id in data["open_keys"]:
            self.companies.by_key.put_digest(str(digest), self.companies.open_company(str(company_id)))
