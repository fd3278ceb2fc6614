"""The request journal: a bounded ring of what every emulated-API request asked and got."""

from __future__ import annotations

import contextlib
import json
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from multidict import CIMultiDict, MultiDict

from simulator.clock import check_time
from simulator.core.timefmt import iso_utc
from simulator.telemetry.secrets import (
    SECRET_HEADERS,
    credential,
    mask,
    mask_tenant,
    masked_headers,
    masked_json,
    masked_query,
    scrub,
)

_SECRET_NAMES = frozenset(name.lower().encode() for name in SECRET_HEADERS)
DEFAULT_SIZE = 10_000
_SURROGATE = re.compile("[\ud800-\udfff]")
EXCERPT = 16 * 1024  # bytes of a request or response body the journal keeps


@dataclass(slots=True)
class Entry:
    """One request, kept as received (recording stays cheap); `view()` masks credentials and secrets, so
    nothing unmasked leaves the simulator. `tenant` is the raw tenant: filters and resets need it."""

    seq: int
    at: float                          # simulated time the request arrived
    wall: float
    face: str | None                   # None: no route served it (an unknown path or method)
    method: str
    path: str
    query_string: str
    raw_headers: tuple[tuple[bytes, bytes], ...]   # as parsed: decoded only when shown or graded
    raw_body: bytes | None                 # at most EXCERPT bytes, like raw_response
    status: int
    raw_response: bytes | None
    latency_ms: float
    fault: str | None
    tenant: str | None
    created: tuple[tuple[str, str], ...]   # (message id, recipient + content) of messages it created
    read: tuple[str, ...]                  # ids of messages it read (or retried)
    retry_after: float | None              # the answer's Retry-After, in seconds
    rate: tuple[int, int] | None = None    # the answer's X-RateLimit-Limit and -Remaining, when sent

    @property
    def id(self) -> str:
        return f"req_{self.seq:08d}"

    @property
    def message_ids(self) -> list[str]:
        return [message_id for message_id, _ in self.created] + [i for i in self.read if i not in self.created_ids]

    @property
    def created_ids(self) -> list[str]:
        return [message_id for message_id, _ in self.created]

    @property
    def client(self) -> str:
        """Who sent it, for rules that follow one client: its tenant, else its masked credential."""
        return self.tenant or self.credential or "anonymous"

    @property
    def headers(self) -> CIMultiDict[str]:
        return CIMultiDict((k.decode("latin-1"), v.decode("latin-1")) for k, v in self.raw_headers)

    @property
    def query(self) -> MultiDict[str]:
        return MultiDict(parse_qsl(self.query_string, keep_blank_values=True))

    @property
    def credential(self) -> str | None:
        """The masked credential header, e.g. "Authorization: Bearer key_****0001"."""
        secret = {k.decode("latin-1"): v.decode("latin-1") for k, v in self.raw_headers if k.lower() in _SECRET_NAMES}
        return credential(CIMultiDict(secret)) if secret else None

    @property
    def body(self) -> str:
        """The request body as text (unmasked: for matching only, never shown)."""
        return "" if self.raw_body is None else self.raw_body.decode("utf-8", "replace")

    def view(self) -> dict[str, Any]:
        headers = self.headers
        tenant = mask_tenant(self.tenant)  # a v1 tenant is its key: its name part, as logs and the dashboard show it
        if tenant is not None and any(tenant in value for value in headers.values()):
            tenant = mask(tenant)  # any other tenant that is the credential itself
        return {"id": self.id, "at": iso_utc(self.at), "wall": iso_utc(self.wall), "face": self.face,
                "method": self.method, "path": self.path, "query": masked_query(self.query),
                "headers": masked_headers(headers), "body": masked_text(self.raw_body), "status": self.status,
                "response_body": masked_text(self.raw_response), "latency_ms": self.latency_ms,
                "fault": self.fault, "tenant": tenant, "message_ids": self.message_ids,
                "matched": self.face is not None}


def masked_text(raw: bytes | None) -> str | None:
    """A body excerpt as text, secrets masked (JSON keys named like secrets, key-like strings anywhere)."""
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace")
    if len(raw) < EXCERPT:
        with contextlib.suppress(ValueError):  # not JSON: shown as text, key-like strings scrubbed
            return well_formed(json.dumps(masked_json(json.loads(text)), ensure_ascii=False))
    return scrub(text)


