"""v2 retries (single and batch) and CSV batch send, with the documented codes and messages."""

from __future__ import annotations

import io

import aiohttp

from tests.conftest import DEMO_CAMPAIGN, Sim
from tests.faces.v2.helpers import auth, error_of, get_message, send_ok

BASE = f"/api/v2/campaigns/{DEMO_CAMPAIGN}"


def csv_form(text: str, field: str = "file") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field(field, io.BytesIO(text.encode()), filename="batch.csv", content_type="text/csv")
    return form


async def retry(sim: Sim, message_id: str) -> aiohttp.ClientResponse:
    return await sim.client.post(f"{BASE}/messages/{message_id}/retry", headers=auth())


async def test_retry_only_from_failure_and_at_most_three_attempts(sim: Sim) -> None:
    created = await send_ok(sim, "6511112222")
    error = await error_of(await retry(sim, created["id"]), 400)
    assert error["code"] == "message_not_found_or_retry_message_not_in_failure_status"
    assert error["message"] == "Message cannot be retried as it does not exist or it has not failed."

    for attempt in (2, 3):
        await sim.advance(60)
        response = await retry(sim, created["id"])
        assert response.status == 201
        body = await response.json()
        assert body["id"] == created["id"]
        assert body["latestStatus"] == "created"
        assert body["createdAt"] == created["createdAt"]
        message = await get_message(sim, created["id"])
        assert len(message["attempts"]) == attempt
        assert message["attempts"][0]["status"] == "created"   # newest first
        assert message["attempts"][1]["status"] == "failure"

    await sim.advance(60)
    assert (await get_message(sim, created["id"]))["latestStatus"] == "failure"
    error = await error_of(await retry(sim, created["id"]), 400)
    assert error["code"] == "too_many_message_attempts_error"
    assert error["message"] == ("Message can no longer be retried as it has reached the maximum number of "
                                "attempts of 3.")


async def test_retry_of_an_unknown_message_is_the_documented_400(sim: Sim) -> None:
    error = await error_of(await retry(sim, "message_00000000-0000-4000-8000-00000000dead"), 400)
    assert error["code"] == "message_not_found_or_retry_message_not_in_failure_status"


async def test_batch_send_creates_every_row_and_lists_them_with_message_attempts(sim: Sim) -> None:
    text = "recipient,language,name,date\n6591234567,english,Tan,1 Dec\n6522222222,chinese,Lim,2 Dec\n"
    response = await sim.client.post(f"{BASE}/batch/messages", headers=auth(), data=csv_form(text))
    assert response.status == 201
    body = await response.json()
    assert body["isValid"] is True
    batch_id = body["batchId"]

    await sim.advance(600)
    listing = await (await sim.client.get(f"{BASE}/batch/{batch_id}/messages", headers=auth())).json()
    items = {item["recipient"]: item for item in listing["data"]}
    assert set(items) == {"6591234567", "6522222222"}
    failed = items["6522222222"]
    assert failed["numAttempts"] == 1
    assert failed["messageAttempts"][0]["errorType"] == "server_error"
    assert failed["messageAttempts"][0]["errorCode"] == "server_unknown_error"
    assert failed["messageAttempts"][0]["messageId"] == failed["id"]
    assert "attempts" not in failed
    assert items["6591234567"]["latestStatus"] == "success"
    assert items["6591234567"]["messageAttempts"][0]["errorCode"] is None

    message = await get_message(sim, failed["id"])
    assert message["batches"][0]["id"] == batch_id
    assert message["batches"][0]["BatchMessage"]["messageId"] == failed["id"]


async def test_batch_retry_retries_only_failed_messages(sim: Sim) -> None:
    text = "recipient,language,name,date\n6591234567,english,Tan,1 Dec\n6511112222,english,Lim,2 Dec\n"
    batch_id = (await (await sim.client.post(f"{BASE}/batch/messages", headers=auth(),
                                             data=csv_form(text))).json())["batchId"]
    await sim.advance(1)
    error = await error_of(await sim.client.post(f"{BASE}/batch/{batch_id}/retry", headers=auth()), 400)
    assert error["code"] == "unresolved_batch_messages"
    assert error["message"] == ("Batch cannot be retried as there is at least one batch message that is still "
                                "unresolved.")

    await sim.advance(600)
    response = await sim.client.post(f"{BASE}/batch/{batch_id}/retry", headers=auth())
    assert response.status == 201
    assert await response.read() == b""
    listing = await (await sim.client.get(f"{BASE}/batch/{batch_id}/messages", headers=auth())).json()
    attempts = {item["recipient"]: item["numAttempts"] for item in listing["data"]}
    assert attempts == {"6591234567": 1, "6511112222": 2}

    await sim.advance(600)
    assert (await sim.client.post(f"{BASE}/batch/{batch_id}/retry", headers=auth())).status == 201
    await sim.advance(600)
    error = await error_of(await sim.client.post(f"{BASE}/batch/{batch_id}/retry", headers=auth()), 400)
    assert error["code"] == "no_failed_batch_messages_to_retry"


