"""A player's page becomes an article: allowed hosts only, one fetch however many listeners,
refusals remembered, rechecks producing new revisions — against a real publisher server on
127.0.0.1 and the in-process service (espeak-ng renders)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from support import free_port, serve_http, service_settings, wait_until
from vorlesen.config import Settings
from vorlesen.server import create_app, make_service
from vorlesen.service.container import Service
from vorlesen.service.pages import host_allowed, normalize_page_url, page_id

PAGE = (Path(__file__).parent.parent / "fixtures" / "pages" / "bahn-sanierung.html").read_text(
    "utf-8"
)
FRONT = (
    "<!doctype html><html lang='de'><head><title>Politik – Nachrichten</title></head><body>"
    "<nav><a href='/a'>Inland</a> <a href='/b'>Ausland</a></nav><main><ul>"
    + "".join(f"<li><a href='/artikel/{i}'>Meldung {i}</a></li>" for i in range(20))
    + "</ul></main></body></html>"
)


class Publisher:
    """The publisher's site: pages by path, and how often vorlesen fetched each."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {"/artikel": PAGE, "/politik": FRONT}
        self.fetches: Counter[str] = Counter()
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                with site.lock:
                    if "vorlesen" in (self.headers.get("User-Agent") or ""):
                        site.fetches[path] += 1
                    body = site.pages.get(path)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


@pytest.fixture
def publisher() -> Iterator[tuple[Publisher, str]]:
    site = Publisher()
    with serve_http(site.handler()) as url:
        yield site, url


def _settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **extra: str) -> Iterator[Settings]:
    env = {
        "VORLESEN_API_TOKENS": "t",
        "VORLESEN_PUBLIC_URL": "http://testserver",
        "VORLESEN_PUBLISHER_HOSTS": json.dumps(["127.0.0.1", "*.example.de"]),
        "VORLESEN_FETCH_ALLOW_HOSTS": json.dumps(["127.0.0.1"]),
        **extra,
    }
    yield from service_settings(tmp_path, monkeypatch, env)


@contextmanager
def _app(settings: Settings) -> Iterator[tuple[TestClient, Service]]:
    """The app in process for ``settings`` (a test's own), and its service."""
    service = make_service(settings)
    try:
        with TestClient(create_app(settings, service=service)) as client:
            yield client, service
    finally:
        service.store.close()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    yield from _settings(tmp_path, monkeypatch)


def test_urls_are_normalized_to_one_id() -> None:
    a, host = normalize_page_url("HTTPS://WWW.Example.de:443/politik/artikel-1?utm_source=x#k")
    assert (a, host) == ("https://www.example.de/politik/artikel-1", "www.example.de")
    assert normalize_page_url("http://example.de")[0] == "http://example.de/"
    assert normalize_page_url("http://example.de:8080/a")[0] == "http://example.de:8080/a"
    assert page_id(a) == page_id(normalize_page_url("https://www.example.de/politik/artikel-1")[0])
    assert page_id(a).startswith("p-") and len(page_id(a)) == 34


def test_allowed_hosts_exact_and_wildcard() -> None:
    hosts = ["www.example.de", "*.example.org"]
    assert host_allowed("www.example.de", hosts)
    assert not host_allowed("example.de", hosts)
    assert not host_allowed("evil-www.example.de", hosts)
    assert host_allowed("news.example.org", hosts)
    assert host_allowed("a.b.example.org", hosts)
    assert not host_allowed("example.org", hosts)
    assert not host_allowed("badexample.org", hosts)
    assert not host_allowed("anything", [])


def test_first_view_renders_the_page(
    client: TestClient, service: Service, publisher: tuple[Publisher, str]
) -> None:
    site, base = publisher
    url = f"{base}/artikel?utm_source=newsletter#kommentare"
    first = client.get("/api/pages", params={"url": url})
    assert first.status_code == 202, first.text
    state = first.json()
    assert state["status"] == "queued"
    assert state["source_id"] == page_id(f"{base}/artikel")
    assert client.get("/api/pages", params={"url": f"{base}/artikel"}).status_code == 202
    service.queue.run_pending()
    ready = client.get("/api/pages", params={"url": url})
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ready"
    assert body["audio_mp3"].startswith("http://testserver/api/articles/p-")
    assert "Hamburg" in (body["title"] or "")
    assert site.fetches["/artikel"] == 1
    # The audio is served like a published article's.
    audio = client.get(body["audio_mp3"].removeprefix("http://testserver"))
    assert audio.status_code == 200 and len(audio.content) > 1000
    article = client.get(f"/api/articles/{body['source_id']}").json()
    assert article["ready_revision"] == 1


