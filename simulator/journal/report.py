"""The integration report: what a client does against the documented contract, graded from the journal,
the message store and the webhook deliveries. Each rule is a function from those to findings; docs/control-surface.md
section "Request journal and integration report" documents every rule, its threshold and why it matters.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from simulator.core.models import Attempt, Message
from simulator.faces import faces
from simulator.journal.entries import Entry
from simulator.journal.settings import ReportSettings

MAX_EVIDENCE = 20
README = "docs/control-surface.md#request-journal-and-integration-report"
# Where each face takes its credential: the shapes wrong-auth-scheme tells apart from a wrong key.


class AttemptLike(Protocol):
    @property
    def response_status(self) -> int | None: ...
    @property
    def latency_ms(self) -> float | None: ...
    @property
    def error_class(self) -> str | None: ...


class DeliveryLike(Protocol):
    """A webhook event as the dispatcher keeps it (simulator/webhooks/records.py)."""

    @property
    def id(self) -> str: ...
    @property
    def subscription_id(self) -> str: ...
    @property
    def message_id(self) -> str | None: ...
    @property
    def tenant(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def at(self) -> float: ...
    @property
    def attempts(self) -> Sequence[AttemptLike]: ...


@dataclass(slots=True)
class Finding:
    rule: str
    severity: str                      # error | warning | info
    summary: str
    reference: str
    requests: Iterable[str] = ()        # lazily: only the first MAX_EVIDENCE distinct ids are ever built
    messages: Iterable[str] = ()
    events: Iterable[str] = ()
    count: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        evidence: dict[str, Any] = {"requests": _unique(self.requests), "messages": _unique(self.messages),
                                    "count": self.count}
        if events := _unique(self.events):
            evidence["webhook_events"] = events
        return {"rule": self.rule, "severity": self.severity, "summary": self.summary, "evidence": evidence,
                "reference": self.reference, "details": self.details}


def _unique(ids: Iterable[str]) -> list[str]:
    """The first MAX_EVIDENCE distinct ids, in order, reading no further than needed."""
    seen: dict[str, None] = {}
    for item in ids:
        seen[item] = None
        if len(seen) == MAX_EVIDENCE:
            break
    return list(seen)


@dataclass(slots=True)
class Inputs:
    entries: list[Entry]               # oldest first
    messages: list[Message]
    deliveries: list[DeliveryLike]
    settings: ReportSettings
    reads: dict[str, list[Entry]] = field(default_factory=dict)  # message id -> its status reads, oldest first

    def __post_init__(self) -> None:
        owners = {m.id: m.tenant for m in self.messages}
        for entry in self.entries:
            if entry.method == "GET" and 200 <= entry.status < 300:
                for message_id in entry.read:
                    if owners.get(message_id, entry.tenant) == entry.tenant:
                        self.reads.setdefault(message_id, []).append(entry)


def terminal_at(attempt: Attempt) -> float | None:
    """When the attempt could no longer change: its plan ran out (or it was forced or superseded)."""
    if attempt.halted or attempt.next_step >= len(attempt.plan.steps):
        return attempt.history[-1].at if attempt.history else None
    return None


def _attempt_at(message: Message, when: float) -> Attempt:
    current = message.attempts[0]
    for attempt in message.attempts:
        if attempt.created_at <= when:
            current = attempt
    return current


# -- the rules --------------------------------------------------------------------------------------


def ignored_retry_after(data: Inputs) -> list[Finding]:
    clients = _clients(data.entries)
    until: dict[str, float] = {}
    early: dict[str, list[Entry]] = defaultdict(list)
    for entry in data.entries:
        client = clients(entry)
        if client in until and entry.at < until[client]:
            early[client].append(entry)
        if entry.status == 429 and entry.retry_after is not None:
            until[client] = max(until.get(client, 0.0), entry.at + entry.retry_after)
    return [Finding("ignored-retry-after", "error",
                    f"{len(bad)} request(s) sent inside the Retry-After window of a 429 (client {client})",
                    "RFC 9110 §10.2.3 Retry-After; " + README + " (ignored-retry-after)",
                    requests=(e.id for e in bad), count=len(bad)) for client, bad in early.items()]


def _clients(entries: Sequence[Entry]) -> Callable[[Entry], str]:
    """Who sent a request: its tenant, or the tenant its credential was seen with (a faulted answer
    never reached the face, so it has none), or the masked credential itself."""
    wanted = {e.credential for e in entries if e.tenant is None} - {None}
    by_credential: dict[str | None, str] = {}
    for entry in entries if wanted else ():
        if entry.tenant is not None and (seen := entry.credential) in wanted:
            by_credential[seen] = entry.tenant
    return lambda e: e.tenant or by_credential.get(e.credential) or e.credential or "anonymous"


def rate_limit_hit(data: Inputs) -> list[Finding]:
    findings = []
    refused: dict[tuple[str | None, str], list[Entry]] = defaultdict(list)
    closest: dict[tuple[str | None, str], tuple[float, Entry]] = {}
    for entry in data.entries:
        key = (entry.face, entry.client)
        if entry.status == 429 and entry.fault is None:
            refused[key].append(entry)
        if entry.rate is not None and entry.rate[0] > 0:
            used = 1 - entry.rate[1] / entry.rate[0]
            if key not in closest or used > closest[key][0]:
                closest[key] = (used, entry)
    for (face, client), hits in refused.items():
        peak = _peak_per_second([e for e in data.entries if e.face == face and e.client == client])
        findings.append(Finding("rate-limit-hit", "warning",
                                f"{len(hits)} {face} request(s) refused by the rate limit; peak {peak} requests "
                                f"in one simulated second (client {client})",
                                f"{face} rate limit (scenarios file `{face}.rate_limit`); {README} (rate-limit-hit)",
                                requests=(e.id for e in hits), count=len(hits), details={"peak_per_second": peak}))
    for (face, client), (used, entry) in closest.items():
        if (face, client) not in refused and used >= data.settings.rate_limit_near:
            assert entry.rate is not None
            findings.append(Finding("rate-limit-hit", "info",
                                    f"{face} calls came within {entry.rate[1]} of the limit of {entry.rate[0]} "
                                    f"per window ({used:.0%} used; client {client})",
                                    f"X-RateLimit-* headers; {README} (rate-limit-hit)",
                                    requests=[entry.id], count=1, details={"used": round(used, 3)}))
    return findings


def _peak_per_second(entries: Sequence[Entry]) -> int:
    times = sorted(e.at for e in entries)
    peak, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def retried_permanent_failure(data: Inputs) -> list[Finding]:
    permanent = set(data.settings.permanent_errors)
    bad = [m for m in data.messages if len(m.attempts) > 1 and any(
        a.error is not None and a.error.code in permanent for a in m.attempts[:-1])]
    if not bad:
        return []
    ids = {m.id for m in bad}
    retries = [e.id for e in data.entries if e.method == "POST" and 200 <= e.status < 300 and ids & set(e.read)]
    codes = Counter(a.error.code for m in bad for a in m.attempts[:-1] if a.error is not None)
    return [Finding("retried-permanent-failure", "error",
                    f"{len(bad)} message(s) retried after an error that fails again "
                    f"({', '.join(sorted(codes))}); each retry is charged",
                    "Postman v2 'Message Delivery Errors' and retry docs (seed); " + README,
                    requests=retries, messages=(m.id for m in bad), count=len(bad), details=dict(codes))]


def duplicate_send(data: Inputs) -> list[Finding]:
    window = data.settings.duplicate_window
    last: dict[tuple[str | None, str | None, str], Entry] = {}
    dupes: list[tuple[Entry, str]] = []
    for entry in data.entries:
        for message_id, content in entry.created:
            key = (entry.face, entry.tenant, content)
            before = last.get(key)
            if before is not None and before.seq != entry.seq and entry.at - before.at <= window:
                dupes.append((entry, message_id))
            last[key] = entry
    if not dupes:
        return []
    return [Finding("duplicate-send", "warning",
                    f"{len(dupes)} message(s) sent again to the same recipient with the same content within "
                    f"{window:g} s (a double submit, or a retry after a timeout instead of a status read)",
                    README + " (duplicate-send)", requests=(e.id for e, _ in dupes),
                    messages=(m for _, m in dupes), count=len(dupes))]


def polling_after_terminal(data: Inputs) -> list[Finding]:
    allowed = data.settings.reads_after_terminal
    excess: list[tuple[Entry, str]] = []
    for message in data.messages:
        late = []
        for entry in data.reads.get(message.id, []):
            done = terminal_at(_attempt_at(message, entry.at))
            if done is not None and done <= entry.at:
                late.append(entry)
        excess += [(e, message.id) for e in late[allowed:]]
    if not excess:
        return []
    return [Finding("polling-after-terminal", "warning",
                    f"{len(excess)} status read(s) of messages that could no longer change "
                    f"(more than {allowed} after the terminal status)",
                    README + " (polling-after-terminal)", requests=(e.id for e, _ in excess),
                    messages=(m for _, m in excess), count=len(excess))]


def tight_polling(data: Inputs) -> list[Finding]:
    window, many = data.settings.tight_polling_window, max(2, data.settings.tight_polling_reads)
    flagged: list[tuple[Entry, str]] = []
    for message_id, reads in data.reads.items():
        tight: dict[int, Entry] = {}
        for i in range(len(reads) - many + 1):
            if reads[i + many - 1].at - reads[i].at < window:
                tight.update({e.seq: e for e in reads[i:i + many]})
        flagged += [(e, message_id) for e in tight.values()]
    if not flagged:
        return []
    messages = {m for _, m in flagged}
    return [Finding("tight-polling", "warning",
                    f"{len(messages)} message(s) read {many} or more times within {window:g} s "
                    "(a status changes no faster than its lifecycle's steps)",
                    README + " (tight-polling)", requests=(e.id for e, _ in flagged), messages=list(messages),
                    count=len(flagged))]


def never_checked_outcome(data: Inputs) -> list[Finding]:
    delivered: dict[str, float] = {}
    for event in data.deliveries:
        if event.message_id is not None and event.state == "delivered":
            delivered[event.message_id] = max(delivered.get(event.message_id, 0.0), event.at)
    listings: dict[tuple[str | None, str | None], float] = {}  # the last list/history read per face and tenant
    for entry in data.entries:
        if entry.method == "GET" and 200 <= entry.status < 300 and not entry.read and entry.face is not None:
            listings[(entry.face, entry.tenant)] = entry.at
    unseen = []
    for message in data.messages:
        done = terminal_at(message.attempt)
        if done is None:
            continue
        reads = data.reads.get(message.id, [])
        if ((reads and reads[-1].at >= done) or delivered.get(message.id, -1.0) >= done
                or listings.get((message.face, message.tenant), -1.0) >= done):
            continue
        unseen.append(message)
    if not unseen:
        return []
    return [Finding("never-checked-outcome", "warning",
                    f"{len(unseen)} message(s) reached their final status but the client never read it and no "
                    "webhook delivered it: it cannot know what happened",
                    README + " (never-checked-outcome)", messages=(m.id for m in unseen), count=len(unseen))]


def unknown_path(data: Inputs) -> list[Finding]:
    bad = [e for e in data.entries if e.face is None]
    if not bad:
        return []
    paths = Counter(f"{e.method} {e.path}" for e in bad)
    return [Finding("unknown-path", "error",
                    f"{len(bad)} request(s) no route serves (a wrong base URL or path?): "
                    + ", ".join(p for p, _ in paths.most_common(3)),
                    "The OpenAPI document at /_sim/openapi.json; " + README + " (unknown-path)",
                    requests=(e.id for e in bad), count=len(bad), details=dict(paths.most_common(MAX_EVIDENCE)))]


def _auth_scheme(face_id: str) -> str | None:
    return next((face.auth_scheme for face in faces() if face.id == face_id), None)


def _auth_problem(entry: Entry) -> str | None:
    """Why a 401's credential has the wrong shape for its face, or None when only the key was wrong."""
    headers = {name.lower(): value for name, value in entry.headers.items()}
    authorization = headers.get("authorization")
    key_header = next((n for n in ("x-api-key", "api-key") if n in headers), None)
    scheme = authorization.partition(" ")[0] if authorization else None
    if entry.face is not None and _auth_scheme(entry.face) == "bearer":
        if authorization is None:
            return f"key in the {key_header} header (this API takes Authorization: Bearer)" if key_header \
                else "no credentials"
        return None if scheme == "Bearer" else f"scheme {scheme!r} (this API takes 'Bearer', exactly)"
    if key_header is not None or (scheme or "").lower() == "basic":
        return None
    return f"scheme {scheme!r} (this API takes X-Api-Key or Basic)" if authorization else "no credentials"


