"""Subscriptions: where to send which status changes, in which format, signed how, retried how.

One parser serves every source (CLI flags, `webhooks:` in the scenarios file, /_sim/webhooks and the
faces' own registration endpoints), so the same keys mean the same thing everywhere. An update is a
re-parse of the stored spec merged with the changed keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from yarl import URL

from simulator.core.flows import channels_of, faces_of
from simulator.core.models import Message
from simulator.core.timefmt import iso_utc
from simulator.faces import flows
from simulator.faces.base import SubscriptionRefused
from simulator.faces.common import spoiled_at
from simulator.telemetry.secrets import masked_url
from simulator.webhooks.formats import formats
from simulator.webhooks.formats.meta import CONTACTS_OPTIONS
from simulator.webhooks.retry import DEFAULT_JITTER, DEFAULT_SCHEDULE, MAX_RETRY_DELAY, RetryPolicy, parse_duration
from simulator.webhooks.signing import standard_key
from simulator.webhooks.targets import host_problem

KEYS = {"id", "url", "format", "secret", "signing", "verify_token", "faces", "channels", "tenant", "timeout",
        "retry", "chaos", "enabled", "waba_id", "phone_number_id", "display_phone_number", "account_name",
        "pricing_model", "meta_contacts"}
IDENTITY_DEFAULTS = {"waba_id": "102290129340398", "phone_number_id": "106540352242922",
                     "display_phone_number": "15550783881"}
DEFAULT_TIMEOUT = 10.0
DEFAULT_REORDER_DELAY = 60.0


class SubscriptionError(SubscriptionRefused):
    """A subscription spec that cannot be used; `problems` lists every mistake."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Chaos:
    duplicate: float = 0.0       # probability that a delivered event is sent once more
    reorder: float = 0.0         # probability that an event is held back by reorder_delay
    reorder_delay: float = DEFAULT_REORDER_DELAY


@dataclass(slots=True)
class Subscription:
    id: str
    url: str
    format: str
    secret: str | None
    signing: tuple[str, ...]
    verify_token: str | None
    faces: frozenset[str] | None
    channels: frozenset[str]
    tenant: str | None
    timeout: float
    retry: RetryPolicy
    chaos: Chaos
    enabled: bool
    identity: dict[str, str]
    spec: dict[str, Any]             # the keys as given, for updates and listings
    source: str                      # cli | scenarios | api | a face's name
    created_at: float
    updated_at: float = 0.0          # last create/replace/update (a face's registration shows it)
    verified: bool = False
    disabled_reason: str | None = None

    @property
    def state(self) -> str:
        if not self.enabled:
            return "disabled"
        if self.verify_token is not None and not self.verified:
            return "unverified"
        return "active"

    def wants(self, message: Message) -> bool:
        """Does this subscription cover the message's face, channel and tenant?"""
        return (self.enabled and message.channel in self.channels
                and (self.faces is None or message.face in self.faces)
                and (self.tenant is None or self.tenant == message.tenant))

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id, "url": masked_url(self.url),  # user:***@: deliveries use the real one
            "format": self.format, "state": self.state, "enabled": self.enabled,
            "disabled_reason": self.disabled_reason, "source": self.source,
            "faces": None if self.faces is None else sorted(self.faces), "channels": sorted(self.channels),
            "tenant": self.tenant, "signing": list(self.signing), "has_secret": self.secret is not None,
            "verify_token": self.verify_token, "timeout": self.timeout,
            "retry": {"schedule": list(self.retry.schedule), "jitter": self.retry.jitter},
            "chaos": {"duplicate": self.chaos.duplicate, "reorder": self.chaos.reorder,
                      "reorder_delay": self.chaos.reorder_delay},
            **self.identity,
            "created_at": iso_utc(self.created_at), "updated_at": iso_utc(self.updated_at),
        }


