"""Feedback, lexicon, auth, feed, health/metrics and webhooks through the API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import feedparser
import pytest
from fastapi.testclient import TestClient

from vorlesen.jobs.webhooks import verify
from vorlesen.lexicon import make_entry
from vorlesen.service.container import Service
from vorlesen.service.lexicon import save_entries
from vorlesen.synth.voices import voice_cache_dir

from .conftest import AUTH


@pytest.fixture
def ready(client: TestClient, service: Service, article_text: str) -> str:
    r = client.put(
        "/api/articles/radweg", json={"text": article_text, "teaser": "Ein Radweg."}, headers=AUTH
    )
    assert r.status_code == 202
    service.queue.run_pending()
    assert client.get("/api/articles/radweg").json()["status"] == "ready"
    return "radweg"


def test_feedback_is_stored_with_the_utterance_and_managed(client: TestClient, ready: str) -> None:
    timings = client.get(f"/api/articles/{ready}/timings.json").json()["utterances"]
    third = timings[2]
    at = (third["start"] + third["end"]) / 2
    r = client.post(
        f"/api/articles/{ready}/feedback",
        json={"category": "number", "message": "4,5 klingt falsch", "time_s": at, "rating": 2},
    )
    assert r.status_code == 201, r.text
    fb = r.json()
    assert fb["id"] >= 1 and fb["revision"] == 1 and fb["utterance"] == 2
    assert fb["written"] == third["written"] and fb["spoken"] == third["spoken"]
    by_index = client.post(
        f"/api/articles/{ready}/feedback", json={"category": "pronunciation", "utterance": 0}
    ).json()
    assert by_index["written"] == timings[0]["written"]

    assert client.get("/api/feedback").status_code == 401
    inbox = client.get("/api/feedback", params={"article": ready}, headers=AUTH).json()
    assert inbox["total"] == 2
    numbers = client.get("/api/feedback", params={"category": "number"}, headers=AUTH).json()
    assert [i["id"] for i in numbers["items"]] == [fb["id"]]
    done = client.patch(f"/api/feedback/{fb['id']}", json={"status": "done"}, headers=AUTH)
    assert done.status_code == 200 and done.json()["status"] == "done"
    still_open = client.get("/api/feedback", params={"status": "open"}, headers=AUTH).json()
    assert [i["id"] for i in still_open["items"]] == [by_index["id"]]
    assert (
        client.patch("/api/feedback/999", json={"status": "done"}, headers=AUTH).status_code == 404
    )


def test_feedback_about_a_sentence_the_audio_lacks_is_kept_without_it(
    client: TestClient, ready: str
) -> None:
    r = client.post(
        f"/api/articles/{ready}/feedback",
        json={"category": "other", "message": "Satz fehlt", "utterance": 9999},
    )
    assert r.status_code == 201
    assert r.json()["utterance"] is None and r.json()["message"] == "Satz fehlt"


def test_feedback_validation_and_rate_limit(client: TestClient, ready: str) -> None:
    url = f"/api/articles/{ready}/feedback"
    too_long = client.post(url, json={"category": "other", "message": "x" * 2001})
    assert too_long.status_code == 422
    assert client.post(url, json={"category": "spam"}).status_code == 422
    assert client.post(url, json={"category": "voice", "rating": 6}).status_code == 422
    assert client.post("/api/articles/nope/feedback", json={"category": "voice"}).status_code == 404
    statuses = [client.post(url, json={"category": "voice"}).status_code for _ in range(6)]
    # The 404 above counted too: 5 per minute in these settings.
    assert statuses[:4] == [201] * 4 and statuses[4:] == [429, 429]
    refused = client.post(url, json={"category": "voice"})
    assert refused.json()["reason"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_tokens_env_stored_and_revoked(
    client: TestClient, service: Service, article_text: str
) -> None:
    body = {"text": article_text}
    assert client.put("/api/articles/t", json=body).status_code == 401
    wrong = client.put("/api/articles/t", json=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["reason"] == "bad_token"
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    second = {"Authorization": "Bearer second-token"}
    assert client.put("/api/articles/t", json=body, headers=second).status_code == 202
    record, secret = service.store.create_token("cms")
    assert secret not in service.store.engine.url.render_as_string()
    stored = {"Authorization": f"Bearer {secret}"}
    assert client.put("/api/articles/t", json=body, headers=stored).status_code == 202
    service.store.revoke_token(record.id)
    revoked = client.put("/api/articles/t", json=body, headers=stored)
    assert revoked.status_code == 403 and revoked.json()["reason"] == "token_revoked"
    assert [t.prefix for t in service.store.list_tokens()] == [secret[:8]]


def test_lexicon_entry_rerenders_only_affected_articles(
    client: TestClient, service: Service, article_text: str, ready: str
) -> None:
    other = "Wetter in Hamburg\n\nMorgen regnet es in Hamburg. Die Temperaturen steigen kaum."
    client.put("/api/articles/wetter", json={"text": other}, headers=AUTH)
    service.queue.run_pending()
    assert client.get("/api/lexicon").status_code == 401

    r = client.post(
        "/api/lexicon",
        json={"grapheme": "Opposition", "kind": "alias", "value": "Oppo-sizion"},
        headers=AUTH,
    )
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["rerendered"] == [ready]
    assert client.get("/api/articles/wetter").json()["revision"] == 1
    service.queue.run_pending()
    state = client.get(f"/api/articles/{ready}").json()
    assert state["revision"] == 2 and state["status"] == "ready"
    assert state["utterances_synthesized"] == 1
    spoken = [
        u["spoken"] for u in client.get(f"/api/articles/{ready}/timings.json").json()["utterances"]
    ]
    assert any("Oppo-sizion" in s for s in spoken)

    listed = client.get("/api/lexicon", headers=AUTH).json()
    assert [e["grapheme"] for e in listed] == ["Opposition"]
    bad_ipa = client.post(
        "/api/lexicon", json={"grapheme": "Xy", "kind": "ipa", "value": "☃"}, headers=AUTH
    )
    assert bad_ipa.status_code == 422 and bad_ipa.json()["reason"] == "ipa_unsupported"
    changed = client.put(
        f"/api/lexicon/{entry['id']}",
        json={"grapheme": "Hamburg", "kind": "alias", "value": "Hammburk"},
        headers=AUTH,
    ).json()
    assert sorted(changed["rerendered"]) == sorted([ready, "wetter"])
    service.queue.run_pending()
    assert client.delete(f"/api/lexicon/{entry['id']}", headers=AUTH).status_code == 204
    assert client.get("/api/lexicon", headers=AUTH).json() == []
    assert client.get("/api/articles/wetter").json()["revision"] == 3
    assert client.delete("/api/lexicon/999", headers=AUTH).status_code == 404


def test_feed_validates(client: TestClient, ready: str) -> None:
    r = client.get("/feed.xml")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/rss+xml")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "rss20"
    assert feed.feed.title == "vorlesen"
    (item,) = feed.entries
    assert item.title == "Stadtrat beschließt neuen Radweg"
    (enclosure,) = item.enclosures
    assert enclosure.type == "audio/mpeg"
    audio = client.get(enclosure.href)
    assert int(enclosure.length) == len(audio.content)
    assert item.itunes_duration.isdigit()  # seconds, as Apple recommends
    assert b"podcast:transcript" in r.content and b'type="text/vtt"' in r.content
    assert b"xmlns:itunes=" in r.content


def test_feed_keeps_an_episode_through_re_renders(
    client: TestClient, service: Service, ready: str, article_text: str
) -> None:
    """A lexicon fix re-renders the article: while it renders, the feed keeps the item with
    the audio still served, and afterwards it is the same episode (same guid), new audio."""

    def items() -> list[tuple[str, str, str]]:
        feed = feedparser.parse(client.get("/feed.xml").content)
        return [(e.id, e.enclosures[0].href, e.published) for e in feed.entries]

    (before,) = items()
    entry = {"grapheme": "Radweg", "kind": "alias", "value": "Rad-Weg"}
    saved = client.post("/api/lexicon", json=entry, headers=AUTH)
    assert saved.status_code == 201 and saved.json()["rerendered"] == [ready]
    assert client.get(f"/api/articles/{ready}").json()["status"] == "queued"
    assert items() == [before]  # still there, with the audio being served meanwhile
    service.queue.run_pending()
    (after,) = items()
    assert after[0] == before[0] and after[2] == before[2]  # same episode, same date
    assert after[1] != before[1] and after[1].endswith("?v=2")  # the new audio
    # Saving the identical entry again changes nothing: no new revision, no render.
    again = client.post("/api/lexicon", json=entry, headers=AUTH)
    assert again.status_code == 201 and again.json()["rerendered"] == []
    assert client.get(f"/api/articles/{ready}").json()["revision"] == 2
    entry_id = saved.json()["id"]
    same = client.put(f"/api/lexicon/{entry_id}", json=entry, headers=AUTH)
    assert same.status_code == 200 and same.json()["rerendered"] == []
    assert service.queue.pending() == 0


def test_importing_the_same_entries_again_re_renders_nothing(
    client: TestClient, service: Service, ready: str
) -> None:
    """What a PLS import or the newsroom's fix form saves goes through ``save_entries``."""
    entries = [
        make_entry("Radweg", "alias", "Rad-Weg"),
        make_entry("Stadtrat", "alias", "Stadt-Rat"),
    ]
    records, rerendered = save_entries(service.store, service.queue, entries)
    assert rerendered == [ready] and len(records) == 2
    service.queue.run_pending()
    again, rerendered = save_entries(service.store, service.queue, entries)
    assert rerendered == [] and [r.id for r in again] == [r.id for r in records]
    assert client.get(f"/api/articles/{ready}").json()["revision"] == 2
    changed = [entries[0], make_entry("Stadtrat", "alias", "Stadtrat")]
    # one of two changed: that re-renders
    _, rerendered = save_entries(service.store, service.queue, changed)
    assert rerendered == [ready]
    # The same key twice in one import: the later entry wins, as in a lexicon file.
    twice = [make_entry("Radweg", "alias", "Rad-Bahn"), make_entry("Radweg", "alias", "Rad-Weg")]
    save_entries(service.store, service.queue, twice)
    values = {r.grapheme: r.value for r in service.store.lexicon_entries()}
    assert values["Radweg"] == "Rad-Weg"


