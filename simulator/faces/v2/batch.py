"""Batch CSV validation: recipient, language, then one column per template variable; all or nothing.

A batch may have 100,000 rows (with `v2.batch_max_rows` raised), so validation pauses for the event loop as it
goes, and an invalid file reports its first MAX_DETAILS problems and a count of the rest, not one entry per row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from simulator.faces.v2 import errors
from simulator.faces.v2.config import Campaign
from simulator.faces.v2.validation import language_error, recipient_ok

HEADER = re.compile(r"^[a-z0-9_]+$")
MAX_DETAILS = 100
Pause = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class BatchRow:
    recipient: str
    language: str
    values: dict[str, str]


@dataclass(slots=True)
class Problems:
    """The first MAX_DETAILS problems, and how many more there were."""

    kept: list[dict[str, object]] = field(default_factory=list)
    omitted: int = 0

    def append(self, problem: dict[str, object]) -> None:
        if len(self.kept) < MAX_DETAILS:
            self.kept.append(problem)
        else:
            self.omitted += 1

    def __bool__(self) -> bool:
        return bool(self.kept)


class BatchInvalid(ValueError):
    def __init__(self, problems: list[dict[str, object]] | Problems) -> None:
        if isinstance(problems, list):
            problems = Problems(kept=problems)
        super().__init__(problems.kept[0]["message"])
        self.problems = problems.kept
        self.omitted = problems.omitted


async def parse_batch(raw: bytes, campaign: Campaign, max_rows: int, pause: Pause) -> list[BatchRow]:
    """Every row, or BatchInvalid listing the problems by row (row 1 is the header); `pause()` is awaited
    between rows so other requests are served while a long file is checked."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BatchInvalid([{"row": None, "message": "The file must be a UTF-8 encoded CSV."}]) from exc
    rows = []
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            if any(cell.strip() for cell in row):
                rows.append(row)
            await pause()
    except csv.Error as exc:
        raise BatchInvalid([{"row": None, "message": f"The file is not a valid CSV: {exc}."}]) from exc
    if not rows:
        raise BatchInvalid([{"row": None, "message": "The CSV file is empty."}])
    header = [cell.strip() for cell in rows[0]]
    problems = Problems()
    if header[:2] != ["recipient", "language"]:
        problems.append({"row": 1, "message": "The first two columns must be recipient and language."})
    bad = [h for h in header if not HEADER.match(h)]
    if bad:
        problems.append({"row": 1, "message": f"Invalid header(s) {', '.join(bad)}: use lowercase letters, numbers "
                                              "and _ only."})
    if len(set(header)) != len(header):
        problems.append({"row": 1, "message": "Column headers must be unique."})
    body = rows  # the rows are taken off the end of a reversed list, so each is freed as soon as it is read:
    body.reverse()  # dropping 100,000 of them at once would be one long pause of its own
    body.pop()  # the header
    if not body:
        problems.append({"row": None, "message": "The CSV file has no rows to send."})
    if len(body) > max_rows:
        problems.append({"row": None, "message": f"The CSV file has {len(body)} rows; at most {max_rows} are allowed."})
    if problems:
        raise BatchInvalid(problems)
    variables = header[2:]
    parsed = []
    number = 1
    while body:
        await pause()
        row = body.pop()
        number += 1
        cells = [cell.strip() for cell in row]
        if len(cells) != len(header):
            problems.append({"row": number, "message": f"Expected {len(header)} columns, found {len(cells)}."})
            continue
        recipient, language = cells[0], cells[1]
        values = dict(zip(variables, cells[2:], strict=True))
        if not recipient_ok(recipient):
            problems.append({"row": number, "column": "recipient", "message": errors.INVALID_RECIPIENT})
        problem = language_error(language, campaign)
        if problem:
            problems.append({"row": number, "column": "language", "message": problem})
        else:
            expected = campaign.templates[language].variables
            if set(variables) != expected:
                problems.append({"row": number, "message": (
                    f"Columns {', '.join(sorted(variables))} do not match the template variables "
                    f"{', '.join(sorted(expected))}.")})
        empty = [name for name, value in values.items() if not value]
        if empty:
            problems.append({"row": number, "message": f"Empty value(s) for {', '.join(empty)}: every parameter "
                                                       "must be filled."})
        parsed.append(BatchRow(recipient=recipient, language=language, values=values))
    if problems:
        raise BatchInvalid(problems)
    return parsed
