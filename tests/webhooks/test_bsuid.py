"""The BSUID's country: the calling-code shortcut names the same region as libphonenumber's full parse."""

from __future__ import annotations

import random

from simulator.webhooks.formats.bsuid import _parsed_region, business_scoped_user_id, region


def test_region_matches_the_full_parse_for_every_calling_code_and_length() -> None:
    rng = random.Random(12)
    samples = ["", "0", "00", "1", "12", "123", "6581234567", "065812345", "+6581234567", "٦٥٨١٢٣٤٥٦٧",
               "1" * 18, "1" * 19, "999123456", "800123456", "65 8123 4567"]
    for prefix in range(1, 1000):
        for national in range(20):
            samples.append(str(prefix) + "".join(rng.choice("0123456789") for _ in range(national)))
    wrong = [(digits, region(digits), _parsed_region(digits)) for digits in samples
             if region(digits) != _parsed_region(digits)]
    assert wrong == []


def test_the_bsuid_names_the_recipients_country() -> None:
    assert business_scoped_user_id("6581234567", "waba").startswith("SG.")
    assert business_scoped_user_id("14155550123", "waba").startswith("US.")
    assert business_scoped_user_id("0123", "waba").startswith("ZZ.")
