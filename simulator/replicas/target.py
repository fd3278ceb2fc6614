"""`--state`: `memory` or `redis://host:port/db`, checked before anything starts."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

MEMORY = "memory"


class StateTargetError(ValueError):
    """The --state value is neither `memory` nor a usable redis:// URL."""


@dataclass(frozen=True, slots=True)
class RedisTarget:
    host: str
    port: int
    db: int
    password: str | None = None

    @property
    def shown(self) -> str:
        """The URL without its password, for the banner and errors."""
        return f"redis://{self.host}:{self.port}/{self.db}"


def parse_state(text: str) -> str | RedisTarget:
    """MEMORY, or where Redis is; StateTargetError with one line saying what is wrong."""
    if text.strip().lower() == MEMORY:
        return MEMORY
    hint = "expected memory or redis://host:port/db, e.g. redis://127.0.0.1:6379/0"
    try:
        url = urlsplit(text.strip())
        port = url.port or 6379
    except ValueError:
        raise StateTargetError(f"invalid state {_safe(text)!r}: {hint}") from None
    if url.scheme != "redis" or not url.hostname or url.query or url.fragment:
        raise StateTargetError(f"invalid state {_safe(text)!r}: {hint}")
    db_text = url.path.strip("/") or "0"
    if not db_text.isdigit():
        raise StateTargetError(f"invalid state {_safe(text)!r}: the database must be a number, e.g. /0")
    return RedisTarget(url.hostname, port, int(db_text), url.password)


def _safe(text: str) -> str:
    """The value as given, its password (if any) masked: errors are printed and logged."""
    try:
        url = urlsplit(text)
        if url.password:
            return text.replace(url.password, "***")
    except ValueError:
        pass
    return text
