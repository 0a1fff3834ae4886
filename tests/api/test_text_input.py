"""Text entering the API: cleaned at the edge (controls, bidi, invisible characters),
lone surrogates refused on every endpoint, unknown languages refused."""

from __future__ import annotations

import typing

import feedparser
import pytest
from defusedxml import ElementTree as SafeET
from fastapi.testclient import TestClient
from pydantic import BaseModel

from vorlesen.api import schemas
from vorlesen.cleantext import CleanStr, clean_text
from vorlesen.ingest.cms import from_cms_json
from vorlesen.languages import LANGUAGE_NAMES
from vorlesen.service.container import Service

from .conftest import AUTH

DIRTY_TITLE = "Glocke \u0007 \u001b[31m \u202egnp.exe\u202c \ufeff\u200bEnde"


def test_clean_text_removes_controls_bidi_and_invisibles() -> None:
    assert clean_text(DIRTY_TITLE) == "Glocke  [31m gnp.exe Ende"
    assert clean_text("a\r\nb\rc\td") == "a\nb\nc\td"
    assert clean_text("Stra\u00dfe \u00adweich \U0001f469\u200d\U0001f4bb") == (
        "Stra\u00dfe \u00adweich \U0001f469\u200d\U0001f4bb"
    )
    assert clean_text("x\ud800y\udfffz\ufffe\x85") == "xyz"
    assert clean_text("\u2066isoliert\u2069 \u061c\u200e\u200f") == "isoliert "


def _text_fields(model: type[BaseModel]) -> list[str]:
    found = []
    for name, info in model.model_fields.items():
        args = typing.get_args(info.annotation) or (info.annotation,)
        if str in args:
            found.append(name)
    return found


def test_every_free_text_field_of_the_input_schemas_is_cleaned() -> None:
    """A text field an input body declares is a ``CleanStr``: one declared as plain
    ``str`` (a field someone adds later) fails here."""
    clean_marker = typing.get_args(CleanStr)[1]
    inputs = [
        getattr(schemas, name)
        for name in schemas.__all__
        if name.endswith(("In", "Patch")) and isinstance(getattr(schemas, name), type)
    ]
    assert {m.__name__ for m in inputs} >= {"ArticleIn", "FeedbackIn", "LexiconIn"}
    for model in inputs:
        for name in _text_fields(model):
            info = model.model_fields[name]
            assert clean_marker in info.metadata, f"{model.__name__}.{name} is not a CleanStr"


def test_put_cleans_every_text_field(client: TestClient, service: Service) -> None:
    body = {
        "text": "Ein Text.\u0007\n\nZweiter \u202eAbsatz.",
        "title": DIRTY_TITLE,
        "kicker": "Dach\u202ezeile",
        "teaser": "Tea\u0000ser",
        "voice": "de\u200b",
    }
    r = client.put("/api/articles/dirty", json=body, headers=AUTH)
    assert r.status_code == 202, r.text
    assert r.json()["title"] == clean_text(DIRTY_TITLE)
    payload = service.store.get_article("dirty").payload
    for key in ("text", "title", "kicker", "teaser", "voice"):
        assert clean_text(payload[key]) == payload[key], key
    assert payload["voice"] == "de"


def test_cms_json_fields_are_cleaned() -> None:
    doc = from_cms_json(
        {"title": DIRTY_TITLE, "body_text": "Er sagte \u202eetwas\u202c.", "author": "A\u0007B"}
    )
    assert doc.title == clean_text(DIRTY_TITLE)
    assert doc.author == "AB"
    assert all(clean_text(b.text) == b.text for b in doc.blocks)


def test_feed_stays_valid_with_a_dirty_title(client: TestClient, service: Service) -> None:
    r = client.put(
        "/api/articles/glocke",
        json={"text": "Die Glocke läutet heute.", "title": "Glocke \u0007 \u001b[31m"},
        headers=AUTH,
    )
    assert r.status_code == 202
    assert service.queue.run_pending() == 1
    feed = client.get("/feed.xml")
    SafeET.fromstring(feed.content)  # well-formed
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.entries[0].title.split() == ["Glocke", "[31m"]