async def test_batch_retry_of_an_unknown_batch(sim: Sim) -> None:
    error = await error_of(await sim.client.post(f"{BASE}/batch/batch_nope/retry", headers=auth()), 400)
    assert error["code"] == "batch_not_found_or_is_not_retryable"
    assert error["message"] == "Batch cannot be retried as it does not exist or is currently not retryable."


async def test_any_bad_row_rejects_the_whole_upload(sim: Sim) -> None:
    text = ("recipient,language,name,date\n6591234567,english,Tan,1 Dec\n12345,english,Lim,2 Dec\n"
            "6591234568,french,Ng,3 Dec\n")
    error = await error_of(await sim.client.post(f"{BASE}/batch/messages", headers=auth(), data=csv_form(text)), 400)
    assert error["code"] == "parameter_invalid"
    rows = {(d["row"], d.get("column")) for d in error["details"]}
    assert (3, "recipient") in rows and (4, "language") in rows
    journal = await (await sim.client.get("/_sim/messages")).json()
    assert journal["total"] == 0


async def test_batch_cap_is_twenty_rows_in_the_test_environment(sim: Sim) -> None:
    header = "recipient,language,name,date\n"
    rows = "".join(f"659123{i:04d},english,N{i},1 Dec\n" for i in range(21))
    error = await error_of(await sim.client.post(f"{BASE}/batch/messages", headers=auth(),
                                                 data=csv_form(header + rows)), 400)
    assert "at most 20" in error["message"]
    twenty = "".join(f"659123{i:04d},english,N{i},1 Dec\n" for i in range(20))
    response = await sim.client.post(f"{BASE}/batch/messages", headers=auth(), data=csv_form(header + twenty))
    assert response.status == 201


async def test_batch_columns_must_match_the_template_and_the_field_must_be_file(sim: Sim) -> None:
    text = "recipient,language,name\n6591234567,english,Tan\n"
    error = await error_of(await sim.client.post(f"{BASE}/batch/messages", headers=auth(), data=csv_form(text)), 400)
    assert "template variables" in error["message"]
    good = "recipient,language,name,date\n6591234567,english,Tan,1 Dec\n"
    error = await error_of(await sim.client.post(f"{BASE}/batch/messages", headers=auth(),
                                                 data=csv_form(good, field="upload")), 400)
    assert "'file'" in error["message"]
    error = await error_of(await sim.client.post(f"{BASE}/batch/messages", headers=auth(), json={"a": 1}), 400)
    assert error["code"] == "parameter_invalid"


async def test_batch_cap_is_configurable(make_sim) -> None:
    from tests.conftest import ROOT

    text = (ROOT / "scenarios.yaml").read_text().replace("batch_max_rows: 20", "batch_max_rows: 2")
    sim = await make_sim(text)
    rows = "recipient,language,name,date\n" + "".join(f"659123{i:04d},english,N,1 Dec\n" for i in range(3))
    error = await error_of(await sim.client.post(f"{BASE}/batch/messages", headers=auth(), data=csv_form(rows)), 400)
    assert "at most 2 " in error["message"]


async def test_uploads_above_the_app_body_limit_reach_the_face_and_the_file_cap_is_enforced(make_sim) -> None:
    from tests.conftest import ROOT

    sim = await make_sim()
    padded = "recipient,language,name,date\n6591234567,english,Tan,1 Dec\n" + "\n" * 2_000_000  # > 1 MiB
    response = await sim.client.post(f"{BASE}/batch/messages", headers=auth(), data=csv_form(padded))
    assert response.status == 201
    text = (ROOT / "scenarios.yaml").read_text()
    text = text.replace("batch_max_rows: 20", "batch_max_rows: 20\n  batch_max_bytes: 999")
    small = await make_sim(text)
    error = await error_of(await small.client.post(f"{BASE}/batch/messages", headers=auth(),
                                                   data=csv_form(padded[:5000])), 400)
    assert error["message"] == "File too large, max file size is 40MB"


async def test_odd_csv_files_are_a_400_or_accepted_never_a_500(sim: Sim) -> None:
    mac = "recipient,language,name,date\r6591234567,english,Tan,1 Dec\r"  # Excel's "CSV (Macintosh)"
    assert (await sim.client.post(f"{BASE}/batch/messages", headers=auth(), data=csv_form(mac))).status == 201
    huge = "recipient,language,name,date\n6591234567,english,\"" + "a" * 200_000 + "\",1 Dec\n"
    error = await error_of(await sim.client.post(f"{BASE}/batch/messages", headers=auth(), data=csv_form(huge)), 400)
    assert "not a valid CSV" in error["message"]
    bad = "recipient,language,Name,date\n6591234567,english,Tan,\n"
    error = await error_of(await sim.client.post(f"{BASE}/batch/messages", headers=auth(), data=csv_form(bad)), 400)
    assert "Invalid header(s) Name:" in error["message"] and "[" not in error["message"]


async def test_a_broken_multipart_body_is_a_400(sim: Sim) -> None:
    response = await sim.client.post(f"{BASE}/batch/messages", data=b"--x\r\ngarbage",
                                     headers={**auth(), "Content-Type": "multipart/form-data; boundary=x"})
    assert (await error_of(response, 400))["code"] == "parameter_invalid"
