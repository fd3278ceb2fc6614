"""What the fixtures hand a test: URLs, credentials, and clock/journal helpers scoped to its tenant."""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.faces import faces
from simulator.faces.v2 import V2
from simulator.scenarios.model import SimConfig
from simulator.testing.client import AsyncSimClient, ClockState, JournalMessage, SimClient


def face_urls(base: str) -> dict[str, str]:
    """{'v2': base + '/api/v2', ...}: one entry per mounted face, named as in the metrics."""
    return {face.id: base + face.mount for face in faces()}


def configured_v2(config: SimConfig) -> tuple[str, str] | None:
    """The first configured v2 campaign that has a key: (campaign id, key)."""
    return V2.credentials(config)


def fresh_v2() -> tuple[str, str]:
    """A new campaign id and key: in open mode they become a tenant of their own on first use."""
    return f"campaign_{uuid.uuid4()}", f"key_test_{uuid.uuid4().hex}"


@dataclass
class PostmanSim:
    """A simulator as one test sees it.

    `url` and `urls[face]` are base URLs; `api_key`/`campaign_id` are v2 credentials. With `tenant`
    set (the session-scoped variant), messages() and reset() only touch that tenant; a fresh
    open-mode campaign's template is `{{body}}` in every language. `admin_token` is what /_sim needs
    (None: it needs none); `admin_headers` carries it for your own /_sim requests.
    """

    url: str
    api_key: str
    campaign_id: str
    tenant: str | None = None
    admin_token: str | None = None
    client: SimClient = field(init=False)
    aio: AsyncSimClient = field(init=False)
    urls: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.client = SimClient(self.url, admin_token=self.admin_token or "")
        self.aio = AsyncSimClient(self.url, admin_token=self.admin_token or "")
        self.urls = face_urls(self.url)

    @property
    def v2_url(self) -> str:
        return self.urls["v2"]

    @property
    def v2_messages_url(self) -> str:
        """Where to POST a single v2 send for this test's campaign."""
        return f"{self.v2_url}/campaigns/{self.campaign_id}/messages"

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def admin_headers(self) -> dict[str, str]:
        """Headers for your own requests to /_sim: the admin token when the simulator needs one."""
        return {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}

    def advance(self, seconds: float) -> ClockState:
        return self.client.advance(seconds)

    def clock(self) -> ClockState:
        return self.client.clock()

    def messages(self, **filters: Any) -> list[JournalMessage]:
        """Journal entries (newest first); filters: face, channel, recipient, status, limit."""
        if self.tenant is not None:
            filters.setdefault("tenant", self.tenant)
        return self.client.messages(**filters)

    def message(self, message_id: str) -> JournalMessage:
        return self.client.message(message_id)

    def wait_for(self, message_id: str, status: str | Iterable[str], within: float = 3600.0) -> JournalMessage:
        return self.client.wait_for(message_id, status, within)

    def force_status(self, message_id: str, status: str, error: Mapping[str, Any] | None = None) -> JournalMessage:
        return self.client.force_status(message_id, status, error)

    def requests(self, **filters: str | int | None) -> list[dict[str, Any]]:
        """Journaled requests to the emulated APIs, newest first (this test's tenant on a shared server);
        filters: face, method, path (a glob), status (404 or 4xx), since, until, limit, offset."""
        if self.tenant is not None:
            filters.setdefault("tenant", self.tenant)
        return self.client.requests(**filters)

    def assert_requested(self, method: str, path: str, times: int | None = None, **match: Any) -> int:
        """Fail unless `method path` (a glob; other matcher fields in `match`: face, status, body_contains,
        since, tenant) was requested `times` times (None: at least once). Returns the count."""
        wanted = {"method": method, "path": path, **match}
        if self.tenant is not None:
            wanted.setdefault("tenant", self.tenant)
        count = self.client.count_requests(**wanted)
        if (count == 0) if times is None else (count != times):
            expected = "at least once" if times is None else f"{times} time(s)"
            raise AssertionError(f"expected {method} {path} {expected}, saw it {count} time(s)"
                                 + self._closest(method, path))
        return count

    def assert_not_requested(self, method: str, path: str, **match: Any) -> None:
        """Fail if `method path` (a glob) matching `match` was requested at all."""
        self.assert_requested(method, path, times=0, **match)

    def _closest(self, method: str, path: str) -> str:
        seen = self.requests(limit=200)
        if not seen:
            return "; no requests were journaled"
        target = f"{method.upper()} {path}"
        ranked = sorted(seen, key=lambda e: -difflib.SequenceMatcher(None, target, f"{e['method']} {e['path']}")
                        .ratio())[:5]
        return "; closest requests seen:\n" + "\n".join(
            f"  {e['id']} {e['method']} {e['path']} -> {e['status']}" for e in ranked)

    def report(self) -> dict[str, Any]:
        """The integration report (this test's tenant on a shared server)."""
        return self.client.report(self.tenant)

    def reset(self) -> int:
        """Forget this test's messages (the whole simulator for the function-scoped fixture)."""
        return self.client.reset(self.tenant)
