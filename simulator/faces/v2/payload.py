"""A v2 message's payload, kept small (DESIGN B5): a stored message is mostly its payload, and a million of them
are held at once.

The wire shape has `values`, `language` and `fullMessage`. `fullMessage` (about 300 characters, most of them the
test prefix, the campaign's header and footer) is rendered again when read, from the very Template and Campaign
objects it was accepted with (a hot reload builds new ones, so an old message never changes). `values` is kept
as a tuple of its strings plus a shared tuple of its names (in the order the client sent them), not as a dict.
Short values are interned, and a tuple of short values is shared by every message that sent the same ones (up to
_SHARED_MAX distinct tuples): load tests repeat the same few, and a tuple costs 56 bytes a message.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any

from simulator.faces.v2.config import Campaign, Template

_KEYS = ("values", "language", "fullMessage")
_NAMES: dict[tuple[str, ...], tuple[str, ...]] = {}  # shared name orders (bounded: a template's variables)
_NAMES_MAX = 10_000
_INTERN_MAX = 64  # characters: longer values are unlikely to repeat
_SHARED: dict[tuple[str, ...], tuple[str, ...]] = {}  # value tuples shared between messages (bounded)
_SHARED_MAX = 10_000


class V2Payload(Mapping[str, Any]):
    """Read-only mapping with the keys `values`, `language` and `fullMessage`."""

    __slots__ = ("_campaign", "_names", "_template", "_values")

    def __init__(self, values: Mapping[str, str], template: Template, campaign: Campaign) -> None:
        names = tuple(values)
        shared = _NAMES.get(names)
        if shared is None and len(_NAMES) < _NAMES_MAX:
            shared = _NAMES[names] = names
        self._names = shared or names
        texts = tuple(values.values())
        shared_values = _SHARED.get(texts)
        if shared_values is None:
            shared_values = tuple(sys.intern(v) if len(v) <= _INTERN_MAX else v for v in texts)
            if len(_SHARED) < _SHARED_MAX and all(len(v) <= _INTERN_MAX for v in texts):
                _SHARED[shared_values] = shared_values
        self._values = shared_values
        self._template = template
        self._campaign = campaign

    def template_values(self) -> dict[str, str]:
        """The `values` field (a new dict each time: callers may keep it)."""
        return dict(zip(self._names, self._values, strict=True))

    @property
    def full_message(self) -> str:
        return self._campaign.full_message(self._template.render(self.template_values()))

    def __getitem__(self, key: str) -> Any:
        if key == "values":
            return self.template_values()
        if key == "language":
            return self._template.language
        if key == "fullMessage":
            return self.full_message
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(_KEYS)

    def __len__(self) -> int:
        return len(_KEYS)