def test_other_hosts_are_refused_and_cost_nothing(client: TestClient, service: Service) -> None:
    for url in (
        "https://www.not-the-publisher.de/artikel",
        "https://example.de/artikel",  # the apex is not covered by *.example.de
        "http://127.0.0.2/artikel",
    ):
        answer = client.get("/api/pages", params={"url": url})
        assert answer.status_code == 403, answer.text
        assert answer.json()["reason"] == "host_not_allowed"
    for url in ("javascript:alert(1)", "file:///etc/passwd", "http://", "x" * 2001):
        answer = client.get("/api/pages", params={"url": url})
        assert answer.status_code == 422, (url[:30], answer.text)
    assert service.queue.pending() == 0
    assert service.pages.pages.page_fetches() == 0


def test_non_article_refused_with_reason_and_remembered(
    client: TestClient, service: Service, publisher: tuple[Publisher, str]
) -> None:
    site, base = publisher
    url = f"{base}/politik"
    assert client.get("/api/pages", params={"url": url}).status_code == 202
    service.queue.run_pending()
    for _ in range(5):
        answer = client.get("/api/pages", params={"url": url})
        assert answer.status_code == 422, answer.text
        assert answer.json()["reason"] == "no_article"
    assert service.queue.pending() == 0
    assert site.fetches["/politik"] == 1
    missing = client.get("/api/pages", params={"url": f"{base}/gibt-es-nicht"})
    assert missing.status_code == 202
    service.queue.run_pending()
    gone = client.get("/api/pages", params={"url": f"{base}/gibt-es-nicht"})
    assert (gone.status_code, gone.json()["reason"]) == (422, "http_status")


def test_changed_page_becomes_a_new_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, publisher: tuple[Publisher, str]
) -> None:
    site, base = publisher
    settings = next(_settings(tmp_path, monkeypatch, VORLESEN_RECHECK_S="0"))
    with _app(settings) as (client, service):
        url = f"{base}/artikel"
        client.get("/api/pages", params={"url": url})
        service.queue.run_pending()
        assert client.get("/api/pages", params={"url": url}).json()["revision"] == 1
        service.queue.run_pending()  # the view above rechecked: same text, nothing new
        state = client.get("/api/pages", params={"url": url}).json()
        assert (state["revision"], state["status"]) == (1, "ready")
        with site.lock:
            site.pages["/artikel"] = PAGE.replace("190 Weichen", "195 Weichen")
        service.queue.run_pending()
        state = client.get("/api/pages", params={"url": url}).json()
        assert state["revision"] == 2
        assert state["ready_revision"] == 2
        assert site.fetches["/artikel"] >= 3


def test_recheck_waits_for_recheck_s(
    client: TestClient, service: Service, publisher: tuple[Publisher, str]
) -> None:
    site, base = publisher
    url = f"{base}/artikel"
    client.get("/api/pages", params={"url": url})
    service.queue.run_pending()
    for _ in range(10):
        assert client.get("/api/pages", params={"url": url}).status_code == 200
    assert service.queue.pending() == 0
    assert site.fetches["/artikel"] == 1


def test_lookups_are_rate_limited_per_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = next(_settings(tmp_path, monkeypatch, VORLESEN_PAGE_LOOKUPS_PER_MINUTE="3"))
    with _app(settings) as (client, _):
        url = "https://www.example.de/artikel"
        codes = [client.get("/api/pages", params={"url": url}).status_code for _ in range(4)]
        assert codes[:3] == [202, 202, 202]
        assert codes[3] == 429
        last = client.get("/api/pages", params={"url": url})
        assert last.json()["reason"] == "rate_limited" and last.headers["Retry-After"]


