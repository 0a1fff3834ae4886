"""The service on S3-compatible object storage (a real moto server): render into the
bucket, serve by redirect (presigned or CDN URL) or by proxy with Range, delete."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
from fastapi.testclient import TestClient

from support import create_bucket, moto_server, s3_keys, service_settings
from vorlesen.config import Settings
from vorlesen.server import create_app, make_service
from vorlesen.service.container import Service

from .conftest import AUTH, TOKEN

FILES = ["audio.mp3", "audio.opus", "captions.vtt", "timings.json"]
CDN = "https://cdn.example.de/hoerfassungen"


def _client(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    endpoint: str,
    bucket: str,
    **env: str,
) -> Iterator[tuple[TestClient, Service]]:
    base = {
        "VORLESEN_API_TOKENS": TOKEN,
        "VORLESEN_PUBLIC_URL": "http://testserver",
        "VORLESEN_STORAGE_URL": f"s3://{bucket}/vorlesen",
        "VORLESEN_S3_ENDPOINT_URL": endpoint,
    }
    settings: Settings
    for settings in service_settings(tmp_path, monkeypatch, {**base, **env}):
        service = make_service(settings)
        with TestClient(create_app(settings, service=service)) as client:
            yield client, service
        service.store.close()


@pytest.fixture
def presigned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_endpoint: str, s3_bucket: str
) -> Iterator[tuple[TestClient, Service]]:
    yield from _client(tmp_path, monkeypatch, s3_endpoint, s3_bucket)


@pytest.fixture
def cdn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_endpoint: str, s3_bucket: str
) -> Iterator[tuple[TestClient, Service]]:
    yield from _client(
        tmp_path, monkeypatch, s3_endpoint, s3_bucket, VORLESEN_PUBLIC_AUDIO_URL=CDN + "/"
    )


@pytest.fixture
def proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_endpoint: str, s3_bucket: str
) -> Iterator[tuple[TestClient, Service]]:
    yield from _client(tmp_path, monkeypatch, s3_endpoint, s3_bucket, VORLESEN_S3_PROXY="true")


def _publish(client: TestClient, service: Service, source_id: str, text: str) -> None:
    response = client.put(f"/api/articles/{source_id}", json={"text": text}, headers=AUTH)
    assert response.status_code == 202, response.text
    assert service.queue.run_pending() == 1
    assert client.get(f"/api/articles/{source_id}").json()["status"] == "ready"


def test_a_render_lands_in_the_bucket_and_audio_redirects_to_a_presigned_url(
    presigned: tuple[TestClient, Service],
    s3_endpoint: str,
    s3_bucket: str,
    article_text: str,
    tmp_path: Path,
) -> None:
    client, service = presigned
    _publish(client, service, "radweg-1", article_text)
    assert s3_keys(s3_endpoint, s3_bucket) == [f"vorlesen/audio/radweg-1/1/{f}" for f in FILES]
    assert not (tmp_path / "data" / "audio").exists()  # nothing in the local directory

    answer = client.get("/api/articles/radweg-1/audio.mp3?v=1", follow_redirects=False)
    assert answer.status_code == 307
    assert answer.headers["cache-control"].startswith("private, max-age=")
    location = answer.headers["location"]
    assert location.startswith(f"{s3_endpoint}/{s3_bucket}/vorlesen/audio/radweg-1/1/audio.mp3?")
    mp3 = httpx.get(location)  # what the player fetches from the bucket
    assert mp3.status_code == 200 and mp3.content[:3] == b"ID3"
    assert mp3.headers["content-type"] == "audio/mpeg"
    seek = httpx.get(location, headers={"Range": "bytes=10-19"})
    assert seek.status_code == 206 and seek.content == mp3.content[10:20]
    assert client.head("/api/articles/radweg-1/audio.opus", follow_redirects=False).status_code == (
        307
    )
    # The player's own fetches stay on the API's origin: no CORS rules on the bucket.
    timings = client.get("/api/articles/radweg-1/timings.json", follow_redirects=False)
    assert timings.status_code == 200 and len(timings.json()["utterances"]) == 6
    vtt = client.get("/api/articles/radweg-1/captions.vtt", follow_redirects=False)
    assert vtt.status_code == 200 and vtt.text.startswith("WEBVTT")
    assert vtt.headers["content-type"].startswith("text/vtt")
    # No cover for a text article: a 404, not a redirect to nothing.
    assert client.get("/api/articles/radweg-1/cover.jpg", follow_redirects=False).status_code == 404

    # Feedback finds the sentence in the timings stored in the bucket.
    report = client.post(
        "/api/articles/radweg-1/feedback",
        json={"category": "number", "message": "Zahl falsch gelesen", "utterance": 2},
    )
    assert report.status_code == 201, report.text
    assert report.json()["written"].startswith("Die Strecke soll 4,5 Kilometer")
    # The demo page reads them from there too.
    assert "Die Strecke soll" in client.get("/demo/radweg-1").text

    feed = feedparser.parse(client.get("/feed.xml").content)
    (entry,) = feed.entries
    (enclosure,) = entry.enclosures
    assert int(enclosure.length) == len(mp3.content)


def test_new_revisions_replace_old_objects_and_delete_removes_all(
    presigned: tuple[TestClient, Service], s3_endpoint: str, s3_bucket: str, article_text: str
) -> None:
    client, service = presigned
    _publish(client, service, "radweg-2", article_text)
    _publish(client, service, "radweg-3", article_text)
    _publish(client, service, "radweg-2", article_text + "\n\nEin Satz mehr zum Schluss.")
    _publish(client, service, "radweg-2", article_text + "\n\nZwei Sätze mehr. Zum Schluss.")
    # The revision before the served one stays (listeners redirected to it keep seeking
    # in it); older ones are gone.
    assert s3_keys(s3_endpoint, s3_bucket, "vorlesen/audio/radweg-2/") == [
        f"vorlesen/audio/radweg-2/{r}/{f}" for r in (2, 3) for f in FILES
    ]
    assert client.delete("/api/articles/radweg-2", headers=AUTH).status_code == 204
    assert s3_keys(s3_endpoint, s3_bucket, "vorlesen/audio/radweg-2") == []
    assert client.get("/api/articles/radweg-2/audio.mp3").status_code == 404
    # The other article is untouched.
    assert len(s3_keys(s3_endpoint, s3_bucket, "vorlesen/audio/radweg-3/")) == 4


def test_with_a_cdn_audio_redirects_to_the_public_url(
    cdn: tuple[TestClient, Service], article_text: str
) -> None:
    client, service = cdn
    _publish(client, service, "radweg-4", article_text)
    versioned = client.get("/api/articles/radweg-4/audio.mp3?v=1", follow_redirects=False)
    assert versioned.status_code == 307
    assert versioned.headers["location"] == f"{CDN}/vorlesen/audio/radweg-4/1/audio.mp3"
    assert "immutable" in versioned.headers["cache-control"]
    plain = client.get("/api/articles/radweg-4/audio.opus", follow_redirects=False)
    assert plain.headers["location"] == f"{CDN}/vorlesen/audio/radweg-4/1/audio.opus"
    assert plain.headers["cache-control"] == "public, max-age=60"
    assert client.get("/api/articles/radweg-4/timings.json").status_code == 200
    # The channel artwork (drawn at start, stored in the bucket) goes to the CDN too.
    feed = feedparser.parse(client.get("/feed.xml").content)
    artwork = client.get(feed.feed.image.href, follow_redirects=False)
    assert artwork.status_code == 307
    assert artwork.headers["location"].startswith(f"{CDN}/vorlesen/feed/")


def test_the_proxy_serves_ranges_etags_and_head(
    proxy: tuple[TestClient, Service], s3_endpoint: str, s3_bucket: str, article_text: str
) -> None:
    client, service = proxy
    _publish(client, service, "radweg-5", article_text)
    url = "/api/articles/radweg-5/audio.mp3"
    full = client.get(url, follow_redirects=False)
    assert full.status_code == 200 and full.content[:3] == b"ID3"
    assert full.headers["content-type"] == "audio/mpeg"
    assert full.headers["accept-ranges"] == "bytes"
    size = len(full.content)
    assert int(full.headers["content-length"]) == size
    etag = full.headers["etag"]
    assert etag.startswith('"radweg-5-r1-')
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.content == full.content[100:200]
    assert part.headers["etag"] == etag
    tail = client.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == full.content[-50:]
    open_end = client.get(url, headers={"Range": f"bytes={size - 10}-"})
    assert open_end.status_code == 206 and open_end.content == full.content[-10:]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == size
    assert head.headers["etag"] == etag
    past = client.get(url, headers={"Range": f"bytes={size + 10}-{size + 20}"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"
    # Several ranges or garbage: ignored, the whole file (RFC 9110 allows it).
    for header in ("bytes=0-1,5-6", "bytes=abc", "items=0-1", "bytes=9-3"):
        whole = client.get(url, headers={"Range": header})
        assert whole.status_code == 200 and len(whole.content) == size, header
    assert "immutable" in client.get(url + "?v=1").headers["cache-control"]
    assert client.get("/api/articles/radweg-5/cover.jpg").status_code == 404
    assert client.get("/api/articles/nope/audio.mp3").status_code == 404


def test_an_unreachable_bucket_stops_the_service_start_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_endpoint: str, s3_bucket: str
) -> None:
    from vorlesen.errors import StorageError

    env = {
        "VORLESEN_STORAGE_URL": "s3://not-created-bucket",
        "VORLESEN_S3_ENDPOINT_URL": s3_endpoint,
    }
    for settings in service_settings(tmp_path, monkeypatch, env):
        with pytest.raises(StorageError) as caught:
            make_service(settings)
        assert caught.value.reason == "bucket_not_found"


def test_a_bucket_gone_away_is_a_503_problem_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_bucket: str, article_text: str
) -> None:
    """The object storage stops answering after the start: listeners get 503 with the
    reason ``storage_unreachable`` (a load balancer retries elsewhere), never a 500 page."""
    with contextlib.ExitStack() as outer:
        with moto_server(tmp_path / "own-moto.log") as endpoint:
            create_bucket(endpoint, s3_bucket)
            clients = _client(tmp_path, monkeypatch, endpoint, s3_bucket, VORLESEN_S3_PROXY="true")
            client, service = next(clients)
            outer.callback(clients.close)
            _publish(client, service, "radweg-6", article_text)
            assert client.get("/api/articles/radweg-6/audio.mp3").status_code == 200
        # The S3 server is gone; the service lives on.
        answer = client.get("/api/articles/radweg-6/timings.json")
        assert answer.status_code == 503, answer.text
        problem = answer.json()
        assert problem["reason"] == "storage_unreachable"
        assert "cannot be reached" in problem["detail"]
