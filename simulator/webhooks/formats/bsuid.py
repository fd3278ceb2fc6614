"""Business-scoped user ids (BSUIDs): Meta's per-business id of a WhatsApp user, in webhooks since April 2026.

Meta's shape is the user's two-letter ISO country, a dot and up to 128 alphanumerics
(`US.13491208655302741918`); the id is stable for one user within one business and differs between
businesses. The simulator derives it from the recipient's digits and the business (the subscription's
`waba_id`), so the same recipient has the same id on every status, run and restart.
"""

from __future__ import annotations

import hashlib

import phonenumbers
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

UNKNOWN_REGION = "ZZ"  # libphonenumber's own spelling for "no region"
MAX_NATIONAL = 17  # libphonenumber's longest national number


def region(digits: str) -> str:
    """The recipient's ISO country from its calling code (65 -> SG, 1 -> US), ZZ when there is none.

    An ordinary international number (digits only, a known calling code of 1-3 digits, 3-17 digits after it)
    is read from the calling-code table directly, as libphonenumber reads it: its full parse costs ~50 µs,
    paid on every webhook. Anything else takes that parse (tests/webhooks/test_bsuid.py holds them equal)."""
    if digits.isascii() and digits.isdigit() and digits[:1] != "0":
        for size in (1, 2, 3):
            code = int(digits[:size])
            if code in COUNTRY_CODE_TO_REGION_CODE:
                if 2 < len(digits) - size <= MAX_NATIONAL:
                    return phonenumbers.region_code_for_country_code(code)
                break
    return _parsed_region(digits)


def _parsed_region(digits: str) -> str:
    """The region by libphonenumber's full parse of +digits."""
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException:
        return UNKNOWN_REGION
    return phonenumbers.region_code_for_country_code(number.country_code or 0)


def business_scoped_user_id(digits: str, business: str) -> str:
    """The recipient's BSUID within `business`: `<ISO country>.<up to 20 digits>`, deterministic."""
    digest = hashlib.sha256(f"{business}\0{digits}".encode()).digest()
    return f"{region(digits)}.{int.from_bytes(digest[:8], 'big')}"
