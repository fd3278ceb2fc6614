"""Batch CSV validation: recipient, language, then one column per template variable; all or nothing."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from simulator.faces.v2 import errors
from simulator.faces.v2.config import Campaign
from simulator.faces.v2.validation import language_error, recipient_ok

HEADER = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True, slots=True)
class BatchRow:
    recipient: str
    language: str
    values: dict[str, str]


class BatchInvalid(ValueError):
    def __init__(self, problems: list[dict[str, object]]) -> None:
        super().__init__(problems[0]["message"])
        self.problems = problems


def parse_batch(raw: bytes, campaign: Campaign, max_rows: int) -> list[BatchRow]:
    """Every row, or BatchInvalid listing each problem by row (row 1 is the header)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BatchInvalid([{"row": None, "message": "The file must be a UTF-8 encoded CSV."}]) from exc
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline="")) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise BatchInvalid([{"row": None, "message": f"The file is not a valid CSV: {exc}."}]) from exc
    if not rows:
        raise BatchInvalid([{"row": None, "message": "The CSV file is empty."}])
    header = [cell.strip() for cell in rows[0]]
    problems: list[dict[str, object]] = []
    if header[:2] != ["recipient", "language"]:
        problems.append({"row": 1, "message": "The first two columns must be recipient and language."})
    bad = [h for h in header if not HEADER.match(h)]
    if bad:
        problems.append({"row": 1, "message": f"Invalid header(s) {', '.join(bad)}: use lowercase letters, numbers "
                                              "and _ only."})
    if len(set(header)) != len(header):
        problems.append({"row": 1, "message": "Column headers must be unique."})
    body = rows[1:]
    if not body:
        problems.append({"row": None, "message": "The CSV file has no rows to send."})
    if len(body) > max_rows:
        problems.append({"row": None, "message": f"The CSV file has {len(body)} rows; at most {max_rows} are allowed."})
    if problems:
        raise BatchInvalid(problems)
    variables = header[2:]
    parsed = []
    for number, row in enumerate(body, start=2):
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