def wrong_auth_scheme(data: Inputs) -> list[Finding]:
    bad = [(e, problem) for e in data.entries
           if e.status == 401 and e.face is not None and (problem := _auth_problem(e)) is not None]
    if not bad:
        return []
    kinds = Counter(problem for _, problem in bad)
    return [Finding("wrong-auth-scheme", "error",
                    f"{len(bad)} request(s) refused with 401 for a malformed credential: "
                    + "; ".join(f"{k} ×{n}" for k, n in kinds.most_common(3)),
                    "Each face's authentication section in docs/; " + README + " (wrong-auth-scheme)",
                    requests=(e.id for e, _ in bad), count=len(bad), details=dict(kinds))]


def webhook_receiver_errors(data: Inputs) -> list[Finding]:
    slow = data.settings.webhook_slow_ms
    per_sub: dict[str, list[tuple[DeliveryLike, str]]] = defaultdict(list)
    for event in data.deliveries:
        for attempt in event.attempts:
            if attempt.error_class is not None:
                per_sub[event.subscription_id].append((event, attempt.error_class))
            elif attempt.latency_ms is not None and attempt.latency_ms > slow:
                per_sub[event.subscription_id].append((event, "slow"))
    findings = []
    for sub_id, failures in per_sub.items():
        kinds = Counter(kind for _, kind in failures)
        findings.append(Finding("webhook-receiver-errors", "error",
                                f"webhook subscription {sub_id}: {len(failures)} delivery attempt(s) failed or were "
                                f"slow (> {slow:g} ms): " + ", ".join(f"{k} ×{n}" for k, n in kinds.most_common()),
                                f"docs/webhooks.md (retries, dead letters); {README} (webhook-receiver-errors)",
                                messages=(e.message_id for e, _ in failures if e.message_id),
                                events=(e.id for e, _ in failures), count=len(failures),
                                details={"subscription": sub_id, **kinds}))
    return findings


