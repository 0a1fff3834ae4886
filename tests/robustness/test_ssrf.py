"""URL ingest cannot be turned against our own network, nor held or flooded by a server.

Every case runs against servers this module starts on 127.0.0.1: a well-behaved HTTP server
(allow-listed, as an intranet CMS would be) that redirects to forbidden places, and a raw
TCP server that misbehaves on purpose (endless chunked bodies, lying lengths, bytes
trickled slower than any deadline). Addresses that must be refused are never connected to:
the refusal happens before any socket opens. Complements ``tests/ingest/test_fetch.py``
(basic refusals, one redirect to localhost and to the metadata address, oversized bodies).
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from support import serve_http, service_settings
from vorlesen.config import Settings
from vorlesen.errors import FetchError, UnsupportedContentError, VorlesenError
from vorlesen.ingest import load
from vorlesen.ingest.fetch import fetch
from vorlesen.server import create_app, make_service

from .conftest import report_refusals

TIMEOUT = 0.4
"""Per-read timeout of these tests; the total deadline is three times that."""
DEADLINE_BOUND = 4.0
"""Wall-clock bound for a refusal by deadline: 3 × TIMEOUT plus generous slack."""

REFUSED: dict[str, int] = {}
TRIED: dict[str, int] = {}


def _settings(**kw: Any) -> Settings:
    base: dict[str, Any] = {
        "fetch_allow_hosts": ["127.0.0.1"],
        "fetch_timeout": TIMEOUT,
        "max_input_bytes": 20_000,
        "offline": True,
    }
    base.update(kw)
    return Settings(**base)


def _refused(
    item: str,
    url: str,
    reasons: set[str],
    settings: Settings | None = None,
) -> VorlesenError:
    """Fetch ``url`` and require a refusal with one of ``reasons`` (a slow server's refusal
    names the deadline that fired, so no stopwatch is needed to tell it from a download)."""
    TRIED[item] = TRIED.get(item, 0) + 1
    with pytest.raises((FetchError, UnsupportedContentError)) as info:
        fetch(url, settings=settings or _settings(fetch_allow_hosts=[]))
    assert info.value.reason in reasons, (url, info.value)
    REFUSED[item] = REFUSED.get(item, 0) + 1
    return info.value


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report_refusals(request.config, TRIED, REFUSED)


# -- servers -----------------------------------------------------------------------------


class _Redirector(BaseHTTPRequestHandler):
    """``/to?u=<target>`` answers 302 to the target; ``/307?u=`` and ``/308?u=`` likewise."""

    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(self.path)
        if parts.path == "/ok":
            body = b"<p>Ein kurzer Text.</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        code = {"/to": 302, "/307": 307, "/308": 308, "/301": 301}.get(parts.path, 404)
        target = parse_qs(parts.query).get("u", [""])[0]
        self.send_response(code)
        if code != 404:
            self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def redirector() -> Iterator[str]:
    with serve_http(_Redirector) as url:
        yield url


STOP = threading.Event()


def _send_slowly(sock: socket.socket, chunks: Iterator[bytes], pause: float) -> None:
    for chunk in chunks:
        if STOP.is_set():
            return
        sock.sendall(chunk)
        if pause:
            time.sleep(pause)


def _forever(unit: bytes) -> Iterator[bytes]:
    while True:
        yield unit


_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"


def _endless_chunked(sock: socket.socket) -> None:
    sock.sendall(_HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    _send_slowly(sock, _forever(b"400\r\n" + b"a" * 1024 + b"\r\n"), 0)


def _endless_slow_chunks(sock: socket.socket) -> None:
    """Small chunks, each well within the read timeout, forever: only the deadline ends it."""
    sock.sendall(_HEAD + b"Transfer-Encoding: chunked\r\n\r\n")
    _send_slowly(sock, _forever(b"1\r\na\r\n"), TIMEOUT / 4)


def _lying_length(sock: socket.socket) -> None:
    """Declares 10 bytes, sends a megabyte and keeps the connection open."""
    sock.sendall(_HEAD + b"Content-Length: 10\r\nConnection: close\r\n\r\n")
    _send_slowly(sock, (b"a" * 65536 for _ in range(16)), 0)


def _endless_no_length(sock: socket.socket) -> None:
    sock.sendall(_HEAD + b"Connection: close\r\n\r\n")
    _send_slowly(sock, _forever(b"a" * 4096), 0)


def _slowloris_body(sock: socket.socket) -> None:
    sock.sendall(_HEAD + b"Content-Length: 10000\r\n\r\n")
    _send_slowly(sock, _forever(b"a"), TIMEOUT / 4)


def _slowloris_headers(sock: socket.socket) -> None:
    """The status line, then one header byte at a time: no read ever times out."""
    sock.sendall(b"HTTP/1.1 200 OK\r\n")
    _send_slowly(sock, _forever(b"X"), TIMEOUT / 4)


def _silent(sock: socket.socket) -> None:
    """Accepts and never answers."""
    STOP.wait(30)


def _huge_header(sock: socket.socket) -> None:
    sock.sendall(_HEAD + b"X-Big: ")
    _send_slowly(sock, _forever(b"b" * 65536), 0)


BEHAVIOURS: dict[str, Callable[[socket.socket], None]] = {
    "/endless-chunked": _endless_chunked,
    "/endless-slow-chunks": _endless_slow_chunks,
    "/lying-length": _lying_length,
    "/endless-no-length": _endless_no_length,
    "/slowloris-body": _slowloris_body,
    "/slowloris-headers": _slowloris_headers,
    "/silent": _silent,
    "/huge-header": _huge_header,
}


class _RawHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                more = sock.recv(4096)
                if not more:
                    return
                data += more
            path = data.split(b" ", 2)[1].decode("ascii", "replace")
            BEHAVIOURS[path](sock)
        except OSError:
            return  # the client gave up, as it should


class _RawServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="module")
def rogue() -> Iterator[str]:
    STOP.clear()
    server = _RawServer(("127.0.0.1", 0), _RawHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        STOP.set()
        server.shutdown()
        server.server_close()
        thread.join()


# -- addresses -----------------------------------------------------------------------------

FORBIDDEN_URLS = [
    # loopback and its disguises
    "http://127.0.0.1/", "http://127.255.255.254/", "http://[::1]/", "http://[0:0:0:0:0:0:0:1]/",
    "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::127.0.0.1]/",
    "http://2130706433/", "http://0x7f000001/", "http://017700000001/", "http://0177.0.0.1/",
    "http://0x7f.0x0.0x0.0x1/", "http://127.1/", "http://127.0.1/", "http://127.000.000.001/",
    "http://0/", "http://0.0.0.0/", "http://[::]/",
    # private ranges
    "http://10.0.0.1/", "http://10.255.255.255/", "http://172.16.0.1/", "http://172.31.255.1/",
    "http://192.168.0.1/", "http://[fd00::1]/", "http://[fc00::1]/", "http://167772161/",
    "http://100.64.0.1/", "http://198.18.0.1/",
    # link-local and cloud metadata
    "http://[fe80::1]/", "http://[fe80::1%25eth0]/", "http://169.254.0.1/",
    "http://169.254.169.254/latest/meta-data/", "http://2852039166/", "http://0xa9fea9fe/",
    "http://[::ffff:169.254.169.254]/", "http://[fd00:ec2::254]/", "http://100.100.100.200/",
    "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:a9fe:a9fe::]/",
    # multicast, broadcast, reserved
    "http://224.0.0.1/", "http://255.255.255.255/", "http://240.0.0.1/", "http://[ff02::1]/",
    # names that resolve locally to loopback
    "http://localhost/", "http://LOCALHOST/", "http://localhost./", "http://sub.localhost/",
    # user-info and fragment tricks: the real host is the internal one
    "http://example.org@127.0.0.1/", "http://user:pass@[::1]:8080/",
    "http://127.0.0.1:80#@example.org/",
    # ports do not help
    "http://127.0.0.1:22/", "http://127.0.0.1:6379/", "https://127.0.0.1:443/",
]  # fmt: skip


@pytest.mark.parametrize("url", FORBIDDEN_URLS)
def test_internal_addresses_are_refused(url: str) -> None:
    _refused("ssrf: internal addresses", url, {"ssrf_blocked"})


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "gopher://127.0.0.1:6379/_INFO",
        "ftp://example.org/a",
        "data:text/html,<p>x</p>",
        "dict://127.0.0.1:11211/stat",
        "ldap://127.0.0.1/",
        "jar:http://x/!/",
        "javascript:alert(1)",
        "//127.0.0.1/",
        "netdoc:///etc/passwd",
        "FILE:///etc/passwd",
        " file:///etc/passwd",
    ],
)
def test_other_schemes_are_refused(url: str) -> None:
    _refused("ssrf: schemes", url, {"scheme_not_allowed"})


def test_names_resolving_inside_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A public-looking name whose DNS answer is internal (or mixes in one internal address)
    is refused: every address of the answer is checked, not only the first."""
    answers = {
        "intranet.example.com": ["10.1.2.3"],
        "metadata.example.com": ["169.254.169.254"],
        "rebind.example.com": ["93.184.216.34", "127.0.0.1"],
        "v6.example.com": ["::1"],
        "mapped.example.com": ["::ffff:192.168.1.1"],
    }
    real = socket.getaddrinfo

    def resolve(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port or 80),
                )
                for a in answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    for host in answers:
        _refused("ssrf: names resolving inside", f"http://{host}/", {"ssrf_blocked"})