def test_new_pages_are_rate_limited_per_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = next(_settings(tmp_path, monkeypatch, VORLESEN_PAGE_FETCHES_PER_MINUTE="2"))
    with _app(settings) as (client, service):
        codes = [
            client.get(
                "/api/pages", params={"url": f"https://www.example.de/artikel-{i}"}
            ).status_code
            for i in range(3)
        ]
        assert codes == [202, 202, 429]
        # Another host has its own budget; a known page is answered without one.
        other = client.get("/api/pages", params={"url": "https://news.example.de/a"})
        assert other.status_code == 202
        known = client.get("/api/pages", params={"url": "https://www.example.de/artikel-0"})
        assert known.status_code == 202
        assert service.queue.pending() == 3


def test_hundred_listeners_one_fetch_one_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, publisher: tuple[Publisher, str]
) -> None:
    """100 players open the same new page at once, over real HTTP: one fetch, one render,
    and every player gets the audio."""
    site, base = publisher
    settings = next(_settings(tmp_path, monkeypatch, VORLESEN_PAGE_LOOKUPS_PER_MINUTE="0"))
    service = make_service(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, service=service), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, 20, "uvicorn to start")
        api = f"http://127.0.0.1:{port}/api/pages"
        url = f"{base}/artikel"
        barrier = threading.Barrier(100)

        def listener(_: int) -> dict[str, object]:
            with httpx.Client(timeout=60) as http:
                barrier.wait()
                first = http.get(api, params={"url": url})
                assert first.status_code in (200, 202), first.text
                return dict(first.json())

        with ThreadPoolExecutor(100) as pool:
            firsts = list(pool.map(listener, range(100)))
        assert {f["source_id"] for f in firsts} == {page_id(url)}
        assert service.queue.pending() == 1  # one fetch queued, whoever won
        while service.queue.run_pending():
            pass
        with ThreadPoolExecutor(20) as pool:
            answers = list(
                pool.map(lambda _: httpx.get(api, params={"url": url}).json(), range(100))
            )
        assert all(a["status"] == "ready" and a["audio_mp3"] for a in answers)
        assert site.fetches["/artikel"] == 1
        assert service.store.renders_of(page_id(url)).__len__() == 1
    finally:
        server.should_exit = True
        thread.join(10)
        service.store.close()


def test_deleted_article_stays_unpublished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, publisher: tuple[Publisher, str]
) -> None:
    """A publisher's DELETE is final for a page: later views (and rechecks) neither fetch
    nor render it again; a PUT of the article publishes it anew."""
    site, base = publisher
    settings = next(_settings(tmp_path, monkeypatch, VORLESEN_RECHECK_S="0"))
    with _app(settings) as (client, service):
        url = f"{base}/artikel"
        source_id = client.get("/api/pages", params={"url": url}).json()["source_id"]
        service.queue.run_pending()
        auth = {"Authorization": "Bearer t"}
        assert client.delete(f"/api/articles/{source_id}", headers=auth).status_code == 204
        for _ in range(3):
            answer = client.get("/api/pages", params={"url": url})
            assert (answer.status_code, answer.json()["reason"]) == (422, "unpublished")
            service.queue.run_pending()
        assert site.fetches["/artikel"] == 1
        put = client.put(
            f"/api/articles/{source_id}", json={"text": "Ein neuer Text. " * 5}, headers=auth
        )
        assert put.status_code == 202
        assert client.get("/api/pages", params={"url": url}).json()["status"] == "queued"


def test_a_lost_fetch_is_claimed_again_after_the_lease(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, publisher: tuple[Publisher, str]
) -> None:
    """A page whose fetch never finished (its queue message lost with a worker) is not stuck
    until the next hourly recheck: after ``VORLESEN_RENDER_LEASE_S`` a view claims it again."""
    site, base = publisher
    settings = next(_settings(tmp_path, monkeypatch, VORLESEN_RENDER_LEASE_S="1"))
    with _app(settings) as (client, service):
        url = f"{base}/artikel"
        assert client.get("/api/pages", params={"url": url}).status_code == 202
        service.queue.huey.flush()  # the message is lost
        assert client.get("/api/pages", params={"url": url}).status_code == 202
        assert service.queue.pending() == 0  # within the lease: nobody claims it
        wait_until(
            lambda: (
                client.get("/api/pages", params={"url": url}) is not None
                and service.queue.pending() == 1
            ),
            10,
            "the page to be claimed again",
            poll=0.3,
        )
        service.queue.run_pending()
        assert client.get("/api/pages", params={"url": url}).json()["status"] == "ready"
        assert site.fetches["/artikel"] == 1
