"""schemathesis hooks for the fuzz run (loaded by SCHEMATHESIS_HOOKS=tests.process.fuzz.hooks).

- Generated webhook and callback URLs would make the simulator deliver to arbitrary hosts: every
  string in a request that looks like a URL, or sits under a key naming one, is pointed at a closed
  loopback port before the request is sent, so the run never leaves this machine.
- Failures listed in tests/process/test_fuzz.py's EXCEPTIONS (each with its reason) are dropped; so is the
  sink answering the very status the request asked it for (`?status=598` is its purpose).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

import schemathesis

from tests.process.test_fuzz import EXCEPTIONS

NOWHERE = "http://127.0.0.1:9/fuzz"


def loopback_only(value: Any, key: str = "") -> Any:
    """`value` with every URL-ish string replaced by NOWHERE (other values as they were)."""
    if isinstance(value, dict):
        return {k: loopback_only(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [loopback_only(item, key) for item in value]
    if isinstance(value, str) and ("url" in key.lower() or "://" in value or value.startswith("//")):
        return NOWHERE
    return value


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: Any, kwargs: dict[str, Any]) -> None:
    case.body = loopback_only(case.body)
    if case.query:
        case.query = loopback_only(case.query)


def _sink_status_asked_for(case: Any, response: Any) -> bool:
    asked = str((case.query or {}).get("status", ""))
    return case.path.startswith("/_sim/sink") and asked == str(response.status_code)


@schemathesis.hook
def filter_failure(context: schemathesis.HookContext, failure: Any, case: Any, response: Any) -> bool:
    if _sink_status_asked_for(case, response):
        return False
    # The method actually sent: the unsupported-method and Allow checks send TRACE/OPTIONS on a GET's case.
    label = f"{response.request.method} {case.path}"
    return not any(code == failure.code and fnmatchcase(label, pattern) for pattern, code in EXCEPTIONS)
