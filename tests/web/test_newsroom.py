"""The newsroom in German (issue: QA pass): plural of the re-render notice, German
sentences for errors the API reports in English (bad IPA, PLS import, failed renders), the
word "Aussprache korrigieren" pre-fills, what "Vorhören" plays, the demo page of a failed
article, and every newsroom page on a 375 px phone. Screenshots go to pytest's tmp_path."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest

from vorlesen.web.messages import REASONS, german_reason, rerender_notice
from vorlesen.web.routes import COOKIE, word_to_fix

from .conftest import ARTICLE, AUTH, TOKEN, LiveService

ENGLISH_TEXT = (
    "The city council met on Tuesday evening to discuss the new budget. After a long "
    "debate, the members agreed to spend more money on schools and public transport."
)
CRANZAHL = {
    **ARTICLE,
    "title": "Bahn nach Cranzahl fährt wieder",
    "teaser": "Die Strecke war monatelang gesperrt.",
    "text": "Der Verkehrsverbund Mittelsachsen fährt ab Montag wieder nach Cranzahl.",
}


def _admin(live: LiveService) -> httpx.Client:
    """A logged-in newsroom client (its session cookie; no Origin header, as a same-site
    form post without one is accepted)."""
    r = httpx.post(f"{live.url}/admin/login", data={"token": TOKEN})
    assert r.status_code == 303 and r.cookies.get(COOKIE), r.text
    return httpx.Client(
        base_url=live.url, cookies={COOKIE: r.cookies[COOKIE]}, follow_redirects=True
    )


def _wait_status(live: LiveService, source_id: str, status: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        state = httpx.get(f"{live.url}/api/articles/{source_id}").json()
        if state.get("status") == status:
            return state
        time.sleep(0.3)
    raise AssertionError(f"{source_id} not {status} in {timeout} s: {state}")


@pytest.fixture(scope="module")
def failed(live: LiveService) -> str:
    """An article whose render failed (English text, German expected)."""
    source_id = "englisch-gescheitert"
    body = {"title": "Council agrees budget", "text": ENGLISH_TEXT}
    response = httpx.put(f"{live.url}/api/articles/{source_id}", json=body, headers=AUTH)
    assert response.status_code == 202, response.text
    state = _wait_status(live, source_id, "failed")
    assert state["error"]["reason"] == "wrong_language", state
    return source_id


@pytest.fixture(scope="module")
def cranzahl(live: LiveService) -> str:
    source_id = "cranzahl-bahn"
    response = httpx.put(f"{live.url}/api/articles/{source_id}", json=CRANZAHL, headers=AUTH)
    assert response.status_code == 202, response.text
    live.wait_ready(source_id)
    return source_id


# -- the demo page of a failed article -----------------------------------------------------


def test_demo_page_of_failed_article_says_so(live: LiveService, failed: str) -> None:
    de = httpx.get(f"{live.url}/demo/{failed}")
    assert de.status_code == 200
    assert "konnte leider nicht erstellt werden" in de.text
    assert "sobald" not in de.text and "erscheint hier" not in de.text
    assert "wrong_language" not in de.text and "not German" not in de.text  # no internals
    en = httpx.get(f"{live.url}/demo/{failed}?lang=en")
    assert "could not be made" in en.text and "appears here once" not in en.text


# -- German for the newsroom ------------------------------------------------------------------


def test_rerender_notice_singular_and_plural() -> None:
    assert rerender_notice(1) == "1 Artikel wird neu vertont"
    assert rerender_notice(0) == "0 Artikel werden neu vertont"
    assert rerender_notice(3) == "3 Artikel werden neu vertont"


def test_saving_an_entry_says_one_article_in_the_singular(live: LiveService, cranzahl: str) -> None:
    with _admin(live) as client:
        page = client.post(
            "/admin/lexicon",
            data={"grapheme": "Mittelsachsen", "kind": "alias", "value": "Mittel-Sachsen"},
        )
    assert page.status_code == 200, page.text
    assert "„Mittelsachsen“ gespeichert; 1 Artikel wird neu vertont." in page.text
    live.wait_ready(cranzahl, revision=2)


def test_bad_ipa_is_refused_in_german(live: LiveService) -> None:
    form = {"grapheme": "Zwiebelturm", "kind": "ipa", "value": "ʦviːbəl☃"}
    with _admin(live) as client:
        saved = client.post("/admin/lexicon", data=form)
        preview = client.post("/admin/lexicon/preview", data=form)
    assert saved.status_code == 422
    assert REASONS["ipa_unsupported"] in saved.text
    assert "„☃“ (U+2603)" in saved.text
    assert "uses symbols" not in saved.text and "the voice cannot" not in saved.text
    assert preview.status_code == 422
    assert preview.text.startswith(REASONS["ipa_unsupported"])
    assert "„☃“" in preview.text


@pytest.mark.parametrize(
    ("pls", "german"),
    [
        (b"<lexicon", REASONS["xml_malformed"]),
        (
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "x">]><lexicon/>',
            REASONS["xml_entities_forbidden"],
        ),
        (
            b'<lexicon xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" '
            b'version="1.0" alphabet="ipa" xml:lang="de"><lexeme><grapheme>A</grapheme>'
            b"<alias>a</alias></lexeme><lexeme><grapheme>B</grapheme></lexeme></lexicon>",
            "Eintrag 2 der Datei: " + REASONS["pls_invalid"],
        ),
    ],
)
def test_pls_import_errors_in_german(live: LiveService, pls: bytes, german: str) -> None:
    with _admin(live) as client:
        page = client.post(
            "/admin/lexicon/import", files={"file": ("lexikon.pls", pls, "application/xml")}
        )
    assert page.status_code == 422
    assert german in page.text
    assert "well-formed" not in page.text and "needs a" not in page.text


def test_import_notice_counts_in_german(live: LiveService) -> None:
    pls = (
        b'<lexicon xmlns="http://www.w3.org/2005/01/pronunciation-lexicon" version="1.0" '
        b'alphabet="ipa" xml:lang="de"><lexeme><grapheme>Quxwort</grapheme>'
        b"<alias>Kuchs-Wort</alias></lexeme></lexicon>"
    )
    with _admin(live) as client:
        page = client.post(
            "/admin/lexicon/import", files={"file": ("lexikon.pls", pls, "application/xml")}
        )
    assert page.status_code == 200, page.text
    assert "1 Eintrag importiert; 0 Artikel werden neu vertont." in page.text


def test_failed_render_is_explained_in_german(live: LiveService, failed: str) -> None:
    with _admin(live) as client:
        page = client.get("/admin")
    assert page.status_code == 200
    row = page.text.split(f"<code>{failed}</code>", 1)[1].split("</tr>", 1)[0]
    assert REASONS["wrong_language"] in row
    assert "is not" not in row and "--lang" not in row  # the API's English stays out


def test_unknown_reason_still_german() -> None:
    assert german_reason("something_new") == "Das hat nicht geklappt (Fehlercode something_new)."


# -- "Aussprache korrigieren" and "Vorhören" ---------------------------------------------------


@pytest.mark.parametrize(
    ("message", "word"),
    [
        ("Cranzahl wird falsch ausgesprochen", "Cranzahl"),
        ("Das Wort „cranzahl“ klingt komisch, der Rest ist gut", "Cranzahl"),
        ("Der Ort klingt falsch", "Verkehrsverbund"),  # names no word: the longest
        ("", "Verkehrsverbund"),
        ("Mittelsachsen und Cranzahl, beide falsch", "Mittelsachsen"),
    ],
)
def test_word_to_fix_prefers_the_word_the_listener_names(message: str, word: str) -> None:
    sentence = CRANZAHL["text"]
    assert word_to_fix(sentence, message) == word


def test_word_to_fix_looks_in_the_article_when_the_sentence_lacks_it() -> None:
    title = "Bahn nach Mittelsachsen fährt wieder"  # the sentence playing when reported
    text = f"{title}\n\n{CRANZAHL['text']}"
    assert word_to_fix(title, "Cranzahl klingt falsch", text) == "Cranzahl"
    assert word_to_fix(title, "Mittelsachsen und Cranzahl", text) == "Mittelsachsen"
    assert word_to_fix(title, "klingt komisch", text) == "Mittelsachsen"


def test_fix_link_prefills_the_word_from_the_message(live: LiveService, cranzahl: str) -> None:
    timings = httpx.get(f"{live.url}/api/articles/{cranzahl}/timings.json").json()
    index = next(u["index"] for u in timings["utterances"] if "Verkehrsverbund" in u["written"])
    response = httpx.post(
        f"{live.url}/api/articles/{cranzahl}/feedback",
        json={"category": "pronunciation", "message": "Cranzahl klingt falsch", "utterance": index},
    )
    assert response.status_code in (200, 201), response.text
    with _admin(live) as client:
        inbox = client.get("/admin/feedback")
        link = next(
            part.split('"', 1)[0]
            for part in inbox.text.split('href="/admin/lexicon?')[1:]
            if "Cranzahl" in part.split('"', 1)[0]
        )
    query = parse_qs(link.replace("&amp;", "&"))
    assert query["grapheme"] == ["Cranzahl"]
    assert "Verkehrsverbund" in query["sentence"][0]


def _spoken(response: httpx.Response) -> list[str]:
    return unquote(response.headers["x-vorlesen-spoken"]).split("\n")


def test_preview_plays_the_word_then_the_sentence(live: LiveService) -> None:
    sentence = CRANZAHL["text"]
    form = {"grapheme": "Cranzahl", "kind": "alias", "value": "Kranzahl", "sentence": sentence}
    with _admin(live) as client:
        both = client.post("/admin/lexicon/preview", data=form)
        other = client.post(
            "/admin/lexicon/preview", data={**form, "sentence": "Ein Satz ohne das Wort."}
        )
        alone = client.post("/admin/lexicon/preview", data={**form, "sentence": ""})
    assert both.status_code == 200, both.text
    assert both.headers["content-type"] == "audio/wav"
    assert both.headers["x-vorlesen-preview"] == "word+sentence"
    spoken = _spoken(both)
    assert spoken[0] == "Kranzahl"  # the word alone first, with the fix
    assert "nach Kranzahl" in spoken[-1] and "Cranzahl" not in spoken[-1]
    # A sentence the fix does not touch is not read: the editor hears only the word.
    for response in (other, alone):
        assert response.headers["x-vorlesen-preview"] == "word"
        assert _spoken(response) == ["Kranzahl"]
        assert len(response.content) < len(both.content)


# -- the newsroom on a phone --------------------------------------------------------------


OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth)
  .filter(e => !(e.parentElement && e.parentElement.closest('.table-wrap')))
  .map(e => `${e.tagName.toLowerCase()}.${e.className}#${e.id}`).slice(0, 8)"""
