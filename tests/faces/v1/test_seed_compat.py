"""Where a seed's prose and the provider's source disagree, the source wins by default and a v1 switch
selects the seed's behaviour (docs/design.md "Seed vs source"); each switch over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Sim, SimFactory
from tests.faces.v1.client import EMAIL, GOVSG, call, email_body, fetch, send

CAMEL = "v1:\n  email:\n    error_fields: camel\n"
SEED_GOVSG = "v1:\n  govsg:\n    invalid_number_code: invalid_recipient\n"


async def bounced(sim: Sim) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Send one email, bounce it through /_sim; (the send's answer, GET one, the list's item)."""
    sent = await send(sim, EMAIL, email_body())
    forced = await sim.client.post(f"/_sim/messages/v1.email.{sent['id']}/status", json={"status": "BOUNCED"})
    assert forced.status == 200, await forced.text()
    status, listed = await call(sim, "GET", EMAIL)
    assert status == 200, listed
    return sent, await fetch(sim, EMAIL, sent["id"]), listed["data"][0]


async def test_email_error_fields_are_the_source_spelling_by_default(sim: Sim) -> None:
    views = await bounced(sim)
    for view in views:
        assert {"error_code", "error_sub_type"} <= set(view)
        assert not {"errorCode", "errorSubType"} & set(view)
    one = views[1]
    assert (one["error_code"], one["error_sub_type"]) == ("Hard bounce", "General")


async def test_email_error_fields_can_be_the_seeds_camel_case(make_sim: SimFactory) -> None:
    sim = await make_sim(CAMEL)
    sent, one, item = await bounced(sim)
    for view in (sent, one, item):
        assert {"errorCode", "errorSubType"} <= set(view)
        assert not {"error_code", "error_sub_type"} & set(view)
    assert (sent["errorCode"], sent["errorSubType"]) == (None, None)
    assert (one["errorCode"], one["errorSubType"]) == ("Hard bounce", "General")
    assert (item["errorCode"], item["errorSubType"]) == ("Hard bounce", "General")
    assert list(one)[:6] == ["id", "from", "recipient", "params", "attachments_metadata", "status"]


async def test_a_malformed_govsg_number_is_api_validation_as_the_source_says(sim: Sim) -> None:
    status, body = await call(sim, "POST", f"{GOVSG}/send", json={"recipient": "12345", "template_id": 1002})
    assert (status, body) == (400, {"code": "api_validation",
                                    "message": "recipient 12345 is not a valid phone number"})


async def test_a_malformed_govsg_number_can_be_invalid_recipient_as_the_seed_says(make_sim: SimFactory) -> None:
    sim = await make_sim(SEED_GOVSG)
    status, body = await call(sim, "POST", f"{GOVSG}/send", json={"recipient": "12345", "template_id": 1002})
    assert (status, body) == (400, {"code": "invalid_recipient",
                                    "message": "recipient 12345 is not a valid phone number"})
    ok = await send(sim, GOVSG, {"recipient": "91234567", "template_id": 1002})
    assert ok["status"] == "ACCEPTED"


@pytest.mark.parametrize(("yaml_text", "named"), [
    ("v1:\n  email:\n    error_fields: camelCase\n", "v1.email.error_fields must be snake or camel"),
    ("v1:\n  govsg:\n    invalid_number_code: 400\n", "v1.govsg.invalid_number_code must be api_validation or"),
])
async def test_a_bad_switch_is_refused_at_start_naming_the_key(make_sim: SimFactory, yaml_text: str,
                                                               named: str) -> None:
    with pytest.raises(ValueError, match=named):
        await make_sim(yaml_text)
