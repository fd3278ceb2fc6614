"""The issue-12 targets as one table: each bench module returns its rows, `make bench-peers` prints them all."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """One target with its measured value; a run that failed or did not happen is never met."""

    what: str
    goal: str
    measured: str
    met: bool | None  # None: a row of context beside the targets, not one of them


def render(targets: Iterable[Target]) -> str:
    lines = ["| target | goal | measured | met? |", "|---|---|---|---|"]
    lines += [f"| {t.what} | {t.goal} | {t.measured} | {'-' if t.met is None else 'met' if t.met else 'NOT met'} |"
              for t in targets]
    return "\n".join(lines)