REDIRECT_TARGETS = [
    "http://localhost:{port}/ok",
    "http://[::1]:{port}/ok",
    "http://10.0.0.1/",
    "http://169.254.169.254/latest/meta-data/iam/",
    "http://2130706433:{port}/ok",
    "http://0x7f.1:{port}/ok",
    "http://[::ffff:127.0.0.1]:{port}/ok",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://192.168.1.1/",
]
REDIRECT_SCHEMES = [
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_x",
    "ftp://127.0.0.1/",
    "data:text/plain,hallo",
]


@pytest.mark.parametrize("code", ["to", "301", "307", "308"])
def test_redirects_to_forbidden_places_are_refused(redirector: str, code: str) -> None:
    """The allow-listed server may be reached; where it redirects is vetted again."""
    from urllib.parse import quote

    port = redirector.rsplit(":", 1)[1]
    settings = _settings()
    assert fetch(f"{redirector}/ok", settings=settings).data.startswith(b"<p>")
    for target in REDIRECT_TARGETS:
        url = f"{redirector}/{code}?u={quote(target.format(port=port), safe='')}"
        _refused("ssrf: redirects", url, {"ssrf_blocked"}, settings=settings)
    for target in REDIRECT_SCHEMES:
        url = f"{redirector}/{code}?u={quote(target, safe='')}"
        # "data:…" is not even a URL httpx can build a redirect to: refused as bad_url
        _refused("ssrf: redirects", url, {"scheme_not_allowed", "bad_url"}, settings=settings)
    # a chain: allowed → allowed → internal
    inner = f"{redirector}/to?u={quote('http://10.9.8.7/', safe='')}"
    _refused(
        "ssrf: redirects",
        f"{redirector}/{code}?u={quote(inner, safe='')}",
        {"ssrf_blocked"},
        settings=settings,
    )


