"""How the server lives with Python's cyclic garbage collector while it holds millions of messages (DESIGN B5).

A full collection walks every live container object. With a million stored messages that is a pause of a
second or more, every time the heap has grown by a quarter: the measured p99 of a single send was 390 ms with
the collector and 11 ms without. Stored messages hold no reference cycles (the store, the scheduler and the
event subscribers point at them, they point at nothing that points back), so reference counting frees them
and the cyclic collector has nothing to find among them.

The policy (`install()`, done by `postman-sim serve` once the app is built): freeze every object alive after
start-up, and after each collection of the middle generation (or a full one) freeze its survivors too (`gc.freeze()`
from a `gc.callbacks` hook). An object that lives through a young and a middle collection is long-lived (a stored
message, its attempt, its pending step), so it leaves the collector's sight before a full collection would walk it:
full collections stay as short as a middle one, whatever the store holds. (Freezing only after full collections
left each full collection a quarter of the store's growth to walk: pauses of 35-65 ms at 5,000 sends/s, the
p99 of the peer benchmark.) Young and middle collections run as before and still find the short-lived cycles a
request leaves behind; a request in flight during a middle collection leaves none once it is answered (measured:
after 56,000 sends, unfreezing and collecting found no unreachable object). What was frozen stays out of the
collector's sight until `release()` (a full reset) unfreezes and collects once, when the store has just been
emptied and that walk is cheap; this also frees any cyclic garbage that was frozen while it was still alive.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

_state = {"installed": False, "long_work": 0, "was_enabled": True}


def _freeze_after_full(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info.get("generation", 0) >= 1:
        gc.freeze()


def install() -> None:
    """Freeze what start-up made and freeze the survivors of every middle or full collection from now on
    (idempotent)."""
    if _state["installed"]:
        return
    _state["installed"] = True
    gc.collect()
    gc.freeze()
    gc.callbacks.append(_freeze_after_full)


def uninstall() -> None:
    """Undo `install()` (tests, an embedding application that wants its collector back)."""
    if not _state["installed"]:
        return
    _state["installed"] = False
    gc.callbacks.remove(_freeze_after_full)
    gc.unfreeze()


def installed() -> bool:
    return bool(_state["installed"])


def release() -> int:
    """After a full reset: look at every frozen object once more, free the cyclic garbage among them and freeze
    what is still alive. Returns how many unreachable objects were found (0 when the policy is not installed)."""
    if not _state["installed"]:
        return 0
    gc.unfreeze()
    found = gc.collect()
    gc.freeze()
    return found


@contextlib.contextmanager
def no_full_collections() -> Iterator[None]:
    """Around long work that makes many long-lived objects at once (a 100,000-row batch's messages).

    Automatic collection is off while the work runs (yielding to the loop is not enough: the young
    collections would promote the batch and trigger full ones part-way), and at the end what it made is frozen,
    as the installed policy does after a full collection. Nests; the outermost exit restores the collector."""
    state = _state
    if state["long_work"] == 0:
        state["was_enabled"] = gc.isenabled()
        gc.disable()
    state["long_work"] += 1
    try:
        yield
    finally:
        state["long_work"] -= 1
        if state["long_work"] == 0:
            gc.freeze()
            if state["was_enabled"]:
                gc.enable()
