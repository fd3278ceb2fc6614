"""A webhook body is the bytes json.dumps writes (compact, UTF-8) whichever encoder wrote it, and event ids are
uuid4 strings of the seeded stream."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from simulator.webhooks.dispatcher import Dispatcher, _encode, _rng


def reference(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


TEXT = "".join(chr(c) for c in range(0x3000) if not 0xD800 <= c <= 0xDFFF) + "😀\u2028\u2029\x7f"
PAYLOADS = [
    {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"value": {"n": 1}}]}]},
    {"text": TEXT, TEXT[:300]: [TEXT[300:600]]},
    {"float": 1.5e-7, "big": 1e16, "zero": -0.0, "plain": 2.5},
    {"nan": float("nan"), "inf": float("inf")},
    {"null": None, "ok": True, "no": False},
    {"big_int": 2**70, "small": -(2**63)},
    {1: "int key", None: "none key"},
    {"nested": [[[[{"deep": [1, 2, 3]}]]]], "tuple": (1, 2)},
    {"hex": "3e5a1e9f", "version": "1.2.3"},
]


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_a_body_is_what_json_dumps_writes(payload: Any) -> None:
    assert _encode(payload) == reference(payload)


def test_event_ids_are_the_seeded_uuid4s() -> None:
    dispatcher = Dispatcher.__new__(Dispatcher)  # only its seeded stream is used
    dispatcher._rng = _rng(7)
    mirror = _rng(7)
    for _ in range(20_000):
        assert dispatcher._event_id() == str(uuid.UUID(int=mirror.getrandbits(128), version=4))