# -- lone surrogates ------------------------------------------------------------------------

SURROGATE_BODY = (
    b'{"text": "Ein \\ud800 Text.", "category": "other", "grapheme": "\\udfff",'
    b' "kind": "alias", "value": "x", "status": "done", "milestone": 0}'
)


def _json_routes(client: TestClient) -> list[tuple[str, str]]:
    from fastapi.routing import APIRoute

    routes: list[APIRoute] = []

    def walk(items: object) -> None:
        for item in items:  # type: ignore[attr-defined]
            inner = getattr(item, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif isinstance(item, APIRoute):
                routes.append(item)

    walk(client.app.routes)  # type: ignore[attr-defined]
    found = []
    for route in routes:
        if route.body_field is not None and route.path.startswith("/api/"):
            path = route.path.replace("{source_id}", "a1").replace("{feedback_id}", "1")
            path = path.replace("{entry_id}", "1").replace("{name}", "audio.mp3")
            for method in route.methods - {"HEAD"}:
                found.append((method, path))
    return found


def test_lone_surrogates_get_422_on_every_json_endpoint(client: TestClient) -> None:
    routes = _json_routes(client)
    assert {("PUT", "/api/articles/a1"), ("POST", "/api/lexicon")} <= set(routes), routes
    for method, path in routes:
        r = client.request(
            method,
            path,
            content=SURROGATE_BODY,
            headers={**AUTH, "Content-Type": "application/json"},
        )
        assert r.status_code == 422, (method, path, r.status_code, r.text)
        assert r.json()["reason"] == "invalid_text", r.text
    # A surrogate pair (an emoji written as two escapes) is text, not an error.
    ok = client.put(
        "/api/articles/a1",
        content=b'{"text": "Ein Text mit \\ud83d\\ude00 und \\\\ud800 als Zeichen."}',
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert ok.status_code == 202, ok.text


# -- languages ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["xx", "klingon", "zz-ZZ"])
def test_unknown_language_is_refused_naming_the_known_ones(
    client: TestClient, language: str
) -> None:
    r = client.put(
        "/api/articles/lang", json={"text": "Ein Text.", "language": language}, headers=AUTH
    )
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert repr(language) in detail
    for code in LANGUAGE_NAMES:
        assert code in detail


@pytest.mark.parametrize("language", ["de", "de-AT", "EN", "fr_FR"])
def test_known_languages_are_accepted(client: TestClient, language: str) -> None:
    r = client.put(
        "/api/articles/lang", json={"text": "Ein Text.", "language": language}, headers=AUTH
    )
    assert r.status_code == 202, r.text


# -- SSML phonemes ----------------------------------------------------------------------------


@pytest.mark.parametrize("ph", ["]]<script>[[ʃ", "k☃ksan", "ʃ]] [[a"])
def test_ssml_phonemes_the_voice_cannot_speak_are_refused(client: TestClient, ph: str) -> None:
    from xml.sax.saxutils import quoteattr

    ssml = f"<speak>Die Stadt <phoneme ph={quoteattr(ph)}>Koksan</phoneme> liegt.</speak>"
    r = client.put("/api/articles/ssml-ph", json={"ssml": ssml}, headers=AUTH)
    assert r.status_code == 422, r.text
    assert r.json()["reason"] == "ipa_unsupported"


def test_ssml_phonemes_the_voice_speaks_are_accepted(client: TestClient) -> None:
    ssml = '<speak>Die Stadt <phoneme ph="ˈkɔksan">Koksan</phoneme> liegt.</speak>'
    r = client.put("/api/articles/ssml-ph", json={"ssml": ssml}, headers=AUTH)
    assert r.status_code == 202, r.text
