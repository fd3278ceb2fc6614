"""The report's thresholds: defaults, overridden by the `report:` section of the scenarios file.

A misspelt key or a wrong type is an error at start-up (like every other section): a threshold that
silently stays at its default would make a report pass that should not.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

RULES = ("ignored-retry-after", "rate-limit-hit", "retried-permanent-failure", "duplicate-send",
         "polling-after-terminal", "tight-polling", "never-checked-outcome", "unknown-path", "wrong-auth-scheme",
         "webhook-receiver-errors", "validation-errors")


@dataclass(frozen=True, slots=True)
class ReportSettings:
    duplicate_window: float = 60.0          # s (simulated): same recipient and content again within it
    tight_polling_window: float = 1.0       # s (simulated)
    tight_polling_reads: int = 3            # reads of one message within the window that count as tight
    reads_after_terminal: int = 1           # status reads allowed once a message can no longer change
    rate_limit_near: float = 0.8            # share of a documented limit that counts as "close"
    webhook_slow_ms: float = 5000.0         # a receiver slower than this is flagged
    permanent_errors: tuple[str, ...] = ("recipient_invalid", "content_invalid")
    disabled: tuple[str, ...] = ()          # rule ids to leave out

    def view(self) -> dict[str, Any]:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v for f in fields(self)}


def parse_report_settings(section: Mapping[str, Any]) -> ReportSettings:
    """The `report:` section; ValueError naming the key for anything it cannot use."""
    settings = ReportSettings()
    known = [f.name for f in fields(ReportSettings)]
    changes: dict[str, Any] = {}
    for key, value in section.items():
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"report: unknown key {str(key)!r}{hint}; it takes {', '.join(known)}")
        default = getattr(settings, key)
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ValueError(f"report.{key} must be a list of strings")
            if key == "disabled" and (unknown := sorted(set(value) - set(RULES))):
                raise ValueError(f"report.disabled: unknown rule(s) {unknown}; rules are {', '.join(RULES)}")
            changes[key] = tuple(value)
        elif isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise ValueError(f"report.{key} must be a number >= 0")
        elif isinstance(default, int) and not isinstance(value, int):
            raise ValueError(f"report.{key} must be a whole number")
        else:
            changes[key] = value
    return replace(settings, **changes)
