"""Adoption with one line, in a real Chromium: a publisher page served on 127.0.0.1 with only
the script tag and a ``<vorlesen-player>`` without ``article``. The first view has the page
fetched and rendered ("wird gerade erstellt" meanwhile) and the player plays when ready; a
page on a host the publisher did not allow shows nothing and costs nothing."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from support import free_port, serve_http
from vorlesen.config import Settings
from vorlesen.service.container import Service
from vorlesen.service.pages import page_id

from .conftest import serve_live

pytestmark = pytest.mark.slow

ARTICLE = (Path(__file__).parent.parent / "fixtures" / "pages" / "bahn-sanierung.html").read_text(
    "utf-8"
)
AUDIO = "document.querySelector('vorlesen-player').shadowRoot.querySelector('audio')"


def _embedded(service_url: str, canonical: str | None = None) -> str:
    """The article page as a publisher would serve it: one script tag and one empty player
    (and, when given, a canonical link, whose query the player drops)."""
    head = f"<link rel='canonical' href='{canonical}'>" if canonical else ""
    tag = (
        f"<script src='{service_url}/static/player.js' defer></script>"
        "<vorlesen-player></vorlesen-player>"
    )
    return ARTICLE.replace("</head>", f"{head}</head>", 1).replace("<body>", f"<body>{tag}", 1)


def _foreign(publisher_url: str) -> str:
    """The same server under a name the publisher did not allow (``localhost``: a
    browser lets a loopback page call the loopback service; a public one it would not)."""
    return publisher_url.replace("127.0.0.1", "localhost")


@dataclass
class Adoption:
    service_url: str
    publisher_url: str
    service: Service
    fetches: Counter[str]


@pytest.fixture(scope="module")
def adoption(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Adoption]:
    root = tmp_path_factory.mktemp("adopt")
    port = free_port()
    service_url = f"http://127.0.0.1:{port}"
    fetches: Counter[str] = Counter()
    lock = threading.Lock()

    class Publisher(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            if "vorlesen" in (self.headers.get("User-Agent") or ""):
                with lock:
                    fetches[self.path] += 1
            if self.path == "/feed.rss":
                feed = (
                    "<?xml version='1.0'?><rss version='2.0'><channel><title>Zeitung</title>"
                    f"<link>http://{self.headers.get('Host')}/</link><description>d</description>"
                    f"<item><title>Bahn</title><link>http://{self.headers.get('Host')}"
                    "/politik/bahn</link><guid>bahn</guid></item></channel></rss>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(feed)))
                self.end_headers()
                self.wfile.write(feed)
                return
            if not self.path.startswith("/politik/bahn"):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            host = self.headers.get("Host")
            canonical = f"http://{host}/politik/bahn?ref=startseite"
            data = _embedded(service_url, canonical).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    with serve_http(Publisher) as publisher_url:
        settings = Settings(
            data_dir=root / "data",
            cache_dir=root / "cache",
            offline=True,
            engine="espeak",
            jobs=1,
            api_tokens="t",
            publisher_hosts=["127.0.0.1"],
            fetch_allow_hosts=["127.0.0.1"],
            cors_origins=f"{publisher_url},{_foreign(publisher_url)}",
        )
        with serve_live(settings, port) as (_, service):
            yield Adoption(service_url, publisher_url, service, fetches)


def _player(page: Any, selector: str) -> Any:
    return page.locator("vorlesen-player").locator(selector)


def test_first_view_renders_and_plays(browser: Any, adoption: Adoption, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # The address has tracking parameters; the canonical link another: one article.
    url = f"{adoption.publisher_url}/politik/bahn-2025?utm_source=newsletter#kommentare"
    page.goto(url)
    pending = _player(page, ".pending")
    pending.wait_for(timeout=10000)
    assert "wird gerade erstellt" in pending.inner_text()
    page.screenshot(path=str(tmp_path / "adopt-pending.png"))
    listen = _player(page, "button.listen")
    listen.wait_for(timeout=90000)
    assert pending.is_hidden()
    listen.click()
    page.wait_for_function(f"() => {AUDIO}.currentTime > 0.5", timeout=20000)
    page.screenshot(path=str(tmp_path / "adopt-playing.png"))
    article = page_id(f"{adoption.publisher_url}/politik/bahn")
    assert article in page.evaluate(f"{AUDIO}.currentSrc")
    # A second listener on the same page: no new fetch, the audio at once.
    second = browser.new_page()
    second.goto(f"{adoption.publisher_url}/politik/bahn")
    _player(second, "button.listen").wait_for(timeout=10000)
    assert adoption.fetches["/politik/bahn"] == 1
    assert not errors


def test_page_on_other_host_shows_nothing_and_costs_nothing(
    browser: Any, adoption: Adoption
) -> None:
    page = browser.new_page()
    answers: list[int] = []
    page.on(
        "response",
        lambda r: answers.append(r.status) if "/api/pages" in r.url else None,
    )
    before = adoption.service.pages.pages.page_fetches()
    pending_before = adoption.service.queue.pending()
    foreign = _foreign(adoption.publisher_url)
    page.goto(f"{foreign}/politik/bahn")
    deadline = time.monotonic() + 10
    while not answers and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert answers == [403]
    page.wait_for_timeout(4000)  # no retry: a refusal is final for this view
    assert answers == [403]
    assert page.evaluate(
        "document.querySelector('vorlesen-player').shadowRoot.querySelector('section').hidden"
    )
    assert adoption.service.pages.pages.get_page(page_id(f"{foreign}/politik/bahn")) is None
    assert adoption.service.pages.pages.page_fetches() == before
    assert adoption.service.queue.pending() == pending_before
    assert not any(path.startswith("/politik") and n > 1 for path, n in adoption.fetches.items())


def test_newsroom_sources_page(browser: Any, adoption: Adoption, tmp_path: Path) -> None:
    """The "Quellen" page: add sources, see last check, articles found and errors in German;
    axe-core finds no violation."""
    from .test_accessibility import _violations

    context = browser.new_context(bypass_csp=True, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(f"{adoption.service_url}/admin/login")
    page.fill("#token", "t")
    page.click("button[type=submit]")
    page.wait_for_url(f"{adoption.service_url}/admin")
    page.click("nav >> text=Quellen")
    page.wait_for_url(f"{adoption.service_url}/admin/sources")
    assert "Noch keine Quellen." in page.inner_text("main")
    for path in ("/feed.rss", "/fehlt.rss"):
        page.fill("#url", f"{adoption.publisher_url}{path}")
        page.click("form.entry-form button[type=submit]")
        assert "hinzugefügt" in page.inner_text("[role=status]")
    page.fill("#url", "http://169.254.169.254/latest/feed")
    page.click("form.entry-form button[type=submit]")
    assert "internes Netz" in page.inner_text("[role=alert]")
    sources = adoption.service.queue.sources
    for source in sources.all():
        sources.poll(source.id)
    page.goto(f"{adoption.service_url}/admin/sources")
    rows = page.locator("table.sources tbody tr")
    assert rows.count() == 2
    good, bad = rows.nth(0).inner_text(), rows.nth(1).inner_text()
    assert "RSS" in good and "\t1\t" in good and "UTC" in good
    assert "Fehler geantwortet" in bad
    assert _violations(page) == []
    page.screenshot(path=str(tmp_path / "newsroom-sources.png"), full_page=True)
    page.locator("table.sources tbody tr").nth(1).locator("button").click()
    page.wait_for_url(f"{adoption.service_url}/admin/sources")
    assert page.locator("table.sources tbody tr").count() == 1
    context.close()
