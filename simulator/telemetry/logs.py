"""One log line per event, as text (`k=v`) or JSON, with credentials masked.

Call sites log an event name and pass structured fields as `extra={"fields": {...}}`; the
formatter renders them, so the same call works for both formats.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
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
        line = " ".join((iso_utc(record.created), record.levelname, record.name, message, *_pairs(fields)))
        if record.exc_info:
            line += "\n" + scrub(self.formatException(record.exc_info))
        return line


def _pairs(fields: dict[str, Any]) -> list[str]:
    """`k=v` for each field. Most values are plain words (ids, statuses, paths), numbers or None: written here
    without a call each (a status line has nine fields, and make run writes about six lines a send)."""
    pairs = []
    for key, value in fields.items():
        kind = type(value)
        if kind is str:
            if value and " " not in value and "key_" not in value and value.isprintable():
                pairs.append(f"{key}={value}")
                continue
        elif value is None:
            pairs.append(f"{key}=-")
            continue
        elif kind is int or kind is bool or kind is float:
            pairs.append(f"{key}={value}")
            continue
        pairs.append(f"{key}={_text_value(value)}")
    return pairs


def _text_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (int, float)):  # digits (or True/False, inf): nothing to mask or quote
        return str(value)
    text = scrub(str(value))
    # quoted (and so escaped) when it has a space or anything unprintable: a NUL or ESC from a request's path or
    # query must not reach the log file raw (grep calls it binary; a terminal runs the escape)
    return json.dumps(text, ensure_ascii=False) if (" " in text or not text or not text.isprintable()) else text


class BufferedLineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Lines are written in batches, not one write (a system call) per line: at 256 pending lines, at once
    for a WARNING or worse, every `interval` seconds from a daemon thread, and at exit (logging.shutdown).
    Nothing is dropped or sampled; a line reaches the stream at most `interval` late."""

    def __init__(self, stream: TextIO, interval: float = 0.2, batch: int = 256) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        self._batch = batch
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._flush_every, args=(interval,), name="log-flush", daemon=True)
        self._flusher.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # as logging.StreamHandler: a broken record must not break the caller
            self.handleError(record)
            return
        self._pending.append(line)
        if record.levelno >= logging.WARNING or len(self._pending) >= self._batch:
            self.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # Handler.createLock() made it in __init__
            if not self._pending:
                return
            lines, self._pending = self._pending, []
            self.stream.write("\n".join(lines) + "\n")
            self.stream.flush()

    def close(self) -> None:
        self._stop.set()
        self.flush()
        super().close()

    def _flush_every(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                self.flush()
            except (OSError, ValueError):  # the stream went away (a closed pipe at exit)
                return


def configure_logging(log_format: str = "text", level: str = "info", stream: TextIO | None = None) -> None:
    """Route every logger through one buffered handler on stderr in the chosen format. LogRecords skip the
    thread, process and multiprocessing names (no line shows them; each cost a lookup per record)."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {LOG_FORMATS}, not {log_format!r}")
    handler = BufferedLineHandler(stream or sys.stderr)
    handler.setFormatter(LineFormatter(json_lines=log_format == "json"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        if isinstance(old, BufferedLineHandler):
            old.close()  # its flusher thread stops
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    # No line shows a source file or line either: without _srcfile, logging skips walking the stack for the
    # caller of every record (the documented switch, in logging/__init__.py, for exactly this).
    logging._srcfile = None
