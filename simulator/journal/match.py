"""Which journal entries a query or a matcher selects: the filters of GET /_sim/requests and the matcher
of POST /_sim/requests/count (WireMock's request matching, for this domain)."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass

from simulator.journal.entries import Entry

STATUS_CLASS = re.compile(r"^[1-5]xx$")
FIELDS = ("face", "method", "path", "status", "tenant", "body_contains", "since", "until", "unmatched", "message_id")


def status_ok(status: str) -> bool:
    """A status filter is a code (404) or a class (4xx)."""
    return bool(STATUS_CLASS.match(status)) or (status.isascii() and status.isdigit() and len(status) == 3)


@dataclass(frozen=True, slots=True)
class Matcher:
    """Every given field must hold; `path` is a glob (`/api/v2/*/messages*`), `status` a code or class."""

    face: str | None = None
    method: str | None = None
    path: str | None = None
    status: str | None = None
    tenant: str | None = None
    body_contains: str | None = None
    since: float | None = None           # simulated time, inclusive
    until: float | None = None           # simulated time, exclusive
    unmatched: bool = False              # only requests no route served
    message_id: str | None = None        # only requests that created or read this message

    def __call__(self, entry: Entry) -> bool:
        return ((self.face is None or entry.face == self.face)
                and (self.method is None or entry.method == self.method.upper())
                and (self.path is None or fnmatch.fnmatchcase(entry.path, self.path))
                and (self.status is None or _status_is(entry.status, self.status))
                and (self.tenant is None or entry.tenant == self.tenant)
                and (self.body_contains is None or self.body_contains in entry.body)
                and (self.since is None or entry.at >= self.since)
                and (self.until is None or entry.at < self.until)
                and (not self.unmatched or entry.face is None)
                and (self.message_id is None or self.message_id in entry.message_ids))

    def select(self, entries: Iterable[Entry]) -> list[Entry]:
        """The matching entries, newest first."""
        return [entry for entry in reversed(list(entries)) if self(entry)]


def _status_is(code: int, wanted: str) -> bool:
    if STATUS_CLASS.match(wanted):
        return code // 100 == int(wanted[0])
    return str(code) == wanted
