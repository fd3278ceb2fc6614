"""What one API request touched, noted as it runs: its tenant, the messages it created or read, its body.

The request journal (simulator/journal) sets a fresh RequestTrace in a context variable around each
emulated-API request; the engine, the store and the faces' guards append to it. Nothing here knows the
journal exists, and outside a journaled request (the scheduler, /_sim, webhooks) every note is a no-op.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(slots=True)
class RequestTrace:
    tenant: str | None = None
    created: list[tuple[str, str]] = field(default_factory=list)  # (message id, recipient + content)
    read: list[str] = field(default_factory=list)
    body: bytes | None = None


CURRENT_TRACE: ContextVar[RequestTrace | None] = ContextVar("postman_sim_request_trace", default=None)


def note_tenant(tenant: str) -> None:
    """The request was resolved to `tenant` (a face's credential check)."""
    trace = CURRENT_TRACE.get()
    if trace is not None:
        trace.tenant = tenant


def note_created(message_id: str, tenant: str, recipient: str, content: str) -> None:
    trace = CURRENT_TRACE.get()
    if trace is not None:
        trace.tenant = trace.tenant or tenant
        trace.created.append((message_id, f"{recipient}\x00{content}"))


def note_read(message_id: str) -> None:
    trace = CURRENT_TRACE.get()
    if trace is not None and message_id not in trace.read:
        trace.read.append(message_id)


def note_body(raw: bytes) -> None:
    """The request body as the face read it (the journal keeps its first 16 KiB)."""
    trace = CURRENT_TRACE.get()
    if trace is not None and trace.body is None:
        trace.body = raw
