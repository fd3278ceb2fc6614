"""`extends:` on a shared simulator: confined to the scenarios file's folder, regular files only, capped,
read off the event loop, and no error echoes a file's content or tells whether a path exists.

Each test talks to a real `postman-sim serve` process, so a reload that blocks the server shows up as
a client timeout here instead of hanging the test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.process.processes import free_port, start, wait_for_banner

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk_live_do_not_echo_1234"
BASE = "timelines: {quick: [{after: 1, status: success}]}\ndefaults: {v2.sms: quick}\n"


class Server:
    def __init__(self, process: subprocess.Popen[str], port: int, folder: Path) -> None:
        self.process, self.url, self.folder = process, f"http://127.0.0.1:{port}", folder

    def call(self, method: str, path: str, body: bytes | None = None, timeout: float = 5.0) -> tuple[int, Any]:
        request = urllib.request.Request(self.url + path, data=body, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def reload(self, text: str) -> tuple[int, Any, float]:
        began = time.monotonic()
        status, answer = self.call("POST", "/_sim/scenarios/reload", text.encode())
        return status, answer, time.monotonic() - began

    def healthy(self) -> bool:
        return self.call("GET", "/_sim/health", timeout=2.0)[0] == 200


def serve(scenarios: Path) -> Iterator[Server]:
    port = free_port()
    process = start([sys.executable, "-m", "simulator", "serve", "--clock", "manual", "--port", str(port),
                     "--scenarios", str(scenarios)], {})
    try:
        wait_for_banner(process)
        yield Server(process, port, scenarios.parent)
    finally:
        process.kill()  # a test that hung the server cannot be asked to stop
        process.communicate()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("scenarios")
    (folder / "base.yaml").write_text(BASE, encoding="utf-8")
    (folder / "scenarios.yaml").write_text("extends: default\n", encoding="utf-8")
    yield from serve(folder / "scenarios.yaml")


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A readable file outside the scenarios folder, shaped so a YAML parser would quote it back."""
    path = tmp_path / "app.env"
    path.write_text(f"API_KEY: {SECRET}\n  broken: [\n", encoding="utf-8")
    return path


def rejected(server: Server, text: str) -> str:
    """Reload `text`: a fast 422 while the server keeps answering; the message, checked against lastError."""
    status, answer, took = server.reload(text)
    assert status == 422, answer
    assert took < 3.0
    assert server.healthy()
    message: str = answer["error"]["message"]
    assert server.call("GET", "/_sim/scenarios")[1]["lastError"]["problems"] == [message]
    return message


def test_extends_dev_zero_is_a_fast_422_and_the_server_keeps_answering(server: Server) -> None:
    message = rejected(server, "extends: /dev/zero\n")
    assert message.startswith("line 1, column 10: extends: cannot read '/dev/zero':")


def test_a_fifo_in_the_folder_is_refused_without_blocking(server: Server) -> None:
    os.mkfifo(server.folder / "pipe.yaml")
    message = rejected(server, "extends: pipe.yaml\n")
    assert "cannot read 'pipe.yaml': it is not a regular file" in message


def test_a_file_outside_the_folder_is_never_echoed_and_reads_like_a_missing_one(
        server: Server, secret_file: Path) -> None:
    outside = rejected(server, f"extends: {secret_file}\n")
    missing = rejected(server, f"extends: {secret_file.parent / 'nothing-here.env'}\n")
    assert SECRET not in outside and "API_KEY" not in outside
    assert outside.replace(str(secret_file), "X") == missing.replace(str(secret_file.parent / "nothing-here.env"), "X")
    inside_missing = rejected(server, "extends: nothing-here.yaml\n")
    assert inside_missing.replace("nothing-here.yaml", "X") == missing.replace(
        str(secret_file.parent / "nothing-here.env"), "X")
    dotdot = rejected(server, f"extends: ../{secret_file.parent.name}/{secret_file.name}\n")
    assert SECRET not in dotdot


def test_a_symlink_out_of_the_folder_is_refused(server: Server, secret_file: Path) -> None:
    (server.folder / "link.yaml").symlink_to(secret_file)
    message = rejected(server, "extends: link.yaml\n")
    assert "cannot read 'link.yaml': there is no such file in the folder" in message
    assert SECRET not in message and str(secret_file) not in message


def test_a_broken_file_in_the_folder_is_named_with_line_and_column_not_quoted(server: Server) -> None:
    (server.folder / "broken.yaml").write_text(f"rules:\n  - *{SECRET}\n", encoding="utf-8")
    message = rejected(server, "# a comment first\nextends: broken.yaml\n")
    assert message.startswith("line 2, column 10: extends: cannot read 'broken.yaml': line 2, column 5: "
                              "not valid YAML"), message
    assert SECRET not in message


def test_an_extended_file_over_the_cap_is_refused_unread(server: Server) -> None:
    (server.folder / "big.yaml").write_text("# x\n" * (300 * 1024), encoding="utf-8")
    assert "cannot read 'big.yaml': it is over the 1 MiB limit" in rejected(server, "extends: big.yaml\n")


def test_a_reload_body_over_the_cap_is_a_413(server: Server) -> None:
    status, answer, _ = server.reload("#" * (1024 * 1024 + 1))
    assert status == 413 and answer["error"]["code"] == "too_large"
    assert server.healthy()


def test_extends_default_and_a_file_in_the_folder_still_work(server: Server) -> None:
    status, answer, _ = server.reload("extends: base.yaml\n")
    assert status == 200, answer
    assert answer["defaults"] == {"v2.sms": "success after 1s"}
    status, answer, _ = server.reload("extends: default\nrules: []\n")
    assert status == 200, answer
    assert len(answer["defaults"]) > 1 and answer["rules"]


def test_a_pack_served_from_scenarios_reloads_over_the_bundled_default() -> None:
    for server in serve(ROOT / "scenarios" / "peak-hour-slow.yaml"):
        status, answer = server.call("POST", "/_sim/scenarios/reload")
        assert status == 200, answer
        assert answer["reloads"] == 1 and answer["lastError"] is None
        status, answer, _ = server.reload("extends: default\n")
        assert status == 200, answer


def test_a_chunked_reload_body_over_the_cap_is_a_413_too(server: Server) -> None:
    chunks = (b"#" * 65536 for _ in range(17))  # 1 MiB + 64 KiB, no Content-Length
    request = urllib.request.Request(server.url + "/_sim/scenarios/reload", data=chunks, method="POST",
                                     headers={"Transfer-Encoding": "chunked"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    with caught.value as answer:
        assert answer.code == 413 and json.loads(answer.read())["error"]["code"] == "too_large"
    assert server.healthy()
