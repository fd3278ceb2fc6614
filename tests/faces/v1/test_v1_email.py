"""Postman v1 transactional email: send in three encodings, attachments, from-address rules,
the blacklist, field limits with their exact messages, and the SES-driven lifecycle."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import aiohttp
import pytest

from tests.conftest import Sim, SimFactory
from tests.faces.v1.client import EMAIL, call, email_body, fetch, send

VERIFIED = "notifications@agency.gov.sg"
BAD_FROM = ("Invalid 'from' email address, which must be either the default info@mail.postman.gov.sg or the "
            "user's email (which requires setup with Postman team). Contact us to learn more.")
BODY_LIMIT = "body is a required string whose size must be less than or equal to 1MB in UTF-8 encoding"


def form(fields: dict[str, str], files: dict[str, bytes] | None = None) -> aiohttp.FormData:
    data = aiohttp.FormData()
    for name, value in fields.items():
        data.add_field(name, value)
    for filename, content in (files or {}).items():
        data.add_field("attachments", io.BytesIO(content), filename=filename, content_type="application/octet-stream")
    return data


async def post(sim: Sim, **kwargs: Any) -> tuple[int, Any]:
    return await call(sim, "POST", f"{EMAIL}/send", **kwargs)


async def test_json_send_returns_201_with_the_documented_object(sim: Sim) -> None:
    body = await send(sim, EMAIL, email_body("Someone@Example.COM", reply_to=" Reply@Example.com "))
    assert body == {
        "id": "1",
        "from": "Postman <info@mail.postman.gov.sg>",
        "recipient": "someone@example.com",
        "params": {"subject": "Hello", "body": "<p>Hi there</p>", "from": "Postman <info@mail.postman.gov.sg>",
                   "reply_to": "reply@example.com"},
        "attachments_metadata": None,
        "status": "ACCEPTED",
        "error_code": None,
        "error_sub_type": None,
        "accepted_at": "2026-01-01T00:00:00.000Z",
        "sent_at": None, "delivered_at": None, "opened_at": None,
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
        "classification": None, "tag": None, "cc": [], "bcc": [],
    }


async def test_urlencoded_send_reads_text_values(sim: Sim) -> None:
    status, body = await post(sim, data=[
        ("recipient", "user@example.com"), ("subject", "Hi"), ("body", "Text"), ("classification", "for_action"),
        ("tag", "otp"), ("cc", json.dumps(["a@example.com"])), ("bcc", "b@example.com"), ("bcc", "c@example.com"),
        ("disable_tracking", "true"),
    ])
    assert status == 201, body
    assert (body["classification"], body["tag"], body["cc"], body["bcc"]) == (
        "FOR_ACTION", "otp", ["a@example.com"], ["b@example.com", "c@example.com"])
    await sim.advance(3600)
    assert (await fetch(sim, EMAIL, body["id"]))["status"] == "DELIVERED"  # tracking disabled: never OPENED


async def test_a_stringified_cc_array_is_accepted_in_a_json_body(sim: Sim) -> None:
    status, body = await post(sim, json=email_body(cc=json.dumps(["A@example.com", " b@example.com "]),
                                                   bcc='["c@example.com"]'))
    assert status == 201, body
    assert (body["cc"], body["bcc"]) == (["a@example.com", "b@example.com"], ["c@example.com"])


@pytest.mark.parametrize("name", ["cc", "bcc"])
async def test_a_form_address_that_is_not_a_stringified_array_is_refused(sim: Sim, name: str) -> None:
    fields = {"recipient": "user@example.com", "subject": "Hi", "body": "Text", name: "x@y.com"}
    assert await post(sim, data=fields) == (400, {
        "code": "api_validation",
        "message": f'"{name}" failed custom validation because {name} must be a valid array or stringified array.'})
    assert (await call(sim, "GET", EMAIL))[1]["data"] == []


async def test_multipart_send_with_attachments_from_a_verified_address(sim: Sim) -> None:
    files = {"report.pdf": b"%PDF-1.4 data", "photo.PNG": b"\x89PNG" + b"x" * 100}
    status, body = await post(sim, data=form({"recipient": "user@example.com", "subject": "Files", "body": "See",
                                              "from": f"Agency <{VERIFIED}>"}, files))
    assert status == 201, body
    assert body["from"] == f"Agency <{VERIFIED}>"
    assert body["attachments_metadata"] == [
        {"fileName": name, "fileSize": len(data), "hash": hashlib.sha256(data).hexdigest()}
        for name, data in files.items()
    ]


@pytest.mark.parametrize("data", [
    {"json": email_body(attachments=[{"filename": "a.pdf"}])},
    {"data": {"recipient": "user@example.com", "subject": "s", "body": "b", "attachments": "a.pdf"}},
])
async def test_attachments_outside_form_data_are_refused(sim: Sim, data: dict[str, Any]) -> None:
    assert await post(sim, **data) == (400, {"code": "attachment_format",
                                             "message": "Attachments must be sent via form-data"})


@pytest.mark.parametrize("sender", [None, "info@mail.postman.gov.sg", "Postman <donotreply@mail.postman.gov.sg>"])
async def test_attachments_are_not_allowed_with_the_default_from_address(sim: Sim, sender: str | None) -> None:
    fields = {"recipient": "user@example.com", "subject": "s", "body": "b"}
    if sender is not None:
        fields["from"] = sender
    status, body = await post(sim, data=form(fields, {"a.pdf": b"data"}))
    assert (status, body) == (403, {"code": "unauthorized",
                                    "message": "Attachments are not allowed for Postman default from email address"})


async def test_attachment_size_limits_are_413(make_sim: SimFactory) -> None:
    sim = await make_sim(f"v1:\n  email:\n    verified_from: [{VERIFIED}]\n"
                         "    attachment_max_bytes: 100\n    attachments_max_bytes: 150\n")
    fields = {"recipient": "user@example.com", "subject": "s", "body": "b", "from": VERIFIED}
    status, body = await post(sim, data=form(fields, {"big.pdf": b"x" * 101}))
    assert (status, body) == (413, {"code": "attachment_limit",
                                    "message": "Size of one or more attachments exceeds limit"})
    status, body = await post(sim, data=form(fields, {"a.pdf": b"x" * 100, "b.pdf": b"x" * 51}))
    assert (status, body) == (413, {"code": "attachment_limit", "message": "Cumulative attachment size exceeds limit"})
    status, body = await post(sim, data=form(fields, {"a.pdf": b"x" * 100, "b.pdf": b"x" * 50}))
    assert status == 201


async def test_the_default_attachment_limit_is_10_mib(sim: Sim) -> None:
    fields = {"recipient": "user@example.com", "subject": "s", "body": "b", "from": VERIFIED}
    status, body = await post(sim, data=form(fields, {"big.pdf": b"x" * (10 * 1024 * 1024 + 1)}))
    assert (status, body["code"]) == (413, "attachment_limit")


async def test_an_unsupported_attachment_type_is_invalid_template_and_recorded(sim: Sim) -> None:
    fields = {"recipient": "user@example.com", "subject": "s", "body": "b", "from": VERIFIED}
    status, body = await post(sim, data=form(fields, {"setup.exe": b"MZ"}))
    assert (status, body) == (400, {"code": "invalid_template", "message": (
        "Error: One or more attachments may be an unsupported file type. Please check the attached files.")})
    stored = (await call(sim, "GET", EMAIL))[1]["data"][0]
    assert (stored["status"], stored["error_code"]) == ("UNSENT", "Error 400: Unsupported file type")


@pytest.mark.parametrize("sender", [
    "info@mail.postman.gov.sg", "Postman <info@mail.postman.gov.sg>", "donotreply@mail.postman.gov.sg",
    "Agency Alerts <NOTIFICATIONS@agency.gov.sg>",
])
async def test_default_legacy_and_verified_from_addresses_are_accepted(sim: Sim, sender: str) -> None:
    body = await send(sim, EMAIL, email_body(**{"from": sender}))
    assert body["from"] == sender
    assert body["params"]["from"] == sender


@pytest.mark.parametrize(("sender", "message", "stored"), [
    ("someone@agency.gov.sg", BAD_FROM, "Invalid from address"),
    ("Pending <pending@agency.gov.sg>", "From Address has not been verified. Contact us to learn more.",
     "From Address has not been verified"),
])
async def test_other_from_addresses_are_invalid_from_address(sim: Sim, sender: str, message: str,
                                                             stored: str) -> None:
    assert await post(sim, json=email_body(**{"from": sender})) == (
        400, {"code": "invalid_from_address", "message": message})
    row = (await call(sim, "GET", EMAIL))[1]["data"][0]
    assert (row["status"], row["error_code"], row["accepted_at"]) == ("UNSENT", stored, None)


async def test_a_blacklisted_recipient_is_invalid_template_and_stays_unsent(sim: Sim) -> None:
    assert await post(sim, json=email_body("Blacklisted@postman-sim.test")) == (
        400, {"code": "invalid_template", "message": "Recipient email is blacklisted"})
    await sim.advance(3600)
    row = (await call(sim, "GET", EMAIL))[1]["data"][0]
    assert (row["status"], row["error_code"]) == ("UNSENT", "Error 400: Blacklisted recipient")


@pytest.mark.parametrize(("subject", "body"), [
    ("Hi", "<script>alert(1)</script>"),
    ("<style>p {}</style>", "Text"),
    ("Hi", "<div><!-- nothing --></div>  "),
])
async def test_subject_or_body_empty_after_sanitising_is_invalid_template(sim: Sim, subject: str, body: str) -> None:
    assert await post(sim, json=email_body(subject=subject, body=body)) == (400, {
        "code": "invalid_template",
        "message": "Message is invalid as the subject or body only contains invalid HTML tags."})
    row = (await call(sim, "GET", EMAIL))[1]["data"][0]
    assert (row["status"], row["error_code"]) == (
        "UNSENT", "Error 400: Email subject and/or body empty after removing invalid HTML tags")


@pytest.mark.parametrize("body", ["<img src='https://example.com/a.png'>", "<b>Hi</b><script>x</script>", "1 < 2"])
async def test_bodies_with_visible_content_are_sent(sim: Sim, body: str) -> None:
    assert (await post(sim, json=email_body(body=body)))[0] == 201


async def test_blacklisted_cc_and_bcc_are_dropped(sim: Sim) -> None:
    body = await send(sim, EMAIL, email_body(cc=["ok@example.com", "blacklisted@postman-sim.test"],
                                             bcc=["blacklisted@postman-sim.test"]))
    assert (body["cc"], body["bcc"]) == (["ok@example.com"], [])


async def test_cc_and_bcc_together_may_hold_49_addresses(sim: Sim) -> None:
    cc = [f"cc{i}@example.com" for i in range(25)]
    bcc = [f"bcc{i}@example.com" for i in range(24)]
    assert (await post(sim, json=email_body(cc=cc, bcc=bcc)))[0] == 201
    assert await post(sim, json=email_body(cc=cc, bcc=[*bcc, "one-more@example.com"])) == (
        400, {"code": "too_many_recipients", "message": "Maximum of 50 recipients allowed"})


async def test_body_may_be_1_mib_of_utf8_and_no_more(sim: Sim) -> None:
    async def post_large(payload: dict[str, Any]) -> tuple[int, Any]:
        stream = io.BytesIO(json.dumps(payload).encode())  # streamed: aiohttp warns about large raw bodies
        return await post(sim, data=stream, headers={"Content-Type": "application/json"})

    assert (await post_large(email_body(body="x" * 1048576)))[0] == 201
    error = (400, {"code": "api_validation", "message": BODY_LIMIT})
    assert await post_large(email_body(body="x" * 1048577)) == error
    assert await post_large(email_body(body="é" * 524289)) == error  # 2 bytes each in UTF-8
    assert await post(sim, json={"recipient": "user@example.com", "subject": "s"}) == error


async def test_tag_may_be_255_characters(sim: Sim) -> None:
    assert (await post(sim, json=email_body(tag="t" * 255)))[0] == 201
    assert await post(sim, json=email_body(tag="t" * 256)) == (
        400, {"code": "api_validation", "message": '"tag" length must be less than or equal to 255 characters long'})


@pytest.mark.parametrize(("body", "message"), [
    ({"subject": "s", "body": "b"}, '"recipient" is required'),
    ({"recipient": "not-an-email", "subject": "s", "body": "b"}, '"recipient" must be a valid email'),
    ({"recipient": 5, "subject": "s", "body": "b"}, '"recipient" must be a string'),
    ({"recipient": "user@example.com", "body": "b"}, '"subject" is required'),
    ({"recipient": "user@example.com", "subject": "", "body": "b"}, '"subject" is not allowed to be empty'),
    (email_body(**{"from": "nobody"}), '"from" must be a valid email'),
    (email_body(reply_to="nope"), '"reply_to" must be a valid email'),
    (email_body(classification="SECRET"), '"classification" must be one of [URGENT, FOR_ACTION, FOR_INFO]'),
    (email_body(tag=7), '"tag" must be a string'),
    (email_body(cc="a@example.com"),
     '"cc" failed custom validation because cc must be a valid array or stringified array.'),
    (email_body(bcc="[a@example.com"),
     '"bcc" failed custom validation because bcc must be a valid array or stringified array.'),
    (email_body(cc='"a@example.com"'), '"cc" failed custom validation because cc must be a valid stringified array'),
    (email_body(bcc='{"email": "a@example.com"}'),
     '"bcc" failed custom validation because bcc must be a valid stringified array'),
    (email_body(cc='["a@example.com", "bad"]'), '"cc" failed custom validation because cc "[1]" must be a valid email'),
    (email_body(bcc='["a@example.com", "A@example.com"]'),
     '"bcc" failed custom validation because bcc "[1]" contains a duplicate value'),
    (email_body(cc=""), '"cc" is not allowed to be empty'),
    (email_body(cc=5), '"cc" must be one of [array, string]'),
    (email_body(bcc={"a": "b@example.com"}), '"bcc" must be one of [array, string]'),
    (email_body(cc=["a@example.com", "bad"]), '"cc[1]" must be a valid email'),
    (email_body(bcc=["a@example.com", "A@example.com"]), '"bcc[1]" contains a duplicate value'),
    (email_body(disable_tracking="maybe"), '"disable_tracking" must be a boolean'),
    (email_body(priority="high"), '"priority" is not allowed'),
])
async def test_validation_messages(sim: Sim, body: dict[str, Any], message: str) -> None:
    assert await post(sim, json=body) == (400, {"code": "api_validation", "message": message})
    assert (await call(sim, "GET", EMAIL))[1]["data"] == []  # nothing stored


async def test_the_default_lifecycle_reaches_opened_with_each_timestamp(sim: Sim) -> None:
    sent = await send(sim, EMAIL, email_body())
    await sim.advance(1)
    now = await fetch(sim, EMAIL, sent["id"])
    assert (now["status"], now["sent_at"], now["delivered_at"]) == ("SENT", "2026-01-01T00:00:01.000Z", None)
    await sim.advance(2)
    now = await fetch(sim, EMAIL, sent["id"])
    assert (now["status"], now["delivered_at"], now["opened_at"]) == ("DELIVERED", "2026-01-01T00:00:03.000Z", None)
    await sim.advance(30)
    now = await fetch(sim, EMAIL, sent["id"])
    assert (now["status"], now["opened_at"], now["updated_at"]) == (
        "OPENED", "2026-01-01T00:00:33.000Z", "2026-01-01T00:00:33.000Z")
    assert (now["accepted_at"], now["error_code"], now["error_sub_type"]) == ("2026-01-01T00:00:00.000Z", None, None)


async def test_disable_tracking_means_never_opened(sim: Sim) -> None:
    sent = await send(sim, EMAIL, email_body(disable_tracking=True))
    await sim.advance(86400)
    now = await fetch(sim, EMAIL, sent["id"])
    assert (now["status"], now["opened_at"]) == ("DELIVERED", None)


@pytest.mark.parametrize(("recipient", "status", "code", "sub_type", "delivered"), [
    ("success@simulator.amazonses.com", "DELIVERED", None, None, True),
    ("success+signup@simulator.amazonses.com", "DELIVERED", None, None, True),
    ("ooto@simulator.amazonses.com", "DELIVERED", None, None, True),
    ("bounce@simulator.amazonses.com", "BOUNCED", "Hard bounce", "General", False),
    ("Bounce+x@Simulator.AmazonSES.com", "BOUNCED", "Hard bounce", "General", False),
    ("suppressionlist@simulator.amazonses.com", "BOUNCED", "Hard bounce", "Suppressed", False),
    ("complaint@simulator.amazonses.com", "COMPLAINT", "abuse", None, True),
    ("soft-bounce@postman-sim.test", "BOUNCED", "Soft bounce", "MailboxFull", False),
    ("no-such-user@postman-sim.test", "BOUNCED", "Hard bounce", "NoEmail", False),
    ("delivered-not-opened@postman-sim.test", "DELIVERED", None, None, True),
])
async def test_ses_simulator_and_named_addresses_reach_their_outcome(
        sim: Sim, recipient: str, status: str, code: str | None, sub_type: str | None, delivered: bool) -> None:
    sent = await send(sim, EMAIL, email_body(recipient))
    assert sent["status"] == "ACCEPTED"
    await sim.advance(3600)
    now = await fetch(sim, EMAIL, sent["id"])
    assert (now["status"], now["error_code"], now["error_sub_type"]) == (status, code, sub_type)
    assert now["sent_at"] == "2026-01-01T00:00:01.000Z"
    assert (now["delivered_at"] is not None) is delivered
    assert now["opened_at"] is None