"""The elements that reach past the viewport (outside a scrolling table), for the message."""


def _login(page: Any, live: LiveService) -> None:
    page.goto(f"{live.url}/admin/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/admin")


@pytest.mark.slow
def test_newsroom_fits_a_375px_phone(
    shots: Path, browser: Any, live: LiveService, article: str, failed: str, cranzahl: str
) -> None:
    timings = httpx.get(f"{live.url}/api/articles/{cranzahl}/timings.json").json()
    feedback = {
        "category": "pronunciation",
        "message": "Verkehrsverbundgesellschaftsvertrag " * 3,  # long words must wrap, too
        "utterance": timings["utterances"][-1]["index"],
    }
    response = httpx.post(f"{live.url}/api/articles/{cranzahl}/feedback", json=feedback)
    assert response.status_code in (200, 201), response.text
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    page.goto(f"{live.url}/admin/login")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _login(page, live)
    for path in ("/admin", "/admin/feedback", "/admin/lexicon?grapheme=Cranzahl"):
        page.goto(f"{live.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width} px wide at a 375 px viewport: " + str(
            page.evaluate(OVERFLOWING)
        )
        logout = page.locator("form.logout button").bounding_box()
        assert logout is not None and logout["x"] >= 0 and logout["x"] + logout["width"] <= 375
        for table in page.locator("table").all():
            # A wide table scrolls inside its container, which stays within the page.
            box = table.locator("xpath=..").bounding_box()
            assert box is not None and box["x"] + box["width"] <= 375, path
            assert table.evaluate("t => getComputedStyle(t.parentElement).overflowX === 'auto'"), (
                path
            )
        name = urlsplit(path).path.strip("/").replace("/", "-")
        page.screenshot(path=str(shots / f"{name}-375.png"), full_page=True)
    context.close()


def test_an_entry_saved_in_the_newsroom_is_heard_by_read_on_the_same_data_dir(
    live: LiveService, tmp_path: Path
) -> None:
    """One lexicon: what an editor fixes in the newsroom, `vorlesen read` says too."""
    import os
    import subprocess
    import sys

    with _admin(live) as client:
        page = client.post(
            "/admin/lexicon",
            data={"grapheme": "Quedlinburg", "kind": "alias", "value": "Kwedlin-Burg"},
        )
    assert page.status_code == 200, page.text
    text = tmp_path / "t.txt"
    text.write_text("Der Zug fährt nach Quedlinburg.", encoding="utf-8")
    env = {**os.environ, "VORLESEN_DATA_DIR": str(live.service.settings.data_dir)}
    read = subprocess.run(
        [str(Path(sys.executable).parent / "vorlesen"), "read", str(text), "--text-only"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert read.returncode == 0, read.stderr
    assert "nach Kwedlin-Burg" in read.stdout, read.stdout
