"""schemathesis hooks for the fuzz run (loaded by SCHEMATHESIS_HOOKS=tests.process.fuzz.hooks).

- Generated webhook and callback URLs would make the simulator deliver to arbitrary hosts: every
  string in a request that is an absolute URL with a host is pointed at a closed loopback port before the
  request is sent, so the run never leaves this machine. Anything else is left as generated: the server
  refuses it (no delivery), and a negative case stays negative.
- Failures listed in tests/process/test_fuzz.py's EXCEPTIONS (each with its reason) are dropped; so is the
  sink answering the very status the request asked it for (`?status=598` is its purpose), and a "negative"
  case whose every fault the server rightly reads as valid (see _not_really_negative): schemathesis
  serialises a wrongly typed query value (an object, an empty array) as `page=`.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import parse_qs, urlsplit

import schemathesis

from simulator.faces import faces
from tests.process.test_fuzz import EXCEPTIONS

NOWHERE = "http://127.0.0.1:9/fuzz"


def loopback_only(value: Any) -> Any:
    """`value` with every absolute URL replaced by NOWHERE (other values as they were)."""
    if isinstance(value, dict):
        return {k: loopback_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [loopback_only(item) for item in value]
    if isinstance(value, str) and _has_host(value):
        return NOWHERE
    return value


def _has_host(value: str) -> bool:
    try:
        return bool(urlsplit(value.strip()).hostname)
    except ValueError:
        return False


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: Any, kwargs: dict[str, Any]) -> None:
    case.body = loopback_only(case.body)
    if case.query:
        case.query = loopback_only(case.query)


def _sink_status_asked_for(case: Any, response: Any) -> bool:
    asked = str((case.query or {}).get("status", ""))
    return case.path.startswith("/_sim/sink") and asked == str(response.status_code)


EMPTY_MEANS_DEFAULT = ("/api/partner-gateway/", "/partner-gateway/", "/api/message-server/", "/_sim/")
KEY_WINS = ("/api/partner-gateway/", "/partner-gateway/", "/api/message-server/")  # Qlara: X-Api-Key over Basic
# schemathesis names one invalid component as "parameter `x` in query", several as "- query: ... /properties/x"
COMPONENTS = re.compile(r"parameter `([^`]+)` in (query|header)|- (query|header): .*?/properties/(\S+)")


def _not_really_negative(failure: Any, case: Any, response: Any) -> bool:
    """A "negative" case whose every invalid component the server rightly reads as valid: an empty first query
    value (the parameter's default, as Spring's @RequestParam(defaultValue) and /_sim read it), or a malformed
    Authorization header beside the configured X-Api-Key (Qlara's key wins over Basic, as documented)."""
    if failure.code != "ST201":
        return False
    found = [(m.group(2) or m.group(3), m.group(1) or m.group(4))
             for m in COMPONENTS.finditer(str(getattr(failure, "message", "")))]
    if not found:
        return False
    sent = parse_qs(urlsplit(str(response.request.url)).query, keep_blank_values=True)
    headers = {k.lower() for k in response.request.headers}

    def explained(where: str, name: str) -> bool:
        if where == "query":
            return case.path.startswith(EMPTY_MEANS_DEFAULT) and sent.get(name, [None])[0] == ""
        return name.lower() == "authorization" and case.path.startswith(KEY_WINS) and "x-api-key" in headers

    return all(explained(where, name) for where, name in found)


@schemathesis.hook
def filter_failure(context: schemathesis.HookContext, failure: Any, case: Any, response: Any) -> bool:
    if _sink_status_asked_for(case, response) or _not_really_negative(failure, case, response):
        return False
    # The method actually sent: the unsupported-method and Allow checks send TRACE/OPTIONS on a GET's case.
    # A face's alias (Qlara's gateway without /api) is the same operation: its exceptions are the mounted path's.
    labels = {f"{response.request.method} {path}" for path in (case.path, _mounted(case.path))}
    return not any(code == failure.code and fnmatchcase(label, pattern)
                   for pattern, code in EXCEPTIONS for label in labels)


def _mounted(path: str) -> str:
    """`path` under its face's mount when it is one of that face's aliases, else `path` itself."""
    for face in faces():
        for alias in face.aliases:
            if path.startswith(alias + "/"):
                return face.mount + path
    return path
