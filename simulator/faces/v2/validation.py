"""Field rules shared by single and batch send."""

from __future__ import annotations

import re
from typing import Any

from simulator.faces.v2 import errors
from simulator.faces.v2.config import LANGUAGES, Campaign

# Country code and number, no '+': a Singapore number is 65 + 8 digits; others 10 to 15 digits.
_SG = re.compile(r"^65[0-9]{8}$")
_OTHER = re.compile(r"^[1-9][0-9]{9,14}$")


def recipient_ok(recipient: str) -> bool:
    if recipient.startswith("65"):
        return _SG.match(recipient) is not None
    return _OTHER.match(recipient) is not None


def language_error(language: Any, campaign: Campaign) -> str | None:
    if isinstance(language, str) and language in campaign.templates:
        return None
    available = ", ".join(lang for lang in LANGUAGES if lang in campaign.templates)
    if not isinstance(language, str):
        return f"language must be one of the campaign's language(s): {available}"
    return errors.LANGUAGE_UNSUPPORTED.format(language=language, languages=available)


def values_ok(values: Any, variables: frozenset[str]) -> bool:
    """Every template variable, and nothing else, as a non-empty string."""
    return (
        isinstance(values, dict)
        and set(values) == variables
        and all(isinstance(v, str) and v != "" for v in values.values())
    )
