"""How the server lives with Python's cyclic garbage collector while it holds millions of messages (DESIGN B5).

A full collection walks every live container object. With a million stored messages that is a pause of a
second or more, every time the heap has grown by a quarter: the measured p99 of a single send was 390 ms with
the collector and 11 ms without. Stored messages hold no reference cycles (the store, the scheduler and the
event subscribers point at them, they point at nothing that points back), so reference counting frees them
and the cyclic collector has nothing to find among them.

The policy (`install()`, done by `postman-sim serve` once the app is built): freeze every object alive after
start-up, and after every collection freeze its survivors too (`gc.freeze()` from a `gc.callbacks` hook). An
object that lives through one young collection (a stored message, its attempt, its pending step) leaves the
collector's sight at once, so no collection ever walks more than one young generation's worth of objects,
whatever the store holds. (Freezing after middle and full collections only left each middle collection the
survivors of ten young ones to walk, about 2,000 messages' objects: pauses of 10-30 ms at 2,500 sends/s, and a
sustained-load p99 of 21-33 ms; freezing only after full collections left each full one a quarter of the
store's growth: 35-65 ms pauses.) Young collections still find the cycles a request has already dropped. A
request in flight during one is frozen with it, so a request must leave no cycle behind once it is answered:
tests/admin/test_no_cycles.py runs every face, refusals, the admin API and webhooks and requires a collection
afterwards to find nothing unreachable (aiohttp's not-found route was the one cycle; simulator/runtime/unrouted.py
cuts it). What was frozen stays out of the collector's sight until `release()` (a full reset) unfreezes and
collects once, when the store has just been emptied and that walk is cheap; this also frees any cyclic garbage
that was frozen while it was still alive.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

_state = {"installed": False, "long_work": 0, "was_enabled": True}


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop":
        gc.freeze()


def install() -> None:
    """Freeze what start-up made and freeze the survivors of every collection from now on (idempotent)."""
    if _state["installed"]:
        return
    _state["installed"] = True
    gc.collect()
    gc.freeze()
    gc.callbacks.append(_freeze_survivors)


def uninstall() -> None:
    """Undo `install()` (tests, an embedding application that wants its collector back)."""
    if not _state["installed"]:
        return
    _state["installed"] = False
    gc.callbacks.remove(_freeze_survivors)
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
    as the installed policy does after every collection. Nests; the outermost exit restores the collector."""
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