@pytest.mark.parametrize(
    ("path", "reasons"),
    [
        ("/endless-chunked", {"too_large"}),
        ("/endless-no-length", {"too_large"}),
        ("/endless-slow-chunks", {"timeout"}),
        ("/slowloris-body", {"timeout"}),
        ("/slowloris-headers", {"timeout"}),
        ("/silent", {"timeout"}),
        ("/huge-header", {"too_large", "unreachable", "timeout", "bad_response"}),
    ],
)
def test_hostile_servers_are_cut_off(rogue: str, path: str, reasons: set[str]) -> None:
    """Endless, lying and trickling servers end in a refusal within the total deadline
    (3 × the read timeout), never holding a worker for longer."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            _refused(
                "ssrf: hostile servers",
                f"{rogue}{path}",
                reasons,
                settings=_settings(),
            )
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(DEADLINE_BOUND + 6)
    assert not worker.is_alive(), f"{path}: fetch still running after {DEADLINE_BOUND + 6} s"
    if outcome[0] is not None:
        raise outcome[0]


def test_a_lying_length_reads_only_what_was_declared(rogue: str) -> None:
    """A server declaring 10 bytes and sending a megabyte gives 10 bytes, at once."""
    got = fetch(f"{rogue}/lying-length", settings=_settings())
    assert got.data == b"a" * 10


def test_parser_confusion_does_not_reach_inside() -> None:
    """A backslash is a path separator to browsers but not to Python's URL parser; either
    way the connection goes to the vetted address of the host Python saw, never inside."""
    for url in ["http://127.0.0.1\\@example.invalid/", "http://example.invalid\\@127.0.0.1/"]:
        with pytest.raises(FetchError) as info:
            fetch(url, settings=_settings(fetch_allow_hosts=[]))
        assert info.value.reason in {"ssrf_blocked", "unreachable", "bad_url"}, info.value


def test_load_refuses_what_fetch_refuses(rogue: str) -> None:
    """The user-facing ``load`` (CLI, worker) takes the same path."""
    with pytest.raises(FetchError) as info:
        load("http://[fd00::1]/artikel", settings=_settings(fetch_allow_hosts=[]))
    assert info.value.reason == "ssrf_blocked"
    with pytest.raises(UnsupportedContentError) as too_large:
        load(f"{rogue}/endless-chunked", settings=_settings())
    assert too_large.value.reason == "too_large"


# -- through the API -----------------------------------------------------------------------

API_TOKEN = "ssrf-test-token"


@pytest.fixture
def ssrf_client(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    env = {"VORLESEN_API_TOKENS": API_TOKEN, "VORLESEN_FETCH_TIMEOUT": str(TIMEOUT)}
    unset = ("VORLESEN_DATABASE_URL", "VORLESEN_REDIS_URL", "VORLESEN_FETCH_ALLOW_HOSTS")
    for settings in service_settings(Path(tmp_path), monkeypatch, env, unset):
        service = make_service(settings)
        with TestClient(create_app(settings, service=service)) as client:
            yield client
        service.store.close()


API_URLS = [u for u in FORBIDDEN_URLS if "\\" not in u] + [
    "http://[::1]:8080/admin",
    "https://[fe80::1]/",
    "http://0x7f.1/",
]


def test_api_refuses_internal_urls_with_the_reason(ssrf_client: TestClient) -> None:
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    for number, url in enumerate(API_URLS):
        TRIED["ssrf: through the API"] = TRIED.get("ssrf: through the API", 0) + 1
        r = ssrf_client.put(f"/api/articles/a{number}", json={"url": url}, headers=auth)
        assert r.status_code == 422, (url, r.status_code, r.text)
        assert r.json()["reason"] == "ssrf_blocked", (url, r.json())
        REFUSED["ssrf: through the API"] = REFUSED.get("ssrf: through the API", 0) + 1
    for url in [
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
        "ftp://x/",
        "data:,x",
        "javascript:alert(1)",
        "//127.0.0.1/",
    ]:
        TRIED["ssrf: through the API"] += 1
        r = ssrf_client.put("/api/articles/schemes", json={"url": url}, headers=auth)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["reason"] in {"invalid_request", "scheme_not_allowed"}, r.json()
        REFUSED["ssrf: through the API"] += 1
    assert ssrf_client.get("/api/articles", headers=auth).json()["total"] == 0
