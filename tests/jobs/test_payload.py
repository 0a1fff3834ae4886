"""What a CMS sends beside the page: its header parts replace extraction's, in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from vorlesen.config import Settings
from vorlesen.errors import InputError
from vorlesen.jobs.queue import JobQueue
from vorlesen.service.payload import ArticlePayload
from vorlesen.service.render import document_from_payload
from vorlesen.store.blobs import LocalBlobStore
from vorlesen.store.db import Store

PAGE = (Path(__file__).parent.parent / "fixtures" / "pages" / "bahn-sanierung.html").read_text(
    "utf-8"
)


def _kinds(payload: dict[str, str]) -> list[tuple[str, str]]:
    stored = ArticlePayload.from_stored({"html": PAGE, **payload})
    doc = document_from_payload(stored, Settings(offline=True))
    return [(b.kind, b.text[:20]) for b in doc.blocks][:5]


def test_page_alone() -> None:
    assert [k for k, _ in _kinds({})] == ["kicker", "title", "dateline", "teaser", "paragraph"]


@pytest.mark.parametrize("kind", ["kicker", "title", "teaser"])
def test_a_given_part_replaces_the_pages_in_its_place(kind: str) -> None:
    got = _kinds({kind: "Vom CMS"})
    assert [k for k, _ in got] == ["kicker", "title", "dateline", "teaser", "paragraph"]
    assert dict(got)[kind] == "Vom CMS"


def test_a_part_the_page_lacks_goes_where_an_article_has_it() -> None:
    text = "Bahn sperrt Strecke\n\nDie Bahn saniert die Strecke ab August. Pendler brauchen Geduld."
    doc = document_from_payload(
        ArticlePayload(text=text, teaser="Der Vorspann.", kicker="Verkehr"), Settings(offline=True)
    )
    assert [(b.kind, b.text) for b in doc.blocks][:3] == [
        ("kicker", "Verkehr"),
        ("title", "Bahn sperrt Strecke"),
        ("teaser", "Der Vorspann."),
    ]


def test_the_payload_is_stored_with_its_version_and_read_back() -> None:
    payload = ArticlePayload(text="Hallo.", voice="de_DE-thorsten-medium", kicker="Lokal")
    stored = payload.stored()
    assert stored == {
        "text": "Hallo.",
        "voice": "de_DE-thorsten-medium",
        "kicker": "Lokal",
        "version": 1,
    }
    assert ArticlePayload.from_stored(stored) == payload
    assert "version" not in payload.content()


def test_a_payload_stored_before_versions_reads_as_version_1() -> None:
    assert ArticlePayload.from_stored({"url": "https://example.org/a"}).version == 1


@pytest.mark.parametrize(
    ("stored", "reason"),
    [
        ({"text": "Hallo.", "version": 2}, "payload_version"),
        ({"text": "Hallo.", "colour": "blue"}, "bad_payload"),
        ({"text": 5}, "bad_payload"),
        ({"text": "Hallo.", "version": "1"}, "bad_payload"),
    ],
)
def test_a_payload_this_vorlesen_cannot_read_is_refused(
    stored: dict[str, object], reason: str
) -> None:
    with pytest.raises(InputError) as caught:
        ArticlePayload.from_stored(stored)
    assert caught.value.reason == reason


def test_a_worker_records_a_payload_from_a_newer_vorlesen_as_failed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, offline=True, engine="espeak")
    store = Store.from_settings(settings)
    queue = JobQueue(settings, store, LocalBlobStore(settings.data_dir))
    try:
        article, _ = store.put_article("a1", {"text": "Hallo.", "version": 99}, "h1")
        assert queue.render("a1", article.revision).startswith("failed")
        state = store.get_article("a1")
        assert (state.status, state.error_reason) == ("failed", "payload_version")
        assert "upgrade this worker" in (state.error_message or "")
    finally:
        store.close()
