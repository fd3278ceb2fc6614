"""GSM 03.38 segment counting at its boundaries (core/billing.py): what a provider bills an SMS as."""

from __future__ import annotations

import pytest

from simulator.core.billing import GSM_7, UCS_2, count_segments

BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"  # noqa: E501
EXTENSION = "\f^{}\\[~]|€"


def test_the_whole_basic_table_is_one_septet_each() -> None:
    assert len(set(BASIC)) == len(BASIC) == 127  # 128 positions less the escape
    segments = count_segments(BASIC)
    assert (segments.encoding, segments.units, segments.count) == (GSM_7, 127, 1)


def test_the_extension_table_counts_two_septets_each() -> None:
    segments = count_segments(EXTENSION)
    assert (segments.encoding, segments.units) == (GSM_7, 2 * len(EXTENSION))


@pytest.mark.parametrize(("text", "count"), [
    ("", 1),
    ("a" * 160, 1),
    ("a" * 161, 2),
    ("a" * 306, 2),
    ("a" * 307, 3),
    ("a" * 158 + "€", 1),      # 160 septets
    ("a" * 159 + "€", 2),      # 161 septets
    ("€" * 80, 1),
    ("€" * 81, 2),
])
def test_gsm_7_is_160_septets_in_one_segment_and_153_in_each_of_several(text: str, count: int) -> None:
    segments = count_segments(text)
    assert (segments.encoding, segments.count) == (GSM_7, count)


def test_an_escape_pair_is_never_split_across_two_segments() -> None:
    # 152 + 2 + 152 = 306 septets would fit in two segments of 153, but '€' does not fit in the first
    # one's last septet: it opens the second, and the last 'a' needs a third.
    text = "a" * 152 + "€" + "a" * 152
    assert count_segments(text).units == 306
    assert count_segments(text).count == 3
    assert count_segments("a" * 151 + "€" + "a" * 153).count == 2  # '€' ends the first segment exactly


@pytest.mark.parametrize("char", ["ç", "á", "中", "’", "\x1b", "😀"])
def test_a_character_outside_gsm_03_38_makes_the_text_ucs_2(char: str) -> None:
    assert count_segments("a" * 10 + char).encoding == UCS_2


@pytest.mark.parametrize(("text", "count"), [
    ("中" * 70, 1),
    ("中" * 71, 2),
    ("中" * 134, 2),
    ("中" * 135, 3),
    ("ç" + "a" * 69, 1),
    ("ç" + "a" * 70, 2),
])
def test_ucs_2_is_70_units_in_one_segment_and_67_in_each_of_several(text: str, count: int) -> None:
    segments = count_segments(text)
    assert (segments.encoding, segments.count) == (UCS_2, count)


def test_an_emoji_is_two_utf_16_units_and_its_pair_is_never_split() -> None:
    assert count_segments("😀" * 35).units == 70
    assert count_segments("😀" * 35).count == 1
    assert count_segments("😀" * 35 + "a").count == 2
    # 66 + 2 + 66 = 134 units would fit in two segments of 67, but the pair does not fit in the first.
    assert count_segments("a" * 66 + "😀" + "a" * 66).count == 3
    assert count_segments("a" * 65 + "😀" + "a" * 67).count == 2
