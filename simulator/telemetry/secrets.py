"""Masking of credentials before anything reaches a log line."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

# Headers that carry credentials on one face or another; their values are never logged whole.
SECRET_HEADERS = ("Authorization", "X-Api-Key", "Api-Key", "X-Auth-Token", "Proxy-Authorization")
_SECRET_QUERY = re.compile(r"(key|token|secret|signature|password)", re.IGNORECASE)
_KEY_LIKE = re.compile(r"\bkey_[A-Za-z0-9_\-]{4,}")
# A Postman v1 API key, which is also its tenant: <name>_<version>_<secret>, e.g. qa_v1_c2VjcmV0.
_V1_KEY = re.compile(r"^([^_\s]+)_(v\d+)_\S+$")
# A URL's authority up to its last '@' (a password may hold one): scheme://userinfo@
_URL_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#\s\"'<>\\]*)@")
# A credential-like query parameter's value in a URL: ?token=..., &api_key=...
_URL_SECRET_PARAM = re.compile(r"([?&][^=&#\s\"'<>]*(?:key|token|secret|signature|password)[^=&#\s\"'<>]*=)"
                               r"([^&#\s\"'<>\\]+)", re.IGNORECASE)


def mask(secret: str) -> str:
    """Keep just enough to tell two credentials apart: 'key_test_abc...0001' -> 'key_****0001'."""
    if len(secret) <= 8:
        return "****"
    return f"{secret[:4]}****{secret[-4:]}"


def mask_tenant(tenant: str | None) -> str | None:
    """A tenant as it may be shown (logs, webhooks, the dashboard): a v1 tenant is its API key, so only the
    key's name part stays ('qa_v1_c2VjcmV0' -> 'qa_v1_***'); other tenants (v2 campaign ids, Qlara
    companies) are names, not secrets, and stay as they are."""
    if tenant is None:
        return None
    found = _V1_KEY.match(tenant)
    return f"{found.group(1)}_{found.group(2)}_***" if found else tenant


def mask_credential(header_value: str) -> str:
    """'Bearer key_x...' -> 'Bearer key_****1234'; 'Basic abc==' -> 'Basic ****'."""
    scheme, _, value = header_value.partition(" ")
    if not value:
        return mask(scheme)
    if scheme.lower() == "basic":
        return f"{scheme} ****"  # base64 of user:password: any slice of it reveals part of the password
    return f"{scheme} {mask(value)}"


def credential(headers: Mapping[str, str]) -> str | None:
    """The request's credential, masked, or None when it sent none."""
    for name in SECRET_HEADERS:
        value = headers.get(name)
        if value:
            return f"{name}: {mask_credential(value)}"
    return None


def masked_query(query: Mapping[str, str]) -> str:
    """The query string with the values of credential-like parameters masked."""
    return "&".join(f"{k}={mask(v) if _SECRET_QUERY.search(k) else v}" for k, v in query.items())


@functools.lru_cache(maxsize=256)  # a delivery log lists the same few URLs thousands of times
def masked_url(url: str) -> str:
    """A URL as it may be shown: the userinfo's password as *** ('https://user:***@host/...') and the values of
    credential-like query parameters masked ('?token=tok_****2345'); the rest as given. Never raises."""
    return _masked_urls(url) if "://" in url else url


def _masked_urls(text: str) -> str:
    """Every URL in `text`, as masked_url shows it."""
    def userinfo(found: re.Match[str]) -> str:
        user, colon, _ = found.group(2).partition(":")
        return f"{found.group(1)}{user}{':***' if colon else ''}@"

    text = _URL_USERINFO.sub(userinfo, text)
    return _URL_SECRET_PARAM.sub(lambda m: m.group(1) + mask(m.group(2)), text)


def scrub(text: str) -> str:
    """Mask anything in free text that looks like an API key, or a URL's password or credential parameters."""
    if "://" in text:  # substring tests are cheaper than the regexes (every log field)
        text = _masked_urls(text)
    if "key_" not in text:
        return text
    return _KEY_LIKE.sub(lambda m: mask(m.group(0)), text)


_HEADER_LINE = re.compile(r"(?i)\b(authorization|proxy-authorization|x-api-key|api-key|x-auth-token|cookie)"
                          r"(\s*:\s*)[^\r\n'\"]*")


def scrub_quoted_headers(text: str) -> str:
    """`scrub`, and the value of every credential header quoted in `text` masked whole: for text that may
    quote raw request headers (an HTTP parser's error names the header line it refused)."""
    return scrub(_HEADER_LINE.sub(lambda m: f"{m.group(1)}{m.group(2)}****", text))


def masked_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Every header, credentials masked as `credential` masks them (and any header named like a secret)."""
    secret = {name.lower() for name in SECRET_HEADERS} | {"cookie"}
    return {name: mask_credential(value) if name.lower() in secret or _SECRET_QUERY.search(name) else scrub(value)
            for name, value in headers.items()}


def masked_json(value: Any) -> Any:
    """A parsed JSON body with the values of credential-like keys masked and key-like strings scrubbed."""
    if isinstance(value, dict):
        return {k: (mask(str(v)) if _SECRET_QUERY.search(str(k)) and v is not None else masked_json(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [masked_json(item) for item in value]
    return scrub(value) if isinstance(value, str) else value