def well_formed(text: str) -> str:
    """`text` with each lone UTF-16 surrogate (JSON may escape half a pair: "\\ud800") as U+FFFD: what no
    UTF-8 encoder (a snapshot, a JSON answer) accepts never leaves the journal."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def seq_of(entry_id: str) -> int | None:
    """req_00000042 -> 42; None for anything else."""
    digits = entry_id.removeprefix("req_")
    return int(digits) if digits != entry_id and digits.isascii() and digits.isdigit() else None


class Journal:
    """Newest entries win: past `size`, the oldest is dropped and counted. Size 0 records nothing."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        if size < 0:
            raise ValueError("the journal size must be 0 or more")
        self.size = size
        self.dropped = 0
        self._entries: deque[Entry] = deque()
        self._by_seq: dict[int, Entry] = {}
        self._seq = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        """Oldest first."""
        return iter(self._entries)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def add(self, entry: Entry) -> None:
        if self.size == 0:
            return
        if len(self._entries) >= self.size:
            old = self._entries.popleft()
            del self._by_seq[old.seq]
            self.dropped += 1
        self._entries.append(entry)
        self._by_seq[entry.seq] = entry

    def get(self, entry_id: str) -> Entry | None:
        seq = seq_of(entry_id)
        return None if seq is None else self._by_seq.get(seq)

    def export_state(self) -> dict[str, Any]:
        """The entries as plain data for a snapshot, credentials and secret-looking values masked (as `view`
        shows them: the file on disk never holds a key a request carried in a header or body)."""
        return {**self.export_head(), "entries": export_entries(self._entries)}

    def export_head(self) -> dict[str, Any]:
        """`export_state` without the entries (a snapshot adds those in chunks, with `export_entries`)."""
        return {"seq": self._seq, "dropped": self.dropped}

    def import_state(self, data: dict[str, Any]) -> None:
        self._seq, self.dropped = int(data["seq"]), int(data["dropped"])
        for item in data["entries"]:
            self.add(_entry_from(item))

    def on_reset(self, tenant: str | None) -> None:
        """POST /_sim/reset forgets the journal too (one tenant's entries when it names one)."""
        self.forget(tenant)

    def forget(self, tenant: str | None = None) -> int:
        """Drop every entry (ids go on counting), or one tenant's. Returns how many."""
        if tenant is None:
            count = len(self._entries)
            self._entries.clear()
            self._by_seq.clear()
            self.dropped = 0
            return count
        kept = deque(e for e in self._entries if e.tenant != tenant)
        count = len(self._entries) - len(kept)
        self._entries = kept
        self._by_seq = {e.seq: e for e in kept}
        return count


def export_entries(entries: Iterable[Entry]) -> list[dict[str, Any]]:
    return [_entry_data(e) for e in entries]


def _entry_data(entry: Entry) -> dict[str, Any]:
    headers = masked_headers(entry.headers)
    return {"seq": entry.seq, "at": entry.at, "wall": entry.wall, "face": entry.face, "method": entry.method,
            "path": entry.path, "query": masked_query(entry.query), "headers": list(headers.items()),
            "body": masked_text(entry.raw_body), "status": entry.status,
            "response": masked_text(entry.raw_response), "latency_ms": entry.latency_ms, "fault": entry.fault,
            "tenant": entry.tenant, "created": [list(c) for c in entry.created], "read": list(entry.read),
            "retry_after": entry.retry_after, "rate": None if entry.rate is None else list(entry.rate)}


def _entry_from(data: dict[str, Any]) -> Entry:
    def raw(text: object) -> bytes | None:
        return None if text is None else str(text).encode()

    rate = data["rate"]
    return Entry(seq=int(data["seq"]), at=check_time(float(data["at"]), "a request's time"),
                 wall=check_time(float(data["wall"]), "a request's time"), face=data["face"],
                 method=str(data["method"]), path=str(data["path"]), query_string=str(data["query"]),
                 raw_headers=tuple((str(k).encode("latin-1"), str(v).encode("latin-1")) for k, v in data["headers"]),
                 raw_body=raw(data["body"]), status=int(data["status"]), raw_response=raw(data["response"]),
                 latency_ms=float(data["latency_ms"]), fault=data["fault"], tenant=data["tenant"],
                 created=tuple((str(i), str(t)) for i, t in data["created"]), read=tuple(str(i) for i in data["read"]),
                 retry_after=data["retry_after"], rate=None if rate is None else (int(rate[0]), int(rate[1])))
