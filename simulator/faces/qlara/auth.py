"""Who is calling: `X-Api-Key` (any header case) or `Authorization: Basic`, resolved to a company."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from aiohttp import web

from simulator.core.ratelimit import Limit
from simulator.faces.credentials import SecretMap, secret_equals
from simulator.faces.qlara.config import KEY_FORMAT, Catalog, CompanySpec, QlaraConfig


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


def credential(request: web.Request) -> Credential | None:
    """The credential the request carries; headers are case-insensitive. The API key wins over Basic."""
    key = request.headers.get("X-Api-Key")
    if key is not None:
        key = key.strip()
        return Credential("key", key) if key else None
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    if not sep or not username or not password:
        return None
    return Credential("basic", username, password)


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

    def _open(self, kind: str, company_id: str) -> Company:
        """The open-mode company with this id, made on first use. Never a configured company: an id that
        clashes with one (an API key equal to `qlara-demo`) is namespaced as `<kind>:<id>`."""
        while (company := self.by_id.get(company_id)) is not None and company.configured:
            company_id = f"{kind}:{company_id}"
        if company is None:
            company = self.by_id[company_id] = Company(
                id=company_id, name=company_id, catalog=self.config.open_catalog, limits=self.config.limits,
                configured=False)
        return company

    def find(self, company_id: str) -> Company | None:
        return self.by_id.get(company_id)

    def find_by_key(self, key: str) -> Company | None:
        return self.resolve(Credential("key", key))
