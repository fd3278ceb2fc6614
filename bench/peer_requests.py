"""The requests `make bench-peers` sends: one definition per face, used for the check and for wrk.

Keys and bodies follow the README: the demo v2 campaign key, an open-mode v1 key (`<name>_v1_<secret>`)
and the `qlara-demo` company key; the Qlara WhatsApp send uses approved template 42, which needs no
open customer-service window.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

V2_CAMPAIGN = "campaign_00000000-0000-4000-8000-000000000001"
V2_KEY = "key_test_postman_sim_demo_key_0000000001"
V1_KEY = "bench_v1_c2VjcmV0LWJlbmNoLWtleS0wMDAwMDAwMDAwMDAwMDAwMQ"
QLARA_KEY = "qlara_demo_api_key_0000000001"


@dataclass(frozen=True)
class BenchRequest:
    """One POST with its expected answer: `accepts` says whether a decoded body is a successful send."""

    name: str
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    accepts: Callable[[dict[str, Any]], bool]
    content_type: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})

    @property
    def payload(self) -> str:
        return json.dumps(self.body, separators=(",", ":"))

    def all_headers(self) -> dict[str, str]:
        return {**self.content_type, **self.headers}

    def lua(self) -> str:
        """A wrk script sending this request (no response() callback: it would slow wrk down)."""
        lines = ['wrk.method = "POST"', f"wrk.path = [[{self.path}]]"]
        lines += [f'wrk.headers["{key}"] = [[{value}]]' for key, value in self.all_headers().items()]
        lines.append(f"wrk.body = [[{self.payload}]]")
        return "\n".join(lines) + "\n"

    def write_lua(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.name}.lua"
        path.write_text(self.lua(), encoding="utf-8")
        return path

    def check(self, base_url: str) -> str:
        """Send it once; return a one-line summary, or raise RuntimeError if the answer is not a send."""
        request = urllib.request.Request(base_url + self.path, data=self.payload.encode(), method="POST",
                                         headers=self.all_headers())
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        text = raw.decode("utf-8", "replace")
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if status != self.status or not isinstance(decoded, dict) or not self.accepts(decoded):
            raise RuntimeError(f"{self.name}: expected HTTP {self.status} and a send, got {status}: {text[:300]}")
        return f"HTTP {status}, {len(raw)} bytes: {text[:110]}..."


def _v2_created(body: dict[str, Any]) -> bool:
    return str(body.get("id", "")).startswith("message_") and body.get("latestStatus") == "created"


def _v1_accepted(body: dict[str, Any]) -> bool:
    return bool(body.get("id")) and body.get("status") in {"ACCEPTED", "UNSENT"}


def _qlara_accepted(channel: str) -> Callable[[dict[str, Any]], bool]:
    def accepted(body: dict[str, Any]) -> bool:
        return bool(body.get("messageId")) and body.get("results", {}).get(channel, {}).get("accepted") is True
    return accepted


V2_SEND = BenchRequest(
    "v2_send", f"/api/v2/campaigns/{V2_CAMPAIGN}/messages",
    {"recipient": "6599999999", "language": "english", "values": {"name": "Tan", "date": "1 Dec"}},
    {"Authorization": f"Bearer {V2_KEY}"}, 201, _v2_created)
V1_EMAIL = BenchRequest(
    "v1_email", "/v1/transactional/email/send",
    {"recipient": "success@simulator.amazonses.com", "subject": "Your appointment", "body": "<p>See you on 1 May.</p>"},
    {"Authorization": f"Bearer {V1_KEY}"}, 201, _v1_accepted)
V1_SMS = BenchRequest(
    "v1_sms", "/v1/transactional/sms/send",
    {"body": "Your OTP is 123456", "recipient": "6591234567", "label": "default"},
    {"Authorization": f"Bearer {V1_KEY}"}, 201, _v1_accepted)
QLARA_WHATSAPP = BenchRequest(
    "qlara_whatsapp", "/api/message-server/whatsapp/send",
    {"destination": "+393401234567", "phoneNumberId": 5,
     "template": {"id": 42, "parameters": ["Mario", "A-1001", "TRK123"]}},
    {"X-Api-Key": QLARA_KEY}, 200, _qlara_accepted("whatsapp"))
QLARA_SMS = BenchRequest(
    "qlara_sms", "/api/message-server/sms/send",
    {"destination": "+393401234567", "sender": "DemoStore", "body": "Your order has shipped"},
    {"X-Api-Key": QLARA_KEY}, 200, _qlara_accepted("sms"))
