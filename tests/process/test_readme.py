"""The README's examples run as written: the pytest example through pytester, the curl block against a real server."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.process.processes import free_port, start, wait_for_banner

pytest_plugins = ["pytester"]

README = (ROOT / "README.md").read_text(encoding="utf-8")

# The pytest example's only third-party import, re-created with urllib so the example runs unchanged.
REQUESTS_SHIM = '''
import json as _json
import urllib.request

class Response:
    def __init__(self, raw):
        self._raw = raw
    def json(self):
        return _json.loads(self._raw)

def post(url, headers=None, json=None):
    request = urllib.request.Request(url, data=_json.dumps(json).encode(), method="POST",
                                     headers={**(headers or {}), "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return Response(response.read())
'''


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_the_pytest_example_passes(pytester: pytest.Pytester) -> None:
    example = code_blocks(section("Using it from pytest"), "python")[0]
    shutil.copy(ROOT / "scenarios.yaml", pytester.path / "scenarios.yaml")
    pytester.makepyfile(requests=REQUESTS_SHIM)
    pytester.makepyfile(test_example=example)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n"
                     "filterwarnings =\n    error\n    ignore::pytest.PytestAssertRewriteWarning\n")
    pytester.runpytest("--strict-markers").assert_outcomes(passed=2)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_block_works_against_a_real_server() -> None:
    commands = code_blocks(section("Using it from another language (curl)"), "sh")[0]
    lines = [line for line in commands.replace("\\\n", " ").splitlines() if line.strip() and not line.startswith("#")]
    port = free_port()
    process = start([sys.executable, "-m", "simulator", "serve", "--clock", "manual",
                     "--scenarios", str(ROOT / "scenarios.yaml")], {"POSTMAN_SIM_PORT": str(port)})
    wait_for_banner(process)
    try:
        outputs: list[str] = []
        message_id = ""
        variables = [v for v in lines if re.match(r"^[A-Z]+=", v) and not v.startswith("BASE=")]
        for line in lines:
            script = "\n".join([*variables, f"BASE=http://127.0.0.1:{port}",
                                 line.replace("MESSAGE_ID", message_id)])
            result = subprocess.run(["bash", "-euc", script], capture_output=True, text=True, timeout=20)
            assert result.returncode == 0, (line, result.stderr)
            outputs.append(result.stdout)
            if not message_id and '"latestStatus"' in result.stdout:
                message_id = json.loads(result.stdout)["id"]
        sent, advanced, journal, forced, reset, metrics = [o for o in outputs if o]
        assert json.loads(sent)["latestStatus"] == "created"
        assert json.loads(advanced)["ran"] > 0
        assert [m["id"] for m in json.loads(journal)["data"]] == [message_id]
        assert json.loads(forced)["attempts"][0]["history"][-1]["forced"] is True
        assert json.loads(reset)["removed"] == 1
        assert 'postman_sim_requests_total{code="201",face="v2"} 1.0' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=5)
        process.communicate()


def test_every_code_fence_is_closed() -> None:
    fences = [line for line in README.splitlines() if line.startswith("```")]
    assert len(fences) % 2 == 0
    # an opening fence names its language; a closing one is bare
    assert all(f != "```" for f in fences[0::2]) and all(f == "```" for f in fences[1::2])
