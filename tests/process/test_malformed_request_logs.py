"""What the real `postman-sim` process logs for requests aiohttp refuses before any route sees them (a header
with a control character, a body whose Content-Encoding does not decode): one line each, no traceback, and
never the credential the bad header carried (aiohttp's parser error quotes the whole header line)."""

from __future__ import annotations

import signal
import socket
import subprocess

from tests.conftest import DEMO_CAMPAIGN, DEMO_KEY, ROOT
from tests.process.processes import BIN, free_port, start, wait_for_banner

SECRETS = ("TOPSECRETV1KEY", "ZGVtbzpkZW1vLXBhc3N3b3Jk", "qlara_demo_api_key_0000000001", "admin-SECRET-token")


def exchange(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
        return answer


def test_refused_requests_log_one_line_without_the_credential_or_a_traceback() -> None:
    port = free_port()
    process = start([str(BIN / "postman-sim"), "serve", "--port", str(port), "--clock", "manual",
                     "--scenarios", str(ROOT / "scenarios.yaml"), "--admin-token", "admin-SECRET-token"], {})
    try:
        wait_for_banner(process)
        for header in (b"Authorization: Bearer alice_v1_TOPSECRETV1KEY\x01",
                       b"Authorization: Basic ZGVtbzpkZW1vLXBhc3N3b3Jk\x7f",
                       b"X-Api-Key: qlara_demo_api_key_0000000001\x02",
                       b"Authorization: Bearer admin-SECRET-token\x03"):
            answer = exchange(port, b"GET /v1/transactional/sms HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n\r\n")
            assert answer.startswith((b"HTTP/1.0 400", b"HTTP/1.1 400"))
        body = b"garbage"
        answer = exchange(port, f"POST /api/v2/campaigns/{DEMO_CAMPAIGN}/messages HTTP/1.1\r\nHost: x\r\n"
                                f"Authorization: Bearer {DEMO_KEY}\r\n".encode() +
                                b"Content-Type: application/json\r\nContent-Encoding: deflate\r\n"
                                b"Connection: close\r\nContent-Length: 7\r\n\r\n" + body)
        assert answer.startswith(b"HTTP/1.1 400")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
    for secret in SECRETS:
        assert secret not in stderr
    assert "Traceback" not in stderr
    refused = [line for line in stderr.splitlines() if "malformed request" in line]
    assert len(refused) == 5, stderr
    assert all(" WARNING aiohttp.server " in line for line in refused)
