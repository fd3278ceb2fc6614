"""One log line per event, as text (`k=v`) or JSON, with credentials masked.

Call sites log an event name and pass structured fields as `extra={"fields": {...}}`; the
formatter renders them, so the same call works for both formats.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, TextIO

from simulator.core.timefmt import iso_utc
from simulator.telemetry.secrets import scrub

LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")


class LineFormatter(logging.Formatter):
    """`json_lines=True`: one JSON object a line; else `time level logger event k=v ...`."""

    def __init__(self, json_lines: bool) -> None:
        super().__init__()
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "fields", None) or {}
        message = scrub(record.getMessage())
        if self.json_lines:
            payload: dict[str, Any] = {"ts": iso_utc(record.created), "level": record.levelname.lower(),
                                       "logger": record.name, "event": message}
            payload.update({k: scrub(v) if isinstance(v, str) else v for k, v in fields.items()})
            if record.exc_info:
                payload["exception"] = scrub(self.formatException(record.exc_info))
            return json.dumps(payload, ensure_ascii=False, default=str)
        parts = [iso_utc(record.created), record.levelname, record.name, message]
        parts += [f"{k}={_text_value(v)}" for k, v in fields.items()]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + scrub(self.formatException(record.exc_info))
        return line


def _text_value(value: Any) -> str:
    if value is None:
        return "-"
    text = scrub(str(value))
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text) else text


def configure_logging(log_format: str = "text", level: str = "info", stream: TextIO | None = None) -> None:
    """Route every logger through one handler on stderr in the chosen format."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {LOG_FORMATS}, not {log_format!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(LineFormatter(json_lines=log_format == "json"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
