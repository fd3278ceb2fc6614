"""One bounded HTTP POST to a receiver, classified the way the delivery log reports it.

3xx is a failure and is never followed; an answer cut off mid-body is a failure (payload_error). The
attempt is bounded by the subscription's timeout (real seconds: the receiver is real even when the
simulated clock is manual).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from simulator.webhooks.records import BODY_EXCERPT


@dataclass(frozen=True, slots=True)
class HttpResult:
    status: int | None
    body: str | None
    retry_after: str | None
    latency_ms: float
    error_class: str | None
    error: str | None


MAX_BODY = 1 << 20  # read (and drop) at most this much of an answer: enough to see it end


async def _excerpt(response: aiohttp.ClientResponse) -> str:
    """The first BODY_EXCERPT bytes; the rest is read too, so an answer cut off mid-body raises
    (aiohttp.ClientPayloadError) and counts as a failed attempt, not as delivered."""
    data = b""
    total = 0
    while total < MAX_BODY:
        chunk = await response.content.read(65536)
        if not chunk:
            break
        total += len(chunk)
        if len(data) < BODY_EXCERPT:
            data += chunk[:BODY_EXCERPT - len(data)]
    return data.decode("utf-8", "replace")


async def request(session: aiohttp.ClientSession, method: str, url: str, *, timeout: float,
                  headers: dict[str, str] | None = None, body: bytes | None = None) -> HttpResult:
    loop = asyncio.get_running_loop()
    started = loop.time()
    status = None
    text = None
    retry_after = None
    error_class = None
    error = None
    try:
        async with session.request(method, url, data=body, headers=headers, allow_redirects=False,
                                   timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            status = response.status
            retry_after = response.headers.get("Retry-After")
            text = await _excerpt(response)
    except TimeoutError:
        error_class, error = "timeout", f"no response within {timeout:g} s"
    except aiohttp.ClientConnectorError as exc:
        error_class, error = "connection_refused", str(exc)
    except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError) as exc:
        error_class, error = "payload_error", f"the answer was cut off: {type(exc).__name__}: {exc}"
    except aiohttp.ClientError as exc:
        error_class, error = "connection_error", f"{type(exc).__name__}: {exc}"
    latency = round((loop.time() - started) * 1000, 3)
    return HttpResult(status=status, body=text, retry_after=retry_after, latency_ms=latency,
                      error_class=error_class, error=error)


def classify(status: int, only_200: bool) -> str | None:
    """None when the status means delivered; else the log's error class."""
    if status == 200 or (200 <= status < 300 and not only_200):
        return None
    if 200 <= status < 300:
        return "http_not_200"
    if status == 410:
        return "gone"
    return f"http_{status // 100}xx"