def test_publication_dates_are_utc_and_come_from_the_article(
    client: TestClient, service: Service, article_text: str
) -> None:
    r = client.put(
        "/api/articles/datiert",
        json={"text": article_text, "published_at": "2025-09-18T07:30:00+02:00"},
        headers=AUTH,
    )
    assert r.json()["published_at"] == "2025-09-18T05:30:00Z"
    page = (
        "<html><head><title>t</title>"
        '<meta property="article:published_time" content="2025-03-02T10:00:00+01:00">'
        "</head><body><article><h1>Stadtrat beschließt neuen Radweg</h1>"
        + "".join(f"<p>{p}</p>" for p in article_text.split("\n\n")[1:])
        + "</article></body></html>"
    )
    r = client.put("/api/articles/seite", json={"html": page}, headers=AUTH)
    assert r.json()["published_at"] is None
    service.queue.run_pending()
    state = client.get("/api/articles/seite").json()
    assert state["status"] == "ready", state
    assert state["published_at"] == "2025-03-02T09:00:00Z"  # the page's own date

    def episodes() -> list[tuple[str, str, str]]:
        feed = feedparser.parse(client.get("/feed.xml").content)
        return [(e.id, e.title, e.published) for e in feed.entries]

    listed = episodes()
    assert listed[1] == ("vorlesen:seite", state["title"], "Sun, 02 Mar 2025 09:00:00 +0000")
    assert [e[0] for e in listed] == ["vorlesen:datiert", "vorlesen:seite"]  # newest first
    # An edit: until it is rendered, the episode keeps its title, date and place.
    edited = page.replace("</article>", "<p>Nachtrag: Der Bau beginnt im Mai.</p></article>")
    r = client.put("/api/articles/seite", json={"html": edited}, headers=AUTH)
    assert r.json()["revision"] == 2 and r.json()["status"] == "queued"
    assert episodes() == listed