def parse_subscription(raw: Any, *, sub_id: str, source: str, now: float,
                       defaults: Mapping[str, Any] | None = None) -> Subscription:
    """Validate a spec (over the defaults) into a Subscription; SubscriptionError lists all problems."""
    if not isinstance(raw, Mapping):
        raise SubscriptionError(["a subscription must be an object like {\"url\": \"http://...\"}"])
    problems: list[str] = []
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        problems.append(f"unknown key(s) {unknown}; known: {sorted(KEYS)}")
    # null is the same as leaving a key out (its default), as a PATCH's null removes one
    spec = {**(defaults or {}), **{k: v for k, v in raw.items() if k != "id" and v is not None}}
    url = _url(spec.get("url"), problems)
    fmt = spec.get("format", "chuanglan")
    by_name = formats()
    if not isinstance(fmt, str) or fmt not in by_name:
        problems.append(f"format: {fmt!r} is not one of {sorted(by_name)}")
        fmt = "chuanglan"
    secret = _optional_str(spec, "secret", problems)
    verify_token = _optional_str(spec, "verify_token", problems)
    if verify_token is not None and fmt != "meta":
        problems.append("verify_token: only the meta format has the hub.verify_token handshake")
    known = flows()
    channels = (_names(spec.get("channels", ["whatsapp"]), "channels", channels_of(known), problems)
                or frozenset({"whatsapp"}))
    cannot = sorted(channels - by_name[fmt].channels)
    if cannot:
        problems.append(f"channels: format {fmt!r} cannot carry {cannot}; it carries "
                        f"{sorted(by_name[fmt].channels)} (use format 'standard' for every channel)")
    faces = None if spec.get("faces") is None else _names(spec["faces"], "faces", faces_of(known), problems)
    tenant = _optional_str(spec, "tenant", problems)
    signing = _signing(spec.get("signing"), fmt, secret, problems)
    timeout = _number(spec, "timeout", DEFAULT_TIMEOUT, problems, low=0.001, high=300)
    retry = _retry(spec.get("retry"), problems)
    chaos = _chaos(spec.get("chaos"), problems)
    enabled = spec.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append("enabled: must be true or false")
        enabled = True
    identity = dict(IDENTITY_DEFAULTS)
    for key in ("waba_id", "phone_number_id", "display_phone_number", "account_name"):
        value = _optional_str(spec, key, problems)
        if value is not None:
            identity[key] = value
    pricing = spec.get("pricing_model", "PMP")
    if pricing not in ("PMP", "CBP"):
        problems.append("pricing_model: must be PMP (per-message, v24.0+) or CBP (conversation-based)")
    identity["pricing_model"] = str(pricing)
    contacts = spec.get("meta_contacts", CONTACTS_OPTIONS[0])
    if contacts not in CONTACTS_OPTIONS:
        problems.append("meta_contacts: must be bsuid (contacts and business-scoped user ids, as Meta sends "
                        "since April 2026) or none (the older status shape without them)")
    identity["meta_contacts"] = str(contacts)
    if problems:
        raise SubscriptionError(problems)
    disabled_reason = None if enabled else "disabled by request"
    return Subscription(
        id=sub_id, url=url, format=fmt, secret=secret, signing=signing, verify_token=verify_token, faces=faces,
        channels=channels, tenant=tenant, timeout=timeout, retry=retry, chaos=chaos, enabled=enabled,
        identity=identity, spec={k: v for k, v in raw.items() if k != "id"}, source=source, created_at=now,
        updated_at=now, disabled_reason=disabled_reason)


def _url(value: Any, problems: list[str]) -> str:
    if not isinstance(value, str) or not value:
        problems.append("url: required, e.g. http://127.0.0.1:9000/webhook")
        return ""
    spoiled = spoiled_at(value)
    if spoiled is not None:
        problems.append(f"url: {value!r} contains whitespace or a control character (at position {spoiled}); "
                        "percent-encode it (a space is %20) or remove it")
        return value
    try:
        parsed = URL(value)
        scheme, host = parsed.scheme, parsed.raw_host
    except ValueError:
        scheme, host = "", None
    if scheme not in ("http", "https") or not host:
        problems.append(f"url: {value!r} is not an http(s) URL with a host")
        return value
    problem = host_problem(value)  # a name the HTTP client could never connect to
    if problem is not None:
        problems.append(f"url: {problem}")
    return value


def _optional_str(spec: Mapping[str, Any], key: str, problems: list[str]) -> str | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
        problems.append(f"{key}: must be a non-empty string")
        return None
    return str(value)


