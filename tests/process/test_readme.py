"""The README and docs/ read as written: the pytest example runs through pytester, the curl block against a real
server; every relative link and anchor resolves and every code fence is closed."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.process.processes import free_port, start, wait_for_banner

pytest_plugins = ["pytester"]

README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))

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


def section(document: str, title: str) -> str:
    """One `## title` section of README.md or a docs/ file, up to the next `## `."""
    text = (ROOT / document).read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else None]


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def test_the_pytest_example_passes(pytester: pytest.Pytester) -> None:
    example = code_blocks(section("docs/pytest.md", "Using it from pytest"), "python")[0]
    shutil.copy(ROOT / "scenarios.yaml", pytester.path / "scenarios.yaml")
    pytester.makepyfile(requests=REQUESTS_SHIM)
    pytester.makepyfile(test_example=example)
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n"
                     "filterwarnings =\n    error\n    ignore::pytest.PytestAssertRewriteWarning\n")
    pytester.runpytest("--strict-markers").assert_outcomes(passed=2)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_block_works_against_a_real_server() -> None:
    commands = code_blocks(section("docs/other-languages.md", "Using it from another language (curl)"), "sh")[0]
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


@pytest.mark.parametrize("document", [README, *DOCS], ids=lambda p: p.name)
def test_every_code_fence_is_closed(document: Path) -> None:
    fences = [line.strip() for line in document.read_text(encoding="utf-8").splitlines()
              if line.lstrip().startswith("```")]
    assert len(fences) % 2 == 0
    # an opening fence names its language; a closing one is bare
    assert all(f != "```" for f in fences[0::2]) and all(f == "```" for f in fences[1::2])


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation but - and _ dropped, spaces to -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(document: Path) -> set[str]:
    """Every heading's slug, numbered as GitHub numbers repeats (-1, -2, ...); headings in code fences do not count."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for line in outside_fences(document.read_text(encoding="utf-8")).splitlines():
        if match := re.match(r"#{1,6} (.+)$", line):
            slug = github_slug(match.group(1))
            found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
            seen[slug] = seen.get(slug, 0) + 1
    return found


def outside_fences(text: str) -> str:
    return re.sub(r"^\s*```.*?^\s*```$", "", text, flags=re.DOTALL | re.MULTILINE)


def prose(text: str) -> str:
    """The text outside code fences and inline code, where links are links."""
    return re.sub(r"`[^`\n]*`", "", outside_fences(text))


def test_github_slugs_as_github_makes_them() -> None:
    assert github_slug("Test numbers (from `scenarios.yaml`)") == "test-numbers-from-scenariosyaml"
    assert github_slug("Email: `/v1/transactional/email`") == "email-v1transactionalemail"
    assert github_slug("QA: test numbers and scenario packs") == "qa-test-numbers-and-scenario-packs"


@pytest.mark.parametrize("document", [README, *DOCS], ids=lambda p: p.name)
def test_every_relative_link_and_anchor_resolves(document: Path) -> None:
    links = re.findall(r"\]\(([^)\s]+)\)", prose(document.read_text(encoding="utf-8")))
    relative = [link for link in links if not re.match(r"[a-z][a-z0-9+.-]*:", link)]
    assert relative, f"{document.name} links nowhere"
    broken = []
    for link in relative:
        path, _, anchor = link.partition("#")
        target = (document.parent / path).resolve() if path else document
        if not target.exists():
            broken.append(f"{link}: no such file")
        elif anchor and anchor not in anchors(target):
            broken.append(f"{link}: no heading with that anchor in {target.name}")
    assert broken == []


def test_the_readme_stays_short_and_links_every_doc() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) < 350
    assert "make run" in text and "make test" in text
    assert all(f"docs/{doc.name}" in text for doc in DOCS)
