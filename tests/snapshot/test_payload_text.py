"""Data that no UTF-8 file can hold (a lone surrogate a request's JSON escaped) never stops a snapshot write."""

from __future__ import annotations

import orjson

from simulator.journal.entries import masked_text
from simulator.snapshot.state import dumps


def test_lone_surrogates_anywhere_in_the_payload_are_written_as_replacement_characters() -> None:
    data = {"rows": [["m1", "hi \ud800"]], "k\udfff": ("x", 1, None, 2.5)}
    assert orjson.loads(dumps(data)) == {"rows": [["m1", "hi \ufffd"]], "k\ufffd": ["x", 1, None, 2.5]}
    assert dumps({"a": "é 😀"}) == orjson.dumps({"a": "é 😀"})  # well-formed text as it is


def test_the_journal_shows_a_lone_surrogate_as_a_replacement_character() -> None:
    text = masked_text(rb'{"a": "\ud800", "b": "\ud83d\ude00"}')
    assert text == '{"a": "\ufffd", "b": "😀"}'
