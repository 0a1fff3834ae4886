"""URL fetching against real local HTTP servers on 127.0.0.1, and the SSRF refusals."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from support import serve_http
from vorlesen.config import Settings
from vorlesen.errors import FetchError, UnsupportedContentError
from vorlesen.ingest import load
from vorlesen.ingest.fetch import fetch

PAGE = (Path(__file__).parent.parent / "fixtures" / "pages" / "bahn-sanierung.html").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def _send(self, status: int, body: bytes, content_type: str, length: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        port = self.server.server_address[1]
        path = self.path
        if path == "/page":
            self._send(200, PAGE, "text/html; charset=utf-8")
        elif path == "/404":
            self._send(404, b"not here", "text/plain")
        elif path == "/slow":
            time.sleep(1.5)
            self._send(200, b"zu spaet", "text/plain")
        elif path == "/pdf":
            self._send(200, b"%PDF-1.7\n...", "application/pdf")
        elif path == "/big":
            self._send(200, b"a" * 5000, "text/plain")
        elif path == "/big-stream":
            self._send(200, b"a" * 5000, "text/plain", length=False)
        elif path == "/host":
            self._send(200, (self.headers.get("Host") or "").encode(), "text/plain")
        elif path == "/redirect-relative":
            self._redirect("/page")
        elif path == "/redirect-localhost":
            self._redirect(f"http://localhost:{port}/page")
        elif path == "/redirect-metadata":
            self._redirect("http://169.254.169.254/latest/meta-data/")
        elif path == "/loop":
            self._redirect("/loop")
        else:
            self._send(404, b"", "text/plain")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_http(_Handler) as url:
        yield url


def _settings(**kw: object) -> Settings:
    base: dict[str, object] = {
        "fetch_allow_hosts": ["127.0.0.1"],
        "fetch_timeout": 0.5,
        "max_input_bytes": 100_000,
    }
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def test_fetch_page(server: str) -> None:
    got = fetch(f"{server}/page", settings=_settings())
    assert got.data == PAGE
    assert got.content_type == "text/html; charset=utf-8"
    assert got.url == f"{server}/page"


def test_load_url_gives_document_with_url(server: str) -> None:
    doc = load(f"{server}/page", settings=_settings())
    assert doc.headline == "Bahn sperrt Strecke Hamburg–Berlin für neun Monate"
    assert doc.url == f"{server}/page"


def test_relative_redirect_is_followed(server: str) -> None:
    got = fetch(f"{server}/redirect-relative", settings=_settings())
    assert got.url == f"{server}/page"
    assert got.data == PAGE


def test_host_header_keeps_the_name_while_connecting_to_the_vetted_ip(server: str) -> None:
    port = server.rsplit(":", 1)[1]
    got = fetch(
        f"http://localhost:{port}/host", settings=_settings(fetch_allow_hosts=["localhost"])
    )
    assert got.data.decode() == f"localhost:{port}"


def test_http_error_status(server: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(f"{server}/404", settings=_settings())
    assert info.value.reason == "http_status"
    assert "404" in str(info.value)


def test_timeout(server: str) -> None:
    start = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(f"{server}/slow", settings=_settings(fetch_timeout=0.3))
    assert info.value.reason == "timeout"
    assert time.monotonic() - start < 1.4


def test_pdf_content_type_is_refused(server: str) -> None:
    with pytest.raises(UnsupportedContentError) as info:
        fetch(f"{server}/pdf", settings=_settings())
    assert info.value.reason == "unsupported_content_type"


@pytest.mark.parametrize("path", ["/big", "/big-stream"])
def test_oversized_body_is_refused(server: str, path: str) -> None:
    with pytest.raises(UnsupportedContentError) as info:
        fetch(f"{server}{path}", settings=_settings(max_input_bytes=1000))
    assert info.value.reason == "too_large"


@pytest.mark.parametrize("path", ["/redirect-localhost", "/redirect-metadata"])
def test_redirect_to_internal_address_is_refused(server: str, path: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(f"{server}{path}", settings=_settings())
    assert info.value.reason == "ssrf_blocked"


def test_redirect_loop_stops(server: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(f"{server}/loop", settings=_settings())
    assert info.value.reason == "too_many_redirects"


def test_unreachable() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    with pytest.raises(FetchError) as info:
        fetch(f"http://127.0.0.1:{port}/", settings=_settings())
    assert info.value.reason == "unreachable"


def test_loopback_server_is_refused_when_not_allow_listed(server: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(f"{server}/page", settings=_settings(fetch_allow_hosts=[]))
    assert info.value.reason == "ssrf_blocked"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:8.8.8.8]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.178.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.0.0.1/",
        "http://127.1/",
        "http://134744072/",
    ],
)
def test_internal_and_disguised_addresses_are_refused(url: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(url, settings=Settings(fetch_allow_hosts=[], fetch_timeout=0.5))
    assert info.value.reason == "ssrf_blocked", info.value


@pytest.mark.parametrize("url", ["ftp://example.org/a", "file:///etc/passwd", "gopher://x/"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(url, settings=Settings())
    assert info.value.reason == "scheme_not_allowed"
