"""Fetch an article URL without letting it reach inside our network (SSRF-safe).

A URL is user input that makes *our* server open a connection, so every hop is vetted:

* only ``http``/``https``;
* the host is resolved here, and every address must be public (no loopback, private,
  link-local, CGNAT, multicast, reserved, unspecified, cloud metadata, IPv4-mapped or
  NAT64/6to4/Teredo IPv6); odd IPv4 spellings (``2130706433``, ``0177.0.0.1``,
  ``0x7f.1``) are refused outright, because parsers disagree about what they mean;
* the connection goes to the vetted address itself (``Host`` header and TLS SNI keep the
  name), so a second DNS answer cannot swap in an internal address (DNS rebinding);
* redirects are followed by hand, at most :data:`MAX_REDIRECTS`, each hop vetted again;
* per-read timeouts plus a total deadline, and the body is streamed under a size cap.

Hosts in ``settings.fetch_allow_hosts`` skip the address checks (tests, intranet CMS).
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import httpx

from vorlesen.config import Settings
from vorlesen.errors import FetchError, UnsupportedContentError

MAX_REDIRECTS = 5
"""Hops followed before giving up; browsers allow 20, articles need one or two."""

TOTAL_DEADLINE_FACTOR = 3.0
"""The whole fetch (all hops, whole body) may take this many ``fetch_timeout``s: a server
dripping one byte per read timeout would otherwise hold a worker forever."""

_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})

_ALLOWED_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "text/plain",
        "text/markdown",
        "text/x-markdown",
        "application/json",
        "application/ld+json",
        "text/xml",
        "application/xml",
        "application/ssml+xml",
    }
)

_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "100.64.0.0/10",  # carrier-grade NAT
        "169.254.169.254/32",  # cloud metadata (also link-local, listed for clarity)
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "64:ff9b::/96",  # NAT64: embeds an IPv4 address we cannot vet
        "64:ff9b:1::/48",  # local-use NAT64
        "2002::/16",  # 6to4
        "2001::/32",  # Teredo
    )
)

_NUMERIC_HOST = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?", re.I)
_CANONICAL_IPV4 = re.compile(
    r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
)


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched response body and where it finally came from."""

    data: bytes
    content_type: str | None
    url: str
    """The final URL after redirects."""
    status: int = 200
    """200, or 304 when a conditional GET found the resource unchanged (``data`` empty)."""
    etag: str | None = None
    last_modified: str | None = None
    """The validators to send as ``If-None-Match``/``If-Modified-Since`` next time."""


def is_blocked_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for any address that is not plainly public on the internet."""
    if isinstance(ip, ipaddress.IPv6Address) and (
        ip.ipv4_mapped is not None or ip.sixtofour is not None or ip.teredo is not None
    ):
        return True
    if any(ip in net for net in _BLOCKED_NETWORKS if net.version == ip.version):
        return True
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _blocked(message: str) -> FetchError:
    return FetchError(message, reason="ssrf_blocked")


def _split(url: str) -> tuple[str, str, int]:
    """Scheme, host (lower case, no brackets) and port of ``url``, refusing other schemes."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"The URL {url!r} is not valid: {exc}.", reason="bad_url") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(
            f"Only http and https URLs can be fetched, not {scheme or 'scheme-less'} URLs.",
            reason="scheme_not_allowed",
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise FetchError(f"The URL {url!r} has no host.", reason="bad_url")
    return scheme, host, port or (443 if scheme == "https" else 80)


def _allowed(host: str, settings: Settings) -> bool:
    allow = {h.strip().lower().strip("[]") for h in settings.fetch_allow_hosts}
    return host in allow or host.rstrip(".") in allow


def vet_url(url: str, settings: Settings) -> str:
    """Check ``url`` and return the IP address to connect to; raise :class:`FetchError`."""
    _scheme, host, port = _split(url)
    allowed = _allowed(host, settings)
    if _NUMERIC_HOST.fullmatch(host) and not _CANONICAL_IPV4.fullmatch(host) and not allowed:
        raise _blocked(f"The host {host!r} is an unusual spelling of an IP address; it is refused.")
    name = host.rstrip(".")
    if (name == "localhost" or name.endswith(".localhost")) and not allowed:
        # RFC 6761: these names are loopback wherever they resolve; refuse them by name, so
        # the answer does not depend on the resolver ("localhost." is not in every hosts file).
        raise _blocked(f"The host {host!r} is this machine; vorlesen does not fetch from it.")
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            raise FetchError(
                f"The host {host!r} could not be resolved.", reason="unreachable"
            ) from exc
        addresses = []
        for info in infos:
            raw = info[4][0]
            assert isinstance(raw, str)
            addr = ipaddress.ip_address(raw.split("%", 1)[0])
            if addr not in addresses:
                addresses.append(addr)
        if not addresses:
            raise FetchError(f"The host {host!r} has no address.", reason="unreachable")
    if not allowed:
        for addr in addresses:
            if is_blocked_address(addr):
                raise _blocked(
                    f"The host {host!r} points to {addr}, a private or reserved address; "
                    "vorlesen does not fetch from internal networks."
                )
    return str(addresses[0])


def _check_content_type(content_type: str | None, accept: Collection[str] | None) -> None:
    if not content_type:
        return
    mime = content_type.split(";", 1)[0].strip().lower()
    if accept is not None:
        if mime in accept:
            return
        raise UnsupportedContentError(
            f"The URL returned {mime}, not one of {', '.join(accept)}.",
            reason="unsupported_content_type",
        )
    if mime in _ALLOWED_TYPES or mime.endswith(("+xml", "+json")):
        return
    raise UnsupportedContentError(
        f"The URL returned {mime}, which is not an article format vorlesen can read "
        "(HTML, text, Markdown, JSON or XML).",
        reason="unsupported_content_type",
    )


