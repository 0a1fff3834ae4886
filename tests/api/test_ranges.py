"""Range requests on article files: the fast single-range path (one ``pread``) answers
exactly like Starlette's streaming ``FileResponse``, which keeps every other case."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from vorlesen.api.routes import articles
from vorlesen.service.container import Service
from vorlesen.store.blobs import revision_prefix

from .conftest import AUTH

_VOLATILE = {"date"}
"""Headers that differ between two otherwise identical answers."""


def _render(client: TestClient, service: Service, source_id: str, text: str) -> None:
    response = client.put(f"/api/articles/{source_id}", json={"text": text}, headers=AUTH)
    assert response.status_code == 202, response.text
    service.queue.run_pending()
    assert client.get(f"/api/articles/{source_id}").json()["status"] == "ready"


def _headers(response: Any) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in _VOLATILE}


def _cases(size: int) -> list[tuple[str, slice]]:
    """Single ranges a player sends, with the slice of the file each must return."""
    return [
        ("bytes=0-0", slice(0, 1)),
        ("bytes=10-19", slice(10, 20)),
        ("bytes=10-", slice(10, None)),
        ("bytes=0-", slice(0, None)),
        (f"bytes={size - 10}-{size + 500}", slice(size - 10, None)),  # end past EOF: clipped
        (f"bytes={size - 1}-", slice(size - 1, None)),
        ("Bytes = 5 - 9", slice(5, 10)),
    ]


def test_single_ranges_match_the_streaming_path(
    client: TestClient, service: Service, article_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _render(client, service, "ranges-1", article_text)
    reads = 0
    real_pread = articles._pread_exactly

    def counting_pread(fd: int, length: int, offset: int) -> bytes | None:
        nonlocal reads
        reads += 1
        return real_pread(fd, length, offset)

    monkeypatch.setattr(articles, "_pread_exactly", counting_pread)
    for name in ("audio.mp3", "captions.vtt", "timings.json"):
        url = f"/api/articles/ranges-1/{name}?v=1"
        body = client.get(url).content
        assert len(body) > 30, name
        for header, part in _cases(len(body)):
            reads = 0
            fast = client.get(url, headers={"Range": header})
            assert reads == 1, (name, header)  # answered by the one-pread path
            with monkeypatch.context() as m:
                m.setattr(articles, "_INLINE_MAX", 0)  # every range through FileResponse
                slow = client.get(url, headers={"Range": header})
            assert reads == 1, (name, header)
            assert fast.status_code == slow.status_code == 206, (name, header)
            assert fast.content == body[part], (name, header)
            assert slow.content == body[part], (name, header)
            assert _headers(fast) == _headers(slow), (name, header)
            assert fast.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_other_range_forms_keep_starlette_semantics_but_ignore_malformed_ones(
    client: TestClient, service: Service, article_text: str
) -> None:
    _render(client, service, "ranges-2", article_text)
    url = "/api/articles/ranges-2/audio.mp3"
    full = client.get(url)
    size = len(full.content)
    etag = full.headers["etag"]

    suffix = client.get(url, headers={"Range": "bytes=-50"})
    assert suffix.status_code == 206 and suffix.content == full.content[-50:]

    multi = client.get(url, headers={"Range": "bytes=0-9,20-29"})
    assert multi.status_code == 206
    assert multi.headers["content-type"].startswith("multipart/byteranges")
    assert full.content[:10] in multi.content and full.content[20:30] in multi.content

    past = client.get(url, headers={"Range": f"bytes={size}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"
    # A malformed Range is ignored (RFC 9110 allows it): the whole file, not a plain 400.
    for malformed in ("bytes=20-10", "pages=1-2", "bytes=abc", "bytes=0-9,x"):
        whole = client.get(url, headers={"Range": malformed})
        assert whole.status_code == 200 and whole.content == full.content, malformed

    # If-None-Match is evaluated before Range (RFC 9110 §13.2.2).
    cached = client.get(url, headers={"Range": "bytes=0-99", "If-None-Match": etag})
    assert cached.status_code == 304 and cached.headers["etag"] == etag

    # If-Range with the current ETag: the range; with a stale one: the whole file.
    same = client.get(url, headers={"Range": "bytes=0-99", "If-Range": etag})
    assert same.status_code == 206 and same.content == full.content[:100]
    stale = client.get(url, headers={"Range": "bytes=0-99", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.content == full.content

    head = client.head(url, headers={"Range": "bytes=0-99"})
    assert head.status_code == 206 and head.headers["content-length"] == "100"
    assert head.content == b""


def test_large_ranges_stream_and_small_ones_need_no_database(
    client: TestClient, service: Service, article_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _render(client, service, "ranges-3", article_text)
    url = "/api/articles/ranges-3/audio.mp3"
    full = client.get(url).content
    monkeypatch.setattr(articles, "_INLINE_MAX", 64)
    big = client.get(url, headers={"Range": "bytes=10-5000"})  # over the limit: streamed
    assert big.status_code == 206 and big.content == full[10:5001]
    assert big.headers["content-range"] == f"bytes 10-5000/{len(full)}"

    queries = 0
    real = service.store.get_article

    def counting(source_id: str):  # type: ignore[no-untyped-def]
        nonlocal queries
        queries += 1
        return real(source_id)

    monkeypatch.setattr(service.store, "get_article", counting)
    for start in range(0, 2000, 100):
        part = client.get(url, headers={"Range": f"bytes={start}-{start + 9}"})
        assert part.content == full[start : start + 10]
    assert queries <= 1  # the served revision is remembered, not queried per request


def test_vanished_revision_is_looked_up_again(
    client: TestClient, service: Service, article_text: str
) -> None:
    _render(client, service, "ranges-4", article_text)
    url = "/api/articles/ranges-4/audio.mp3"
    assert client.get(url, headers={"Range": "bytes=0-9"}).status_code == 206
    service.blobs.delete_prefix(revision_prefix("ranges-4", 1))  # memo still says rev 1
    gone = client.get(url, headers={"Range": "bytes=0-9"})
    assert gone.status_code == 404
    assert gone.json()["reason"] == "not_found"
