"""SMS encoding and segment count: GSM 03.38 7-bit when every character fits, else UCS-2."""

from __future__ import annotations

import math

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
MAX_PARTS = 255  # a concatenated SMS cannot have more parts than this


def is_unicode(text: str) -> bool:
    return any(ch not in GSM_BASIC and ch not in GSM_EXTENDED for ch in text)


def parts(text: str) -> int:
    """How many SMS segments `text` needs (160/153 septets, or 70/67 UCS-2 code units)."""
    if is_unicode(text):
        units = len(text.encode("utf-16-le", "surrogatepass")) // 2
        single, multi = 70, 67
    else:
        units = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        single, multi = 160, 153
    return 1 if units <= single else math.ceil(units / multi)
