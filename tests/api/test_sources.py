"""Feeds and sitemaps kept in sync, against a local feed server on 127.0.0.1: RSS, Atom, a
sitemap, a gzip sitemap and a sitemap index with items added, changed and removed between
polls; conditional GETs answered 304; broken and hostile sources refused with nothing else
disturbed; the CLI and the token-protected API."""

from __future__ import annotations

import gzip
import json
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from support import billion_laughs, serve_http, service_settings
from vorlesen.config import Settings
from vorlesen.server import create_app
from vorlesen.service.container import Service
from vorlesen.service.pages import normalize_page_url, page_id

AUTH = {"Authorization": "Bearer t"}
PAGE = (Path(__file__).parent.parent / "fixtures" / "pages" / "bahn-sanierung.html").read_text(
    "utf-8"
)


def _article(n: int, extra: str = "") -> str:
    """A distinct short article page (the fixture with its numbers changed)."""
    return PAGE.replace("190 Weichen", f"{190 + n} Weichen{extra}")


def _rss(base: str, items: list[tuple[str, str, str]]) -> str:
    entries = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link><guid>{path}</guid>"
        f"<description>{desc}</description>"
        "<pubDate>Fri, 05 Dec 2025 08:00:00 +0100</pubDate></item>"
        for path, title, desc in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Nachrichten</title><link>{base}/</link><description>x</description>"
        f"{entries}</channel></rss>"
    )


def _atom(base: str, paths: list[str]) -> str:
    entries = "".join(
        f"<entry><id>tag:example,2025:{p}</id><title>Meldung {p}</title>"
        f'<link href="{base}{p}"/><updated>2025-12-05T08:00:00Z</updated></entry>'
        for p in paths
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Atom</title><id>tag:example,2025:feed</id><updated>2025-12-05T08:00:00Z"
        f"</updated>{entries}</feed>"
    )


def _sitemap(base: str, paths: list[str], *, news: bool = False) -> str:
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    if news:
        ns += ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"'
    urls = ""
    for p in paths:
        extra = (
            "<news:news><news:publication><news:name>Zeitung</news:name>"
            "<news:language>de</news:language></news:publication>"
            "<news:publication_date>2025-12-04T10:00:00+01:00</news:publication_date>"
            f"<news:title>Meldung {p}</news:title></news:news>"
            if news
            else "<lastmod>2025-12-04</lastmod>"
        )
        urls += f"<url><loc>{base}{p}</loc>{extra}</url>"
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {ns}>{urls}</urlset>'


class FeedSite:
    """A publisher with feeds, sitemaps and article pages, each replaceable between polls."""

    def __init__(self) -> None:
        self.docs: dict[str, tuple[bytes, str]] = {}
        self.etags: dict[str, str] = {}
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.base = ""

    def put(self, path: str, body: str | bytes, ctype: str, etag: str | None = None) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self.lock:
            self.docs[path] = (data, ctype)
            if etag:
                self.etags[path] = etag
            else:
                self.etags.pop(path, None)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

            def do_GET(self) -> None:
                path = self.path
                with site.lock:
                    site.hits[path] += 1
                    doc = site.docs.get(path)
                    etag = site.etags.get(path)
                if path == "/redirect-internal":
                    self.send_response(302)
                    self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if path == "/huge.xml":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.end_headers()  # no length: streamed until the reader gives up
                    chunk = b"<!-- " + b"x" * (1 << 20) + b" -->"
                    try:
                        for _ in range(100):
                            self.wfile.write(chunk)
                    except OSError:
                        pass
                    return
                if doc is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if etag and self.headers.get("If-None-Match") == etag:
                    with site.lock:
                        site.not_modified[path] += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", doc[1])
                self.send_header("Content-Length", str(len(doc[0])))
                if etag:
                    self.send_header("ETag", etag)
                self.end_headers()
                self.wfile.write(doc[0])

        return Handler


@pytest.fixture
def site() -> Iterator[FeedSite]:
    feed_site = FeedSite()
    with serve_http(feed_site.handler()) as url:
        feed_site.base = url
        for n in range(1, 8):
            feed_site.put(f"/artikel/{n}", _article(n), "text/html; charset=utf-8")
        yield feed_site


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    env = {
        "VORLESEN_API_TOKENS": "t",
        "VORLESEN_PUBLIC_URL": "http://testserver",
        "VORLESEN_FETCH_ALLOW_HOSTS": json.dumps(["127.0.0.1"]),
        "VORLESEN_SOURCE_MAX_BYTES": str(2 * 1024 * 1024),
        "VORLESEN_FETCH_TIMEOUT": "5",
    }
    yield from service_settings(tmp_path, monkeypatch, env)


