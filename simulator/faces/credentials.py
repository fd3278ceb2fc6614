"""Credential checks that take the same time however much of a guess is right.

A plain `==` stops at the first differing character, and a dict or set lookup by the secret itself ends in
such a comparison, so response times can leak a key a character at a time. Two tools here:

- `secret_equals` for one known secret (a Basic password, a verify token): `hmac.compare_digest`.
- `SecretMap` for a table of keys where the key *is* the secret (API keys): entries are filed under the
  SHA-256 of the key and looked up by the SHA-256 of the candidate. The dict still compares digests with an
  early exit, but a caller cannot choose a candidate whose digest shares a prefix with a stored digest, so
  the timing says nothing about the key; the lookup stays O(1) however many keys are configured (comparing
  the candidate against every entry with compare_digest would also be safe, but O(keys) per request).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator
from typing import Generic, TypeVar

V = TypeVar("V")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # compare_digest takes only ASCII str; bytes never fail


def secret_equals(given: str | None, expected: str) -> bool:
    """True when `given` is exactly `expected`, compared in constant time."""
    return given is not None and hmac.compare_digest(_bytes(given), _bytes(expected))


def _digest(secret: str) -> bytes:
    return hashlib.sha256(_bytes(secret)).digest()


class SecretMap(Generic[V]):
    """A dict from secret keys to values, looked up by digest (see the module docstring)."""

    def __init__(self, items: Iterable[tuple[str, V]] = ()) -> None:
        self._by_digest: dict[bytes, V] = {_digest(key): value for key, value in items}

    def get(self, key: str | None) -> V | None:
        return None if key is None else self._by_digest.get(_digest(key))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and _digest(key) in self._by_digest

    def __setitem__(self, key: str, value: V) -> None:
        self._by_digest[_digest(key)] = value

    def __len__(self) -> int:
        return len(self._by_digest)

    def values(self) -> Iterator[V]:
        return iter(self._by_digest.values())

    def clear(self) -> None:
        self._by_digest.clear()

    def digests(self) -> Iterator[tuple[str, V]]:
        """(hex SHA-256 of the key, value) for each entry: what a snapshot stores, never the key itself."""
        return ((digest.hex(), value) for digest, value in self._by_digest.items())

    def put_digest(self, digest: str, value: V) -> None:
        """File `value` under a key known only by its hex digest (read back from a snapshot)."""
        self._by_digest[bytes.fromhex(digest)] = value