def _names(value: Any, key: str, allowed: frozenset[str], problems: list[str]) -> frozenset[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        problems.append(f"{key}: must be a list of names from {sorted(allowed)}")
        return frozenset()
    bad = sorted(set(items) - allowed)
    if bad:
        problems.append(f"{key}: {bad} not known; expected names from {sorted(allowed)}")
    return frozenset(items) & allowed


def _signing(value: Any, fmt: str, secret: str | None, problems: list[str]) -> tuple[str, ...]:
    if value is None:  # default: the format's own scheme when a secret is given
        if secret is None:
            return ()
        value = ["meta"] if fmt == "meta" else ["standard"]
    items = [value] if isinstance(value, str) else value
    if (not isinstance(items, list) or not all(isinstance(i, str) for i in items)
            or not set(items) <= {"none", "meta", "standard"}):
        problems.append("signing: must be none, meta, standard or a list of meta and standard")
        return ()
    schemes = tuple(s for s in ("meta", "standard") if s in items)
    if schemes and secret is None:
        problems.append(f"signing: {list(schemes)} needs a secret")
    if "standard" in schemes and secret is not None:
        try:
            standard_key(secret)
        except ValueError as exc:
            problems.append(f"secret: {exc} (e.g. whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw)")
    return schemes


def _number(spec: Mapping[str, Any], key: str, default: float, problems: list[str],
            low: float, high: float) -> float:
    value = spec.get(key, default)
    try:
        number = parse_duration(value)
    except ValueError:
        number = -1.0
    if not low <= number <= high:
        problems.append(f"{key}: must be a number from {low:g} to {high:g}, not {value!r}")
        return default
    return number


def _delay(value: Any) -> float:
    """A wait between attempts: a duration of at most MAX_RETRY_DELAY (30d); ValueError otherwise."""
    seconds = parse_duration(value)
    if seconds > MAX_RETRY_DELAY:
        raise ValueError(f"{value!r} is longer than the most a retry may wait, {MAX_RETRY_DELAY / 86400:g}d")
    return seconds


def _retry(value: Any, problems: list[str]) -> RetryPolicy:
    if value is None:
        return RetryPolicy()
    if not isinstance(value, Mapping) or set(value) - {"schedule", "jitter"}:
        problems.append("retry: must be {schedule: [0, 5s, 5m, ...], jitter: 0.2}")
        return RetryPolicy()
    schedule = value.get("schedule", list(DEFAULT_SCHEDULE))
    if not isinstance(schedule, list) or not schedule:
        problems.append("retry.schedule: must be a non-empty list of durations (0, 5s, 5m, 2h, ...)")
        return RetryPolicy()
    delays: list[float] = []
    for i, item in enumerate(schedule):
        try:
            delays.append(_delay(item))
        except ValueError as exc:
            problems.append(f"retry.schedule[{i}]: {exc}")
    jitter = value.get("jitter", DEFAULT_JITTER)
    if isinstance(jitter, bool) or not isinstance(jitter, int | float) or not 0 <= jitter < 1:
        problems.append("retry.jitter: must be a fraction from 0 to below 1 (0.2 = ±20%)")
        jitter = DEFAULT_JITTER
    return RetryPolicy(schedule=tuple(delays), jitter=float(jitter))


def _chaos(value: Any, problems: list[str]) -> Chaos:
    if value is None:
        return Chaos()
    if not isinstance(value, Mapping) or set(value) - {"duplicate", "reorder", "reorder_delay"}:
        problems.append("chaos: must be {duplicate: 0..1, reorder: 0..1, reorder_delay: 60s}")
        return Chaos()
    probabilities = []
    for key in ("duplicate", "reorder"):
        p = value.get(key, 0.0)
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
            problems.append(f"chaos.{key}: must be a probability from 0 to 1")
            p = 0.0
        probabilities.append(float(p))
    try:
        delay = _delay(value.get("reorder_delay", DEFAULT_REORDER_DELAY))
    except ValueError as exc:
        problems.append(f"chaos.reorder_delay: {exc}")
        delay = DEFAULT_REORDER_DELAY
    return Chaos(duplicate=probabilities[0], reorder=probabilities[1], reorder_delay=delay)
