"""What a provider charges for one SMS: GSM 03.38 segment counting and the per-attempt charge.

A provider bills SMS by segment, so a client budgeting sends needs the same count the network makes:
- a text of GSM 03.38 characters only (the basic table, plus the extension table's `^ { } \\ [ ~ ] | €`
  and form feed, each sent as ESC + character and so counting two septets) is GSM-7: one segment holds
  160 septets, a concatenated one 153 (the user data header takes 7);
- anything else is UCS-2: 70 UTF-16 code units in one segment, 67 in a concatenated one, so an emoji
  (a surrogate pair) counts two.
A character is never split across segments: an ESC pair or a surrogate pair that does not fit in the
rest of a segment starts the next one (as handsets and aggregators do), so the count can exceed
ceil(total / 153).

The character table is the `gsm0338` codec's (3GPP TS 23.038); it knows no face. Which flows are billed
and which outcomes charge is each face's own rule (e.g. faces/v2/billing.py); `bill` applies one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

from simulator.core.models import Attempt, Message

GSM_7 = "GSM-7"
UCS_2 = "UCS-2"
# (one segment, each segment of a concatenated message): septets for GSM-7, UTF-16 code units for UCS-2
LIMITS = {GSM_7: (160, 153), UCS_2: (70, 67)}


@dataclass(frozen=True, slots=True)
class Segments:
    encoding: str   # GSM_7 or UCS_2
    units: int      # septets (GSM-7) or UTF-16 code units (UCS-2)
    count: int      # segments the network sends (at least 1)


@lru_cache(maxsize=512)
def _septets(char: str) -> int:
    """1 (basic table), 2 (extension table: ESC + code) or 0 (not GSM 03.38)."""
    if char == "\x1b":  # the table's 0x1B is the escape to the extension table, not a character one can send
        return 0
    try:
        return len(char.encode("gsm03.38"))
    except UnicodeEncodeError:
        return 0


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _pack(sizes: list[int], single: int, multi: int) -> int:
    """Segments for characters of these sizes: one if all fit in `single`, else `multi` per segment with
    no character split across two."""
    if sum(sizes) <= single:
        return 1
    count, used = 1, 0
    for size in sizes:
        if used + size > multi:
            count, used = count + 1, 0
        used += size
    return count


@lru_cache(maxsize=4096)
def count_segments(text: str) -> Segments:
    """The GSM 03.38 encoding and segment count of one SMS text (an empty text is still one segment)."""
    septets = [_septets(char) for char in text]
    if all(septets):
        encoding, sizes = GSM_7, septets
    else:
        encoding, sizes = UCS_2, [_utf16_units(char) for char in text]
    single, multi = LIMITS[encoding]
    return Segments(encoding, sum(sizes), _pack(sizes, single, multi))


@dataclass(frozen=True, slots=True)
class BillingRule:
    """One face's billing: how to name an attempt's final outcome, and which outcomes are charged.

    `outcome(message, attempt)` is None while the attempt is not final; an outcome missing from
    `charged` (e.g. a custom error code forced through /_sim) is not charged.
    """

    source: str                                     # where the rule table comes from, for the README
    charged: Mapping[str, bool]
    outcome: Callable[[Message, Attempt], str | None]
    text: Callable[[Message], str]                  # the text the network sends, for segments


@dataclass(frozen=True, slots=True)
class AttemptBill:
    number: int
    created_at: float
    outcome: str | None     # None: not final yet
    charged: bool | None    # None: not final yet


@dataclass(frozen=True, slots=True)
class MessageBill:
    segments: Segments
    attempts: tuple[AttemptBill, ...]

    @property
    def charged(self) -> bool | None:
        """The latest attempt's charge: what the message's final status decides."""
        return self.attempts[-1].charged

    @property
    def charged_attempts(self) -> int:
        return sum(1 for attempt in self.attempts if attempt.charged)


def bill(message: Message, rule: BillingRule) -> MessageBill:
    """Every attempt billed by its own outcome; each sends the same text, so the same segments."""
    attempts = []
    for attempt in message.attempts:
        outcome = rule.outcome(message, attempt)
        charged = None if outcome is None else rule.charged.get(outcome, False)
        attempts.append(AttemptBill(attempt.number, attempt.created_at, outcome, charged))
    return MessageBill(count_segments(rule.text(message)), tuple(attempts))
