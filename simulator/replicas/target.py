"""`--state`: `memory` or `redis://host:port/db`, checked before anything starts."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

MEMORY = "memory"
DEFAULT_GROUP = "postman-sim"
_GROUP = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class StateTargetError(ValueError):
    """The --state value is neither `memory` nor a usable redis:// URL."""


@dataclass(frozen=True, slots=True)
class RedisTarget:
    host: str
    port: int
    db: int
    password: str | None = None
    group: str = DEFAULT_GROUP  # the keys' hash tag: replicas of one simulator share it

    @property
    def shown(self) -> str:
        """The URL without its password, for the banner and errors."""
        suffix = "" if self.group == DEFAULT_GROUP else f"?group={self.group}"
        return f"redis://{self.host}:{self.port}/{self.db}{suffix}"


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
    if url.scheme != "redis" or not url.hostname or url.fragment:
        raise StateTargetError(f"invalid state {_safe(text)!r}: {hint}")
    db_text = url.path.strip("/") or "0"
    if not db_text.isdigit():
        raise StateTargetError(f"invalid state {_safe(text)!r}: the database must be a number, e.g. /0")
    query = parse_qs(url.query, keep_blank_values=True)
    groups = query.pop("group", [DEFAULT_GROUP])
    if query or len(groups) != 1 or not _GROUP.fullmatch(groups[0]):
        raise StateTargetError(f"invalid state {_safe(text)!r}: the only option is ?group=NAME (letters, digits, "
                               "'.', '_', '-'; the keys' hash tag)")
    return RedisTarget(url.hostname, port, int(db_text), url.password, groups[0])


def _safe(text: str) -> str:
    """The value as given, its password (if any) masked: errors are printed and logged."""
    with contextlib.suppress(ValueError):
        password = urlsplit(text).password
        if password:
            return text.replace(password, "***")
    return text