def _pid(url: str) -> str:
    return page_id(normalize_page_url(url)[0])


def _drain(service: Service) -> None:
    while service.queue.run_pending():
        pass


def test_rss_items_added_changed_removed(site: FeedSite, service: Service) -> None:
    base = site.base
    sources = service.queue.sources
    feed = sources.add(f"{base}/feed.rss", voice=None, language="de")
    site.put(
        "/feed.rss",
        _rss(base, [("/artikel/1", "Eins", "a"), ("/artikel/2", "Zwei", "b")]),
        "application/rss+xml",
        etag='"v1"',
    )
    first = sources.poll(feed.id)
    assert (first.status, first.new, first.changed) == ("ok", 2, 0)
    _drain(service)
    one = service.store.get_article(_pid(f"{base}/artikel/1"))
    assert one.status == "ready" and one.revision == 1
    assert one.published_at is not None and one.published_at.isoformat().startswith("2025-12-05")

    # Unchanged feed: a conditional GET answered 304, nothing fetched or rendered.
    again = sources.poll(feed.id)
    assert again.status == "not_modified"
    assert site.not_modified["/feed.rss"] == 1
    assert service.queue.pending() == 0

    # Item 2 edited (feed text and page), item 3 added, item 1 removed from the feed.
    site.put("/artikel/2", _article(2, " und 3 Stellwerke"), "text/html; charset=utf-8")
    site.put(
        "/feed.rss",
        _rss(base, [("/artikel/2", "Zwei (aktualisiert)", "b2"), ("/artikel/3", "Drei", "c")]),
        "application/rss+xml",
        etag='"v2"',
    )
    third = sources.poll(feed.id)
    assert (third.status, third.new, third.changed) == ("ok", 1, 1)
    _drain(service)
    assert service.store.get_article(_pid(f"{base}/artikel/2")).revision == 2
    assert service.store.get_article(_pid(f"{base}/artikel/3")).status == "ready"
    # The removed item keeps its audio.
    kept = service.store.get_article(_pid(f"{base}/artikel/1"))
    assert kept.status == "ready" and kept.ready_revision == 1
    assert site.hits["/artikel/1"] == 1
    record = sources.sources.get_source(feed.id)
    assert record.kind == "rss" and record.items_found == 3 and record.error_reason is None


def test_atom_sitemaps_gzip_and_index(site: FeedSite, service: Service) -> None:
    base = site.base
    sources = service.queue.sources
    site.put("/atom.xml", _atom(base, ["/artikel/1"]), "application/atom+xml")
    site.put("/news.xml", _sitemap(base, ["/artikel/2"], news=True), "application/xml")
    site.put(
        "/sitemap.xml.gz",
        gzip.compress(_sitemap(base, ["/artikel/3"]).encode()),
        "application/gzip",
    )
    site.put("/part-a.xml", _sitemap(base, ["/artikel/4"]), "text/xml")
    site.put(
        "/part-b.xml.gz",
        gzip.compress(_sitemap(base, ["/artikel/5"]).encode()),
        "application/x-gzip",
    )
    index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/part-a.xml</loc></sitemap>"
        f"<sitemap><loc>{base}/part-b.xml.gz</loc></sitemap></sitemapindex>"
    )
    site.put("/index.xml", index, "application/xml")
    kinds = {}
    for path in ("/atom.xml", "/news.xml", "/sitemap.xml.gz", "/index.xml"):
        source = sources.add(f"{base}{path}")
        result = sources.poll(source.id)
        assert result.status == "ok", (path, result)
        kinds[path] = sources.sources.get_source(source.id).kind
    assert kinds == {
        "/atom.xml": "atom",
        "/news.xml": "sitemap",
        "/sitemap.xml.gz": "sitemap",
        "/index.xml": "sitemap_index",
    }
    _drain(service)
    for n in range(1, 6):
        assert service.store.get_article(_pid(f"{base}/artikel/{n}")).status == "ready", n
    news = service.store.get_article(_pid(f"{base}/artikel/2"))
    assert news.published_at is not None and news.published_at.isoformat().startswith(
        "2025-12-04T09:00"
    )


