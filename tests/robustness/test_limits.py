"""What one article may cost: too much text, too many sentences, too many hours of audio
are each refused with their own reason before synthesis starts (nothing reaches the
utterance cache), and a render reports how many utterances it will synthesize first."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from support import service_settings
from vorlesen.config import Settings
from vorlesen.service.container import Service

from .conftest import write_report_row

TOKEN = "limits-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SENTENCE = "Der Rat hat heute lange über den Haushalt beraten. "


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    env = {
        "VORLESEN_API_TOKENS": TOKEN,
        "VORLESEN_MAX_ARTICLE_CHARS": "3000",
        "VORLESEN_MAX_ARTICLE_UTTERANCES": "40",
        "VORLESEN_MAX_ARTICLE_AUDIO_HOURS": "0.02",  # 72 s
        "VORLESEN_RENDER_LEASE_S": "1",  # renewed (progress written) every 0.25 s
    }
    unset = ("VORLESEN_DATABASE_URL", "VORLESEN_REDIS_URL", "VORLESEN_PUBLIC_URL")
    yield from service_settings(tmp_path, monkeypatch, env, unset)


def _synthesized_anything(settings: Settings) -> bool:
    cache = settings.cache_dir / "utterances"
    return cache.exists() and any(p.is_file() for p in cache.rglob("*"))


def _render_fails(client: TestClient, service: Service, source_id: str, body: dict) -> dict:
    r = client.put(f"/api/articles/{source_id}", json=body, headers=AUTH)
    assert r.status_code == 202, r.text
    started = time.monotonic()
    assert service.queue.run_pending() == 1
    assert time.monotonic() - started < 30
    state = client.get(f"/api/articles/{source_id}").json()
    assert state["status"] == "failed", state
    return dict(state["error"])


def test_each_limit_is_refused_with_its_own_reason_before_synthesis(
    client: TestClient, service: Service, settings: Settings
) -> None:
    refused = 0
    # Plain text over the limit: refused at once by the API.
    r = client.put("/api/articles/long", json={"text": SENTENCE * 100}, headers=AUTH)
    assert r.status_code == 422 and r.json()["reason"] == "too_many_characters", r.text
    refused += 1
    # HTML is only text after extraction: refused by the render, before synthesis.
    html = f"<html><body><article><h1>Lang</h1><p>{SENTENCE * 80}</p></article></body></html>"
    error = _render_fails(client, service, "long-html", {"html": html})
    assert error["reason"] == "too_many_characters", error
    refused += 1
    short = "Es regnet heute. " * 50  # 850 characters, 50 sentences
    error = _render_fails(client, service, "many", {"text": short, "language": "de"})
    assert error["reason"] == "too_many_utterances", error
    refused += 1
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 20  # 520 characters, spelled one by one
    ssml = f'<speak><say-as interpret-as="characters">{letters}</say-as></speak>'
    error = _render_fails(client, service, "spelled", {"ssml": ssml})
    assert error["reason"] == "too_much_audio", error
    assert "minutes of audio" in error["message"]
    refused += 1
    assert not _synthesized_anything(settings)
    write_report_row(
        group="hostile input",
        item="limits per article",
        tried=refused,
        refused=refused,
        note="characters (API and render), utterances, audio hours; nothing synthesized",
    )


def test_utterances_total_is_known_before_synthesis(
    client: TestClient, service: Service, settings: Settings
) -> None:
    """While the render runs the article already says how many utterances it has, and
    the count done moves (so a long render is visibly alive)."""
    settings.max_article_audio_hours = 1.0
    settings.max_article_utterances = 100
    settings.max_article_chars = 10_000
    text = " ".join(f"Im Jahr {1900 + i} geschah in der Stadt etwas anderes." for i in range(60))
    r = client.put("/api/articles/progress", json={"text": text, "language": "de"}, headers=AUTH)
    assert r.status_code == 202
    worker = threading.Thread(target=service.queue.run_pending)
    worker.start()
    seen: list[tuple[int | None, int | None]] = []
    try:
        while worker.is_alive():
            state = service.store.get_article("progress")
            if state.status == "rendering":
                seen.append((state.utterances_total, state.utterances_synthesized))
            time.sleep(0.05)
    finally:
        worker.join()
    final = service.store.get_article("progress")
    assert final.status == "ready", (final.error_reason, final.error_message)
    assert final.utterances_total == 60
    totals = {total for total, _ in seen if total is not None}
    assert totals == {60}, seen
    assert any(done is not None and 0 < done < 60 for _, done in seen), sorted(set(seen), key=str)
