"""Helpers for the scenario-language tests: a v2 campaign block to prepend, and journal readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import ROOT, Sim

PACKS = sorted((ROOT / "scenarios").glob("*.yaml"))

# The demo campaign of the default file, so tests can send with tests.faces.v2.helpers.send.
V2_CAMPAIGN = """
version: 1
v2:
  rate_limit: 0
  campaigns:
    - id: campaign_00000000-0000-4000-8000-000000000001
      keys: [key_test_postman_sim_demo_key_0000000001]
      templates:
        english: "Dear {{name}}, your appointment is on {{date}}."
"""

DELIVERED = """
    - {after: 1, status: enqueued}
    - {after: 1, status: sending}
    - {after: 1, status: sent}
    - {after: 1, status: sent_to_telco}
    - {after: 1, status: success}
"""


def with_campaign(body: str) -> str:
    return V2_CAMPAIGN + body


def pack(name: str) -> Path:
    return ROOT / "scenarios" / name


async def journal(sim: Sim, message_id: str) -> dict[str, Any]:
    response = await sim.client.get(f"/_sim/messages/{message_id}")
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def statuses(sim: Sim, message_id: str, attempt: int = -1) -> list[str]:
    return [h["status"] for h in (await journal(sim, message_id))["attempts"][attempt]["history"]]


def history(sim: Sim, message_id: str) -> list[tuple[str, float]]:
    """(status, seconds after acceptance) of the message's latest attempt, from the engine."""
    message = sim.engine.store.get(message_id)
    assert message is not None
    attempt = message.attempt
    return [(change.status, round(change.at - attempt.created_at, 6)) for change in attempt.history]