def test_broken_and_hostile_sources_are_refused_alone(site: FeedSite, service: Service) -> None:
    base = site.base
    sources = service.queue.sources
    site.put("/good.rss", _rss(base, [("/artikel/6", "Sechs", "f")]), "application/rss+xml")
    site.put("/broken.rss", "<rss><channel><item><title>kaputt", "application/rss+xml")
    site.put(
        "/laughs.rss",
        billion_laughs("rss", "<rss><channel><title>&lol9;</title></channel></rss>"),
        "application/rss+xml",
    )
    site.put(
        "/bomb.xml.gz",
        gzip.compress(b"<urlset>" + b" " * (8 * 1024 * 1024) + b"</urlset>"),
        "application/gzip",
    )
    site.put("/page.html", "<html><body>kein Feed</body></html>", "text/html")
    expected = {
        "/broken.rss": "xml_malformed",
        "/laughs.rss": "xml_entities_forbidden",
        "/huge.xml": "too_large",
        "/bomb.xml.gz": "too_large",
        "/redirect-internal": "ssrf_blocked",
        "/page.html": "unsupported_content_type",
        "/missing.rss": "http_status",
    }
    ids = {path: sources.add(f"{base}{path}").id for path in expected}
    good = sources.add(f"{base}/good.rss")
    for path, reason in expected.items():
        result = sources.poll(ids[path])
        assert (result.status, result.reason) == ("failed", reason), path
        record = sources.sources.get_source(ids[path])
        assert record.failures == 1 and record.error_reason == reason
    assert sources.poll(good.id).status == "ok"
    _drain(service)
    assert service.store.get_article(_pid(f"{base}/artikel/6")).status == "ready"


def test_backoff_and_jitter(site: FeedSite, service: Service) -> None:
    import time

    sources = service.queue.sources
    broken = sources.add(f"{site.base}/missing.rss")
    waits = []
    for _ in range(3):
        before = time.time()
        sources.poll(broken.id)
        waits.append(sources.sources.get_source(broken.id).next_poll_at - before)
    poll_s = service.settings.sources_poll_s
    for n, wait in enumerate(waits, start=1):
        assert 0.89 * poll_s * 2**n <= wait <= 1.11 * poll_s * 2**n, (n, wait)
    # Due sources are claimed once: a second sweeper finds nothing.
    assert sources.poll_due() == []
    fresh = sources.add(f"{site.base}/other.rss")
    assert sources.poll_due() == [fresh.id]
    assert sources.poll_due() == []


def test_api_and_cli(
    site: FeedSite,
    settings: Settings,
    service: Service,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import sys

    from vorlesen.cli.app import app, main

    with TestClient(create_app(settings, service=service)) as client:
        assert client.get("/api/sources").status_code == 401
        made = client.post("/api/sources", json={"url": f"{site.base}/a.rss"}, headers=AUTH)
        assert made.status_code == 201, made.text
        twice = client.post("/api/sources", json={"url": f"{site.base}/a.rss"}, headers=AUTH)
        assert (twice.status_code, twice.json()["reason"]) == (409, "conflict")
        internal = client.post(
            "/api/sources", json={"url": "http://169.254.169.254/feed"}, headers=AUTH
        )
        assert (internal.status_code, internal.json()["reason"]) == (422, "ssrf_blocked")
        listed = client.get("/api/sources", headers=AUTH).json()
        assert [s["url"] for s in listed] == [f"{site.base}/a.rss"]
        runner = CliRunner()
        added = runner.invoke(app, ["sources", "add", f"{site.base}/b.rss", "--language", "de"])
        assert added.exit_code == 0, added.output
        out = runner.invoke(app, ["sources", "list"]).output
        assert f"{site.base}/a.rss" in out and f"{site.base}/b.rss" in out
        removed = client.delete(f"/api/sources/{made.json()['id']}", headers=AUTH)
        assert removed.status_code == 204
        monkeypatch.setattr(sys, "argv", ["vorlesen", "sources", "remove", "99"])
        with pytest.raises(SystemExit) as exited:
            main()
        assert exited.value.code == 3
        assert "There is no source 99. [not_found]" in capsys.readouterr().err
        assert len(client.get("/api/sources", headers=AUTH).json()) == 1


def test_the_worker_sweep_polls_due_sources(site: FeedSite, service: Service) -> None:
    """What ``vorlesen worker``'s sweep does: queue every due source's poll; the poll queues
    the pages, the pages their renders — all through the one queue."""
    base = site.base
    site.put("/feed.rss", _rss(base, [("/artikel/7", "Sieben", "g")]), "application/rss+xml")
    service.queue.sources.add(f"{base}/feed.rss")
    assert service.queue.queue_due_sources() == 1
    assert service.queue.queue_due_sources() == 0  # claimed: not queued twice
    _drain(service)
    assert service.store.get_article(_pid(f"{base}/artikel/7")).status == "ready"
    record = service.queue.sources.all()[0]
    assert record.items_found == 1 and record.next_poll_at > 0
