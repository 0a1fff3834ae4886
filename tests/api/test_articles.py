"""Articles through the API: publish, render from the real SQLite queue, serve, edit."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from vorlesen.jobs.queue import JobQueue
from vorlesen.service.container import Service
from vorlesen.store.blobs import revision_prefix
from vorlesen.synth.pool import WarmPool

from .conftest import AUTH


def _publish(client: TestClient, source_id: str, text: str, **extra: object) -> dict[str, object]:
    response = client.put(f"/api/articles/{source_id}", json={"text": text, **extra}, headers=AUTH)
    assert response.status_code == 202, response.text
    body: dict[str, object] = response.json()
    return body


def test_put_renders_and_serves_all_files(
    client: TestClient, service: Service, article_text: str
) -> None:
    state = _publish(client, "radweg-1", article_text)
    assert state["status"] == "queued" and state["revision"] == 1
    assert state["audio_mp3"] is None
    assert service.queue.pending() == 1
    assert service.queue.run_pending() == 1

    state = client.get("/api/articles/radweg-1").json()
    assert state["status"] == "ready", state
    assert state["engine"] == "espeak" and state["voice"] == "de"
    assert state["duration_s"] > 3
    assert state["utterances_total"] == state["utterances_synthesized"] == 6
    assert state["title"] == "Stadtrat beschließt neuen Radweg"

    mp3 = client.get(state["audio_mp3"])
    assert mp3.status_code == 200
    assert mp3.headers["content-type"] == "audio/mpeg"
    assert mp3.content[:3] == b"ID3"
    assert "immutable" in mp3.headers["cache-control"]
    opus = client.get("/api/articles/radweg-1/audio.opus")
    assert opus.content[:4] == b"OggS"
    assert opus.headers["cache-control"] == "public, max-age=60"
    timings = client.get("/api/articles/radweg-1/timings.json").json()
    assert [u["index"] for u in timings["utterances"]] == list(range(6))
    assert timings["utterances"][2]["written"].startswith("Die Strecke soll 4,5 Kilometer")
    assert (
        "viereinhalb" in timings["utterances"][2]["spoken"]
        or "vier Komma fünf" in (timings["utterances"][2]["spoken"])
    )
    vtt = client.get("/api/articles/radweg-1/captions.vtt")
    assert vtt.headers["content-type"].startswith("text/vtt")
    assert vtt.text.startswith("WEBVTT")


def test_range_etag_and_head(client: TestClient, service: Service, article_text: str) -> None:
    _publish(client, "radweg-2", article_text)
    service.queue.run_pending()
    url = "/api/articles/radweg-2/audio.mp3"
    full = client.get(url)
    size = len(full.content)
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.content == full.content[100:200]
    tail = client.get(url, headers={"Range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == full.content[-50:]
    etag = full.headers["etag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    head = client.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == size
    bad = client.get(url, headers={"Range": f"bytes={size + 10}-{size + 20}"})
    assert bad.status_code == 416


def test_identical_put_renders_nothing(
    client: TestClient, service: Service, article_text: str
) -> None:
    _publish(client, "same", article_text)
    service.queue.run_pending()
    again = _publish(client, "same", article_text)
    assert again["revision"] == 1 and again["status"] == "ready"
    assert service.queue.pending() == 0
    assert service.store.renders_of("same") == [(1, "ready", service.queue.worker_id)]


def test_changed_sentence_synthesizes_exactly_that_utterance(
    client: TestClient, service: Service, article_text: str
) -> None:
    _publish(client, "edit", article_text)
    service.queue.run_pending()
    first = client.get("/api/articles/edit/timings.json").json()["utterances"]
    old_audio = client.get("/api/articles/edit/audio.mp3").content

    edited = article_text.replace("Baubeginn ist im Frühjahr.", "Baubeginn ist im Herbst.")
    state = _publish(client, "edit", edited)
    assert state["revision"] == 2 and state["status"] == "queued"
    # While revision 2 waits, revision 1 is still served.
    assert state["ready_revision"] == 1
    assert client.get("/api/articles/edit/audio.mp3").content == old_audio

    service.queue.run_pending()
    state = client.get("/api/articles/edit").json()
    assert state["status"] == "ready" and state["ready_revision"] == 2
    assert state["utterances_total"] == 6
    assert state["utterances_synthesized"] == 1
    second = client.get("/api/articles/edit/timings.json").json()["utterances"]
    changed = [b["index"] for a, b in zip(first, second, strict=True) if a["spoken"] != b["spoken"]]
    assert changed == [3]
    assert second[3]["written"] == "Baubeginn ist im Herbst."
    # The old revision's files are gone once the new one is served.
    assert not service.blobs.exists(f"{revision_prefix('edit', 1)}/audio.mp3")


def test_voice_change_resynthesizes_everything(
    client: TestClient, service: Service, article_text: str
) -> None:
    _publish(client, "stimme", article_text)
    service.queue.run_pending()
    _publish(client, "stimme", article_text, voice="de+f3")
    service.queue.run_pending()
    state = client.get("/api/articles/stimme").json()
    assert state["voice"] == "de+f3"
    assert state["utterances_synthesized"] == state["utterances_total"] == 6


def test_failed_render_keeps_previous_audio(
    client: TestClient, service: Service, article_text: str
) -> None:
    _publish(client, "fail", article_text)
    service.queue.run_pending()
    english = (
        "The city council approved a new cycle path on Tuesday. The route will be four "
        "kilometres long and cost about two million euros. Construction starts in spring."
    )
    state = _publish(client, "fail", english)
    assert state["revision"] == 2
    service.queue.run_pending()
    state = client.get("/api/articles/fail").json()
    assert state["status"] == "failed"
    assert state["error"]["reason"] == "wrong_language"
    assert "German" in state["error"]["message"]
    assert state["ready_revision"] == 1
    assert client.get(state["audio_mp3"]).status_code == 200
    # Putting the same failed content again retries it (a new revision).
    assert _publish(client, "fail", english)["revision"] == 3


def test_list_and_delete(client: TestClient, service: Service, article_text: str) -> None:
    for n in range(3):
        _publish(client, f"a{n}", article_text + f"\n\nNachtrag Nummer {n}.")
    listing = client.get("/api/articles", params={"limit": 2}).json()
    assert listing["total"] == 3 and len(listing["items"]) == 2
    page2 = client.get("/api/articles", params={"limit": 2, "offset": 2}).json()
    ids = {i["source_id"] for i in listing["items"] + page2["items"]}
    assert ids == {"a0", "a1", "a2"}
    service.queue.run_pending()
    assert client.get("/api/articles", params={"status": "ready"}).json()["total"] == 3
    assert client.delete("/api/articles/a1").status_code == 401
    assert client.delete("/api/articles/a1", headers=AUTH).status_code == 204
    gone = client.get("/api/articles/a1")
    assert gone.status_code == 404
    assert gone.json()["reason"] == "not_found"
    assert client.get("/api/articles/a1/audio.mp3").status_code == 404
    assert service.blobs.revisions("a1") == []


def test_bad_input_gets_problem_bodies(client: TestClient, article_text: str) -> None:
    both = client.put("/api/articles/x", json={"text": "a", "html": "<p>b</p>"}, headers=AUTH)
    assert both.status_code == 422
    body = both.json()
    assert set(body) >= {"type", "title", "status", "detail", "reason"}
    assert body["reason"] == "invalid_request" and body["status"] == 422
    assert client.put("/api/articles/x", json={}, headers=AUTH).status_code == 422
    bad_id = client.put("/api/articles/..evil", json={"text": article_text}, headers=AUTH)
    assert bad_id.status_code == 422
    big = client.put(
        "/api/articles/x",
        content=json.dumps({"text": "x" * 300_000}),
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert big.status_code == 413 and big.json()["reason"] == "too_large"
    ssrf = client.put("/api/articles/x", json={"url": "http://127.0.0.1:9/a"}, headers=AUTH)
    assert ssrf.status_code == 422 and ssrf.json()["reason"] == "ssrf_blocked"
    meta = client.put(
        "/api/articles/x", json={"url": "http://169.254.169.254/latest"}, headers=AUTH
    )
    assert meta.status_code == 422 and meta.json()["reason"] == "ssrf_blocked"
    missing = client.get("/api/articles/nope")
    assert missing.status_code == 404 and missing.json()["reason"] == "not_found"
    no_audio = client.put("/api/articles/q", json={"text": article_text}, headers=AUTH)
    assert no_audio.status_code == 202
    assert client.get("/api/articles/q/audio.mp3").status_code == 404
    other = client.get("/api/articles/q/audio.wav")
    assert other.status_code == 404 and "audio.mp3, audio.opus" in other.json()["detail"]
    nan = client.post(
        "/api/articles/q/feedback",
        content='{"category": "voice", "time_s": NaN}',
        headers={"Content-Type": "application/json"},
    )
    assert nan.status_code == 422 and "finite" in nan.json()["detail"]


def test_listens_are_counted(client: TestClient, service: Service, article_text: str) -> None:
    _publish(client, "hoeren", article_text)
    service.queue.run_pending()
    for milestone in (0, 0, 25, 100):
        r = client.post("/api/articles/hoeren/listens", json={"milestone": milestone})
        assert r.status_code == 204
    assert client.post("/api/articles/hoeren/listens", json={"milestone": 30}).status_code == 422
    assert client.post("/api/articles/nope/listens", json={"milestone": 0}).status_code == 404
    future = client.post("/api/articles/hoeren/listens", json={"milestone": 0, "revision": 99})
    assert future.status_code == 422 and future.json()["reason"] == "bad_revision"
    played = client.post("/api/articles/hoeren/listens", json={"milestone": 50, "revision": 1})
    assert played.status_code == 204
    stats, total = service.store.list_articles_with_stats()
    assert total == 1
    assert stats[0].listens == 2 and stats[0].completions == 1
    counts = service.store.listen_counts(["hoeren"])
    assert counts[0].by_milestone == {0: 2, 25: 1, 50: 1, 75: 0, 100: 1}


def test_a_worker_keeps_its_synthesis_processes_between_renders(
    client: TestClient, service: Service, article_text: str
) -> None:
    """A render worker loads the voice once: the second article is spoken by the same
    processes as the first (what ``vorlesen worker`` does, with two jobs)."""
    queue = JobQueue(service.settings.model_copy(update={"jobs": 2}), service.store, service.blobs)
    queue.synth_workers = WarmPool(jobs=2, keep=True)
    with queue.synth_workers as pool:
        _publish(client, "erster", article_text)
        assert queue.run_pending() == 1
        started = {w.process.pid for w in pool._workers}
        assert len(started) == 2  # the render started them and gave them back
        _publish(client, "zweiter", article_text.replace("Radweg", "Fußweg"))
        assert queue.run_pending() == 1
        assert {w.process.pid for w in pool._workers} == started
        for source_id in ("erster", "zweiter"):
            state = client.get(f"/api/articles/{source_id}").json()
            assert state["status"] == "ready", state
        assert state["utterances_synthesized"] > 0  # the second one did need synthesis
