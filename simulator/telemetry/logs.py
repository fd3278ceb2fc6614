"""One log line per event, as text (`k=v`) or JSON, with credentials masked.

Call sites log an event name and pass structured fields as `extra={"fields": {...}}`; the
formatter renders them, so the same call works for both formats.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from typing import Any, TextIO

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from simulator.core.timefmt import iso_utc
from simulator.telemetry.secrets import scrub, scrub_quoted_headers

LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("debug", "info", "warning", "error")


class LineFormatter(logging.Formatter):
    """`json_lines=True`: one JSON object a line; else `time level logger event k=v ...`."""

    def __init__(self, json_lines: bool) -> None:
        super().__init__()
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "fields", None) or {}
        exception = self.formatException(record.exc_info) if record.exc_info else None
        return self.line(record.created, record.levelname, record.name, record.getMessage(), fields, exception)

    def line(self, created: float, level: str, logger: str, message: str, fields: dict[str, Any],
             exception: str | None = None) -> str:
        """The line of one event: what `format` writes for a record with these attributes."""
        message = scrub(message)
        if self.json_lines:
            payload: dict[str, Any] = {"ts": iso_utc(created), "level": level.lower(), "logger": logger,
                                       "event": message}
            payload.update({k: scrub(v) if isinstance(v, str) else v for k, v in fields.items()})
            if exception is not None:
                payload["exception"] = scrub_quoted_headers(exception)
            return _printable(json.dumps(payload, ensure_ascii=False, default=str))
        line = " ".join((iso_utc(created), level, logger, message, *_pairs(fields)))
        if exception is not None:
            line += "\n" + scrub_quoted_headers(exception)
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


_RENDERED: dict[str, str] = {}  # recent quoted or scrubbed strings: a client's masked credential is on every line


def _text_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (int, float)):  # digits (or True/False, inf): nothing to mask or quote
        return str(value)
    if type(value) is str and (cached := _RENDERED.get(value)) is not None:
        return cached
    text = scrub(str(value))
    # quoted (and so escaped) when it has a space or anything unprintable: a NUL or ESC from a request's path or
    # query must not reach the log file raw (grep calls it binary; a terminal runs the escape)
    quoted = " " in text or not text or not text.isprintable()
    rendered = _printable(json.dumps(text, ensure_ascii=False)) if quoted else text
    if type(value) is str and len(value) <= 256:
        if len(_RENDERED) >= 1024:
            _RENDERED.clear()
        _RENDERED[value] = rendered
    return rendered


def _printable(quoted: str) -> str:
    """JSON text with every unprintable character escaped: JSON escapes only those below U+0020, and a C1
    control (U+009B is a one-byte CSI to some terminals), DEL or a line separator from a request must not reach
    the log raw either. Each is written as a JSON \\u escape (a surrogate pair above U+FFFF): still valid JSON."""
    if quoted.isprintable():
        return quoted
    return "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in quoted)


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

    def queue(self, line: str) -> None:
        """An INFO line already formatted (log_info's direct path), queued as `emit` queues one: under the
        handler's lock, as logging calls `emit`, or the flusher thread could take the list it is appended to."""
        with self.lock:  # type: ignore[union-attr]  # Handler.createLock() made it in __init__
            self._pending.append(line)
            full = len(self._pending) >= self._batch
        if full:
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


def log_info(logger: logging.Logger, event: str, fields: dict[str, Any]) -> None:
    """`logger.info(event, extra={"fields": fields})` for the loggers that write lines per request and per
    status change (make run writes about six a send). When the buffered handler is the line's only way out
    (no other handler or filter on its path; pytest's caplog adds one), the same line is formatted and queued
    without a LogRecord: about 7 µs a status line instead of 13-17."""
    direct = _direct(logger)
    line = None if direct is None else _formatted(direct[1], logger, event, fields)
    if direct is not None and line is not None:
        direct[0].queue(line)
    else:
        logger.info(event, extra={"fields": fields})


def _formatted(formatter: LineFormatter, logger: logging.Logger, event: str, fields: dict[str, Any]) -> str | None:
    """The INFO line, or None when a field cannot be formatted: logging's own path then reports it without
    raising, as it does for any broken record."""
    try:
        return formatter.line(time.time(), "INFO", logger.name, event, fields)
    except Exception:
        return None


def _direct(logger: logging.Logger) -> tuple[BufferedLineHandler, LineFormatter] | None:
    """The buffered handler and its formatter when an INFO line of `logger` reaches that handler alone."""
    root = logging.root
    if len(root.handlers) != 1 or logger.filters or logger.disabled:
        return None
    handler = root.handlers[0]
    formatter = handler.formatter
    if (type(handler) is not BufferedLineHandler or type(formatter) is not LineFormatter or handler.filters
            or handler.level > logging.INFO):
        return None
    node: logging.Logger | None = logger
    while node is not None and node is not root:
        if node.handlers or not node.propagate:
            return None
        node = node.parent
    return handler, formatter


class RefusedRequests(logging.Filter):
    """aiohttp logs a request it refused as the client's fault (a malformed header line, a body whose
    Content-Encoding does not decode: answered 400 already) as an ERROR with a traceback, and the parser's
    message quotes the header line, credential and all. One WARNING line naming the kind of fault instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        fault = record.exc_info[1] if record.exc_info else None
        if isinstance(fault, (HttpProcessingError, web.RequestPayloadError)):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            code = fault.code if isinstance(fault, HttpProcessingError) else 400
            record.msg, record.args = "refused a malformed request (%s, answered %s)", (type(fault).__name__, code)
            record.exc_info = record.exc_text = None
        return True


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
    server_log = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, RefusedRequests) for f in server_log.filters):
        server_log.addFilter(RefusedRequests())
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    # No line shows a source file or line either: without _srcfile, logging skips walking the stack for the
    # caller of every record (the documented switch, in logging/__init__.py, for exactly this).
    logging._srcfile = None
