"""The filters of GET /_sim/messages: exact fields (as before) and the dashboard's case-insensitive ones.

One pass over the store, newest first, with every filter folded into one predicate and only the page kept:
no list of the whole store is built, so a query over 1,000,000 messages costs one scan (what `total` needs)
and the serialisation of one page. Substring filters have no index to use; they are a `str.__contains__`
per message on text that is already there (the recipient, rule and tenant name; the content only when
asked for, as it is the one that walks the payload).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from simulator.admin.faces import status_class
from simulator.core.models import Message
from simulator.core.store import recipient_key
from simulator.faces import flows
from simulator.telemetry.secrets import mask

Check = Callable[[Message], bool]
EXACT = ("face", "channel", "tenant", "recipient", "status")
CONTAINS = ("recipient_contains", "tenant_contains", "rule_contains", "content_contains", "q")
STATUS_CLASSES = ("failure", "in_flight", "delivered")
COUNTS = ("exact", "none")


def tenant_name(message: Message) -> str:
    """The tenant as people may see it: the account its face names it by (v1: the key's name part), masked when
    that account is the whole key (a key without a name part); else the tenant id, which is no secret (a v2
    campaign, a Qlara company). Never a whole key."""
    account = message.facts.account
    if account is None:
        return message.tenant
    return mask(account) if account == message.tenant else account


def content_text(value: Any) -> str:
    """Every string in a payload, joined: what "content" means for any face (v2's fullMessage, v1's body or
    subject, Qlara's text or template values)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "\n".join(content_text(v) for v in value.values())
    if isinstance(value, list | tuple):
        return "\n".join(content_text(v) for v in value)
    return ""


def _classes() -> dict[tuple[str, str], str]:
    return {(flow, status): status_class(f, status) for flow, f in flows().items() for status in f.statuses}


def _equals(key: str, value: str) -> Check:
    if key == "recipient":  # as the store's index matches it: a phone number in any spelling
        wanted = recipient_key(value)
        return lambda m: recipient_key(m.recipient) == wanted
    return lambda m: bool(getattr(m, key) == value)


def _contains(needle: str, text: Callable[[Message], str]) -> Check:
    folded = needle.casefold()
    return lambda m: folded in text(m).casefold()


def predicate(query: Mapping[str, str]) -> Check | None:
    """One check for every filter given (None: no filter, every message matches)."""
    checks: list[Check] = [_equals(key, query[key]) for key in EXACT if query.get(key)]
    if query.get("status_class"):
        classes, wanted = _classes(), query["status_class"]
        checks.append(lambda m: classes.get((m.flow, m.status)) == wanted)
    fields: dict[str, Callable[[Message], str]] = {
        "recipient_contains": lambda m: m.recipient, "tenant_contains": tenant_name,
        "rule_contains": lambda m: m.attempt.plan.rule, "content_contains": lambda m: content_text(m.payload)}
    for key, text in fields.items():
        if query.get(key):
            checks.append(_contains(query[key], text))
    if query.get("q"):  # any of them
        anywhere = [_contains(query["q"], text) for text in fields.values()]
        checks.append(lambda m: any(check(m) for check in anywhere))
    if not checks:
        return None
    return lambda m: all(check(m) for check in checks)


@dataclass(frozen=True, slots=True)
class Page:
    data: list[Message]
    total: int | None       # None: not counted (`count=none`)
    has_more: bool


def select(newest_first: Iterable[Message], size: int, check: Check | None, offset: int, limit: int,
           exact: bool = True) -> Page:
    """The page [offset, offset + limit) of the matching messages. With `exact`, how many match in all (one
    whole scan unless nothing is filtered: then it is `size`, the store's); without, the scan stops at the
    first match past the page, so a page of common matches costs the page, not the store."""
    matches: Iterator[Message] = iter(newest_first) if check is None else filter(check, newest_first)
    data: list[Message] = []
    seen = 0
    for message in matches:
        if seen >= offset + limit:
            if not exact:
                return Page(data, None, True)
            if check is None:
                return Page(data, size, True)
        elif seen >= offset:
            data.append(message)
        seen += 1
    return Page(data, seen if exact else None, seen > offset + limit)
