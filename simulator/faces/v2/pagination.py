"""Cursor pagination as v2 does it: newest first, cursors are base64 of ["<createdAt>", "<id>"]."""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from simulator.core.timefmt import iso_sgt, parse_iso
from simulator.faces.common import parse_json

T = TypeVar("T")
Key = tuple[int, str]


def encode_cursor(key: Key) -> str:
    created_ms, message_id = key
    raw = json.dumps([iso_sgt(created_ms / 1000), message_id], separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> Key:
    """ValueError when the cursor is not one this API handed out."""
    try:
        created, message_id = parse_json(base64.b64decode(cursor, validate=True))
        if not isinstance(created, str) or not isinstance(message_id, str):
            raise ValueError("cursor parts must be strings")
        return (round(parse_iso(created) * 1000), message_id)
    except (binascii.Error, ValueError, TypeError, OverflowError) as exc:
        raise ValueError("invalid cursor") from exc


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]            # newest first
    keys: list[Key]
    has_next: bool            # older items exist beyond this page
    has_previous: bool        # newer items exist before this page

    def page_data(self) -> dict[str, object]:
        return {
            "hasNextPage": self.has_next,
            "hasPreviousPage": self.has_previous,
            "startCursor": encode_cursor(self.keys[0]) if self.keys else None,
            "endCursor": encode_cursor(self.keys[-1]) if self.keys else None,
        }


def paginate(keys: Sequence[Key], items: Sequence[T], limit: int,
             after: Key | None = None, before: Key | None = None) -> Page[T]:
    """`keys`/`items` are sorted oldest first; pages come back newest first."""
    total = len(keys)
    if after is not None:
        hi = bisect.bisect_left(keys, after)
        lo = max(0, hi - limit)
    elif before is not None:
        lo = bisect.bisect_right(keys, before)
        hi = min(total, lo + limit)
    else:
        hi = total
        lo = max(0, hi - limit)
    return Page(items=list(reversed(items[lo:hi])), keys=list(reversed(keys[lo:hi])),
                has_next=lo > 0, has_previous=hi < total)