def _error_code(entry: Entry) -> str:
    try:
        body = json.loads(entry.raw_response or b"")
    except ValueError:
        return "unknown"
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            return str(error["code"])
        if isinstance(body.get("code"), str):
            return str(body["code"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    return "unknown"


def validation_errors(data: Inputs) -> list[Finding]:
    groups: dict[tuple[str | None, str], list[Entry]] = defaultdict(list)
    for entry in data.entries:
        if entry.status == 400 and entry.face is not None:
            groups[(entry.face, _error_code(entry))].append(entry)
    return [Finding("validation-errors", "warning", f"{len(bad)} {face} request(s) refused as invalid: {code}",
                    f"The {face} request schema in /_sim/openapi.json; {README} (validation-errors)",
                    requests=(e.id for e in bad), count=len(bad), details={"face": face, "code": code})
            for (face, code), bad in sorted(groups.items(), key=lambda item: -len(item[1]))]


RULES: dict[str, Callable[[Inputs], list[Finding]]] = {
    "ignored-retry-after": ignored_retry_after, "rate-limit-hit": rate_limit_hit,
    "retried-permanent-failure": retried_permanent_failure, "duplicate-send": duplicate_send,
    "polling-after-terminal": polling_after_terminal, "tight-polling": tight_polling,
    "never-checked-outcome": never_checked_outcome, "unknown-path": unknown_path,
    "wrong-auth-scheme": wrong_auth_scheme, "webhook-receiver-errors": webhook_receiver_errors,
    "validation-errors": validation_errors,
}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def grade(entries: Iterable[Entry], messages: Iterable[Message], deliveries: Iterable[DeliveryLike],
          settings: ReportSettings) -> list[Finding]:
    """Every rule's findings, errors first."""
    data = Inputs(list(entries), list(messages), list(deliveries), settings)
    findings = [f for rule, check in RULES.items() if rule not in settings.disabled for f in check(data)]
    return sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity])