def test_health_and_metrics(client: TestClient, ready: str) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    client.post(f"/api/articles/{ready}/feedback", json={"category": "other"})
    text = client.get("/metrics").text
    values = dict(line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
    assert values["vorlesen_renders_ready_total"] == "1"
    assert values["vorlesen_utterances_synthesized_total"] == "7"
    assert values["vorlesen_utterances_cached_total"] == "0"
    assert values["vorlesen_feedback_total"] == "1"
    assert values["vorlesen_queue_depth"] == "0"
    assert float(values["vorlesen_real_time_factor"]) > 0
    assert values['vorlesen_articles{status="ready"}'] == "1"


def test_openapi_and_unknown_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/api/articles/{source_id}" in spec["paths"]
    missing = client.get("/nowhere")
    assert missing.status_code == 404 and missing.json()["reason"] == "not_found"


class _Receiver(BaseHTTPRequestHandler):
    calls: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    fail_first = 1

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
        failing = len(type(self).calls) <= type(self).fail_first
        self.send_response(500 if failing else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.calls = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_webhook_signed_and_retried(
    client: TestClient, service: Service, article_text: str, receiver: str
) -> None:
    service.settings.webhook_urls = receiver
    service.settings.webhook_secret = "s3cret"
    client.put("/api/articles/hook", json={"text": article_text}, headers=AUTH)
    assert service.queue.run_pending() == 2  # the render, then the webhook it queued
    assert len(_Receiver.calls) == 2  # a 500, then accepted after a backoff
    headers, body = _Receiver.calls[-1]
    assert headers["x-vorlesen-event"] == "audio.ready"
    assert verify(
        "s3cret", int(headers["x-vorlesen-timestamp"]), body, headers["x-vorlesen-signature"]
    )
    assert not verify(
        "other", int(headers["x-vorlesen-timestamp"]), body, headers["x-vorlesen-signature"]
    )
    event = json.loads(body)
    assert event["event"] == "audio.ready" and event["source_id"] == "hook"
    assert event["article"]["status"] == "ready" and event["article"]["revision"] == 1


def test_ipa_is_checked_against_the_voice_the_entry_is_for(
    client: TestClient, service: Service
) -> None:
    """A voice at hand is asked for its own phoneme map; others get the shared inventory."""
    voices = voice_cache_dir(service.settings)
    voices.mkdir(parents=True, exist_ok=True)
    model = voices / "xx_XX-tiny-medium.onnx"
    model.write_bytes(b"not loaded to read its config")
    config = {"phoneme_id_map": {"_": [0], "^": [1], "$": [2], " ": [3], "a": [4], "n": [5]}}
    model.with_name(model.name + ".json").write_text(json.dumps(config), encoding="utf-8")

    ok = client.post(
        "/api/lexicon",
        json={"grapheme": "Nana", "kind": "ipa", "value": "nana", "voice": "xx_XX-tiny-medium"},
        headers=AUTH,
    )
    assert ok.status_code == 201, ok.text
    refused = client.post(
        "/api/lexicon",
        json={"grapheme": "Kyjiw", "kind": "ipa", "value": "kɪjɪf", "voice": "xx_XX-tiny-medium"},
        headers=AUTH,
    )
    assert refused.status_code == 422 and refused.json()["reason"] == "ipa_unsupported"
    assert "ɪ" in refused.json()["detail"]
    # The same IPA for all voices is checked against the inventory Piper voices share.
    shared = client.post(
        "/api/lexicon", json={"grapheme": "Kyjiw", "kind": "ipa", "value": "kɪjɪf"}, headers=AUTH
    )
    assert shared.status_code == 201, shared.text
