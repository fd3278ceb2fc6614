"""Where a webhook may point: never at the simulator's own control surface, and only at allowed hosts.

A face client with no admin rights could otherwise register `http://127.1:8080/_SIM/reset` and have
the simulator call its own control routes. A URL is refused when its host is this machine (loopback,
unspecified, the bound host, the address a request reached us on, this host's name) and its port is
one the simulator listens on (any port while none is known yet), and its path, decoded and
normalised, lies under /_sim; the built-in sink /_sim/sink is the one exception.

A URL is also refused when the HTTP client could never connect to its host (`host_problem`): a name with an
empty label (`a..b`), a label past 63 characters, a name past 253, an `xn--` label that is not IDNA.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import functools
import ipaddress
import posixpath
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from yarl import URL

CONTROL = "/_sim"
SINK = "/_sim/sink"
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})
MAX_LABEL = 63   # octets in one label of a DNS name (RFC 1035)
MAX_NAME = 253   # octets in a DNS name, without its final dot


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP a host spelling stands for, legacy IPv4 forms included (127.1, 0x7f.1, 2130706433)."""
    host = host.strip("[]").rstrip(".").lower()
    with contextlib.suppress(ValueError):
        address = ipaddress.ip_address(host.split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            return address.ipv4_mapped
        return address
    if host and all(c in "0123456789abcdefx." for c in host):
        with contextlib.suppress(OSError):
            return ipaddress.IPv4Address(socket.inet_aton(host))
    return None


def host_problem(url: str) -> str | None:
    """Why the HTTP client could not connect to the host of `url`, or None (an http(s) URL with a host is the
    caller's check). The name is taken as aiohttp takes it: yarl's IDNA encoding (and decoding: an `xn--` label
    must round-trip), then the encoding getaddrinfo applies, which refuses empty and overlong labels."""
    try:
        parsed = URL(url)
        raw, _ = parsed.raw_host, parsed.host  # .host decodes the xn-- labels: a bad one raises here
    except ValueError as exc:  # UnicodeError is a ValueError
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            host = ""
        return f"host {_shown(host)!r} is not a valid host name ({_idna_reason(exc)})"
    if not raw or _address(raw) is not None:
        return None
    shown = _shown(raw)
    name = raw[:-1] if raw.endswith(".") else raw  # one final dot is a fully qualified name
    labels = name.split(".")
    if "" in labels:
        return f"host {shown!r} is not a valid host name: a label is empty (a leading dot, or two dots in a row)"
    if any(len(label) > MAX_LABEL for label in labels):
        return f"host {shown!r} is not a valid host name: a label is longer than {MAX_LABEL} characters"
    if len(name) > MAX_NAME:
        return f"host {shown!r} is not a valid host name: it is longer than {MAX_NAME} characters"
    try:
        name.encode("idna")
    except UnicodeError as exc:
        return f"host {shown!r} is not a valid host name ({_idna_reason(exc)})"
    return None


def _shown(host: str) -> str:
    return host if len(host) <= 80 else host[:77] + "..."


def _idna_reason(exc: ValueError) -> str:
    text = str(exc)
    if "round-trip" in text or "codec failed" in text or "Invalid character" in text:
        return "an xn-- label must be the IDNA (punycode) form of a name"
    return text


def normal_host(host: str) -> str:
    """One spelling per host: lower case, no brackets, no trailing dot, IPs in canonical form."""
    address = _address(host)
    return str(address) if address is not None else host.strip("[]").rstrip(".").lower()


def control_path(path: str) -> bool:
    """Is this path (however encoded) under /_sim, other than the sink?"""
    for _ in range(5):  # %255F -> %5F -> _: decode until it stops changing
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    path = posixpath.normpath("/" + path.replace("\\", "/")).lower()
    path = "/" + path.lstrip("/")
    if path == SINK or path.startswith(SINK + "/"):
        return False
    return path == CONTROL or path.startswith(CONTROL + "/")


@functools.lru_cache(maxsize=1024)
def _split(url: str) -> tuple[str, int, bool] | None:
    """(host, port, is the path a control path) of a URL, None when it is not one; cached, as every
    delivery checks its URL again."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return parts.hostname or "", port, control_path(parts.path or "/")


@dataclass
class SelfAddress:
    """What the simulator knows of its own address: bound hosts and ports, learned at start and per request."""

    hosts: set[str] = field(default_factory=set)
    ports: set[int] = field(default_factory=set)

    def bind(self, host: str | None, port: int | None) -> None:
        if host is not None and host not in WILDCARD_HOSTS:
            self.hosts.add(normal_host(host))
        if port:
            self.ports.add(port)
        with contextlib.suppress(OSError):  # this machine's name and what it resolves to (e.g. a container IP)
            name = socket.gethostname()
            self.hosts.add(normal_host(name))
            for info in socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP):
                self.hosts.add(normal_host(str(info[4][0])))

    def learn(self, sockname: object) -> None:
        """A request's local (host, port, ...): the address a client reached us on is ours."""
        if isinstance(sockname, tuple) and len(sockname) >= 2:
            host, port = sockname[0], sockname[1]
            if isinstance(host, str) and host not in WILDCARD_HOSTS:
                self.hosts.add(normal_host(host))
            if isinstance(port, int):
                self.ports.add(port)

    def is_self_host(self, host: str) -> bool:
        name = normal_host(host)
        if name == "localhost" or name.endswith(".localhost") or name in self.hosts:
            return True
        address = _address(name)
        return address is not None and (address.is_loopback or address.is_unspecified)

    def problem(self, url: str) -> str | None:
        """Why `url` would reach the simulator's own /_sim routes, or None."""
        split = _split(url)
        if split is None:
            return None  # not a URL: the subscription parser reports that
        host, port, control = split
        if not control or not self.is_self_host(host) or (self.ports and port not in self.ports):
            return None
        return (f"{url!r} points at the simulator's own control surface {CONTROL}; webhooks may go to "
                f"{SINK} but never to other {CONTROL} routes")


def host_allowed(url: str, patterns: Iterable[str] | None) -> bool:
    """`webhooks.allow_hosts`: does the URL's host (or host:port) match one glob? None allows any."""
    if patterns is None:
        return True
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    host = normal_host(parts.hostname or "")
    names = [host] if port is None else [host, f"{host}:{port}"]
    return any(fnmatch.fnmatchcase(name, pattern.lower()) for pattern in patterns for name in names)


async def resolves_to_self(address: SelfAddress, url: str) -> bool:
    """At delivery: the literal check again (the bound port may be known by now), and for a /_sim path
    a look at what a host name resolves to (a name pointing at 127.0.0.1 is still this machine)."""
    if address.problem(url) is not None:
        return True
    split = _split(url)
    if split is None:
        return False
    host, port, control = split
    if not control or (address.ports and port not in address.ports):
        return False
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return any(address.is_self_host(str(info[4][0])) for info in infos)


def local_address(transport: object) -> object:
    """The (host, port) a request arrived on, from its transport (None when unknown)."""
    get = getattr(transport, "get_extra_info", None)
    return get("sockname") if callable(get) else None
