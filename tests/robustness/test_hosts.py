"""A forged ``Host`` header never reaches a URL the service hands out: the feed (cached
publicly), API answers and webhook payloads take absolute URLs only from
``VORLESEN_PUBLIC_URL`` or an allowed host (``public_base_url``, the one place)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

from defusedxml import ElementTree as SafeET
from fastapi.testclient import TestClient

from vorlesen.config import Settings, public_base_url
from vorlesen.service.container import Service

from .conftest import HOSTILE_AUTH, write_report_row

FORGED = [
    "evil.example",
    "evil.example:443",
    "localhost.evil.example",
    "localhost@evil.example",
    "evil.example/localhost",
    "localhost:80/../evil",
    "[::1].evil.example",
    "",
]


def _ready(client: TestClient, service: Service) -> None:
    r = client.put("/api/articles/host-1", json={"text": "Ein Text."}, headers=HOSTILE_AUTH)
    assert r.status_code == 202, r.text
    assert service.queue.run_pending() == 1


def test_forged_hosts_never_reach_the_feed_or_the_api(
    hostile_client: TestClient, hostile_service: Service
) -> None:
    _ready(hostile_client, hostile_service)
    tried = 0
    for host in FORGED:
        for path in ("/feed.xml", "/api/articles/host-1", "/api/articles"):
            r = hostile_client.get(path, headers={"Host": host})
            assert r.status_code == 200, (host, path, r.status_code)
            assert "evil" not in r.text, (host, path, r.text[:500])
            tried += 1
        feed = hostile_client.get("/feed.xml", headers={"Host": host})
        enclosure = SafeET.fromstring(feed.content).find("channel/item/enclosure")
        assert enclosure is not None
        assert enclosure.get("url", "").startswith("/api/articles/host-1/audio.mp3?v=1")
    write_report_row(
        group="hostile input",
        item="web: host header",
        tried=tried,
        refused=tried,
        note="feed, article, list: relative URLs unless PUBLIC_URL or ALLOWED_HOSTS",
    )


def test_allowed_hosts_and_the_public_url_give_absolute_urls(
    hostile_client: TestClient, hostile_service: Service
) -> None:
    _ready(hostile_client, hostile_service)
    state = hostile_client.get("/api/articles/host-1", headers={"Host": "localhost:8000"}).json()
    assert state["audio_mp3"].startswith("http://localhost:8000/api/articles/host-1/")
    hostile_service.settings.allowed_hosts = "audio.example.de"
    state = hostile_client.get("/api/articles/host-1", headers={"Host": "audio.example.de"}).json()
    assert state["audio_mp3"].startswith("http://audio.example.de/api/")
    assert hostile_client.get("/api/articles/host-1").json()["audio_mp3"].startswith("/api/")
    hostile_service.settings.public_url = "https://hoeren.example.de/"
    for host in ("evil.example", "audio.example.de"):
        feed = hostile_client.get("/feed.xml", headers={"Host": host}).text
        assert "https://hoeren.example.de/api/articles/host-1/audio.mp3" in feed
        assert host not in feed


def test_public_base_url_refuses_what_is_not_a_host() -> None:
    settings = Settings(allowed_hosts="localhost,[::1],audio.example.de", public_url="")
    ok = {
        ("http", "localhost"): "http://localhost",
        ("https", "audio.example.de:8443"): "https://audio.example.de:8443",
        ("http", "[::1]:80"): "http://[::1]:80",
    }
    for (scheme, host), base in ok.items():
        assert public_base_url(settings, scheme=scheme, host=host) == base
    for host in [*FORGED, "localhost:99999", "localhost:x", "local host", "localhost\r\nX: 1"]:
        assert public_base_url(settings, scheme="http", host=host) == "", host
    assert public_base_url(settings, scheme="javascript", host="localhost") == ""
    assert public_base_url(settings) == ""  # a worker without a public URL: relative


class _Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        _Receiver.bodies.append(self.rfile.read(length))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _receiver() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_webhook_payloads_use_the_same_base(
    hostile_client: TestClient, hostile_service: Service
) -> None:
    _ready(hostile_client, hostile_service)
    receiver = _receiver()
    url = next(receiver)
    try:
        hostile_service.settings.webhook_urls = url
        _Receiver.bodies.clear()
        assert hostile_service.queue.send_webhooks("audio.ready", "host-1", 1) == 1
        article = json.loads(_Receiver.bodies[-1])["article"]
        assert article["audio_mp3"].startswith("/api/articles/host-1/")
        hostile_service.settings.public_url = "https://hoeren.example.de"
        assert hostile_service.queue.send_webhooks("audio.ready", "host-1", 1) == 1
        article = json.loads(_Receiver.bodies[-1])["article"]
        assert article["audio_mp3"].startswith("https://hoeren.example.de/api/articles/host-1/")
    finally:
        next(receiver, None)