def _read_body(response: httpx.Response, limit: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise UnsupportedContentError(
            f"The article is {int(declared)} bytes, more than the limit of {limit} bytes.",
            reason="too_large",
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            raise UnsupportedContentError(
                f"The article is larger than the limit of {limit} bytes.", reason="too_large"
            )
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise FetchError("Fetching the article took too long.", reason="timeout")
    return b"".join(chunks)


def _redirect_target(base: httpx.URL, location: str) -> str:
    """The absolute URL a ``Location`` header points to; refuse what cannot be one."""
    try:
        return str(base.join(location))
    except httpx.InvalidURL as exc:
        _split(location)  # names a forbidden scheme ("data:…", "file:…") precisely
        raise FetchError(
            f"The server redirected to an invalid URL {location!r}.", reason="bad_url"
        ) from exc


class _Watchdog:
    """Cuts the connection at the total deadline.

    httpx only has per-operation timeouts: a server that trickles its status line or
    headers one byte per read timeout (slowloris) would hold the worker forever, and the
    body loop's deadline check is never reached. httpx's ``trace`` extension reports each
    new TCP socket; at the deadline a timer shuts it down, which wakes the blocked read.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sockets.append(sock)
                if self.fired:
                    self._cut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            for sock in self._sockets:
                self._cut(sock)

    @staticmethod
    def _cut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):  # already closed: nothing left to cut
            sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self._timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()


def fetch(
    url: str,
    *,
    settings: Settings,
    accept: Collection[str] | None = None,
    max_bytes: int | None = None,
    conditional: tuple[str | None, str | None] = (None, None),
) -> Fetched:
    """GET ``url`` safely; see the module docstring for what is refused and why.

    ``accept``: the only content types taken (default: the article formats);
    ``max_bytes``: the size cap (default ``settings.max_input_bytes``);
    ``conditional``: an ETag and a Last-Modified from the last fetch, sent as
    ``If-None-Match``/``If-Modified-Since`` (a 304 comes back with ``status=304``).

    Raises :class:`FetchError` (reasons ``scheme_not_allowed``, ``ssrf_blocked``,
    ``timeout``, ``http_status``, ``unreachable``, ``too_many_redirects``, ``bad_url``) or
    :class:`UnsupportedContentError` (``unsupported_content_type``, ``too_large``).
    """
    deadline = time.monotonic() + settings.fetch_timeout * TOTAL_DEADLINE_FACTOR
    current = url.strip()
    headers = {
        "User-Agent": settings.user_agent,
        "Accept": ",".join(accept)
        if accept is not None
        else "text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.8,*/*;q=0.1",
        "Accept-Language": "de,en;q=0.5",
    }
    etag, last_modified = conditional
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    watchdog = _Watchdog(deadline)
    # trust_env=False: an environment proxy would connect by name and undo the pinning.
    with httpx.Client(follow_redirects=False, trust_env=False) as client, watchdog:
        for _hop in range(MAX_REDIRECTS + 1):
            ip = vet_url(current, settings)
            try:
                target = httpx.URL(current)
            except httpx.InvalidURL as exc:
                raise FetchError(f"The URL {current!r} is not valid.", reason="bad_url") from exc
            host_header = target.netloc.decode("ascii").rsplit("@", 1)[-1]
            pinned = target.copy_with(host=ip)
            extensions: dict[str, Any] = {"trace": watchdog.trace}
            if target.scheme == "https":
                extensions["sni_hostname"] = target.host
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError("Fetching the article took too long.", reason="timeout")
            timeout = httpx.Timeout(min(settings.fetch_timeout, remaining))
            try:
                with client.stream(
                    "GET",
                    pinned,
                    headers={**headers, "Host": host_header},
                    extensions=extensions,
                    timeout=timeout,
                ) as response:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECT_CODES and location:
                        current = _redirect_target(target, location)
                        continue
                    validators = {
                        "etag": response.headers.get("etag"),
                        "last_modified": response.headers.get("last-modified"),
                    }
                    if response.status_code == 304:
                        return Fetched(b"", None, current, status=304, **validators)
                    if response.status_code >= 400:
                        phrase = response.reason_phrase or "error"
                        raise FetchError(
                            f"The server answered HTTP {response.status_code} ({phrase}) "
                            f"for {current}.",
                            reason="http_status",
                        )
                    content_type = response.headers.get("content-type")
                    _check_content_type(content_type, accept)
                    limit = settings.max_input_bytes if max_bytes is None else max_bytes
                    data = _read_body(response, limit, deadline)
                    if watchdog.fired:  # the cut connection ended the body early
                        raise FetchError("Fetching the article took too long.", reason="timeout")
                    return Fetched(data=data, content_type=content_type, url=current, **validators)
            except httpx.InvalidURL as exc:  # httpx builds the redirect request eagerly
                raise FetchError(
                    f"The server at {target.host} redirected to an invalid URL.", reason="bad_url"
                ) from exc
            except httpx.TimeoutException as exc:
                raise FetchError(
                    f"The server at {target.host} did not answer within "
                    f"{settings.fetch_timeout:g} seconds.",
                    reason="timeout",
                ) from exc
            except httpx.TransportError as exc:
                if watchdog.fired:
                    raise FetchError(
                        "Fetching the article took too long.", reason="timeout"
                    ) from exc
                raise FetchError(
                    f"The server at {target.host} could not be reached ({type(exc).__name__}).",
                    reason="unreachable",
                ) from exc
    raise FetchError(
        f"The URL redirected more than {MAX_REDIRECTS} times.", reason="too_many_redirects"
    )
