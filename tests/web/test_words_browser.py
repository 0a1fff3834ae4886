"""Word by word in a real Chromium: the word being read is highlighted, a click on a word
plays from it, feedback names the word under the playhead, and the newsroom pre-fills
exactly that word and plays its span. Screenshots go to pytest's ``tmp_path``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import AUTH, TOKEN, LiveService
from .test_accessibility import _violations

pytestmark = pytest.mark.slow

AUDIO = "document.querySelector('vorlesen-player').shadowRoot.querySelector('audio')"
WORDS = {
    "title": "Stadtrat beschließt neuen Radweg",
    "text": (
        "Am 1. August beginnen die Arbeiten am Radweg entlang der Mainzer Straße. "
        "Der Stadtrat stimmte am Dienstag mit großer Mehrheit dafür.\n\n"
        "Die Strecke soll im Frühjahr fertig sein."
    ),
}


@pytest.fixture(scope="module")
def words_article(live: LiveService) -> str:
    source_id = "radweg-woerter"
    response = httpx.put(f"{live.url}/api/articles/{source_id}", json=WORDS, headers=AUTH)
    assert response.status_code == 202, response.text
    live.wait_ready(source_id)
    return source_id


def _word_state(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate(
            """() => { const w = document.querySelector('#artikel .vorlesen-word-current');
            if (!w) return {};
            const s = w.closest('.vorlesen-sentence');
            return {text: w.textContent, word: Number(w.dataset.vorlesenWord),
                    sentence: Number(s.dataset.vorlesenIndex),
                    inCurrent: s.classList.contains('vorlesen-current')}; }"""
        )
    )


def test_words_highlight_seek_and_feedback(
    browser: Any, live: LiveService, words_article: str, tmp_path: Path
) -> None:
    state = httpx.get(f"{live.url}/api/articles/{words_article}").json()
    timings = httpx.get(state["timings_json"]).json()
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.goto(f"{live.url}/demo/{words_article}")
    page.wait_for_selector("#artikel .vorlesen-word")
    # "1. August" is one word on the page, as it is one written token
    marked = page.locator("#artikel .vorlesen-word").all_inner_texts()
    assert "1. August" in marked and "Mainzer" in marked

    # A click on a word plays from that word.
    sentence = next(u for u in timings["utterances"] if u["written"].startswith("Am 1."))
    target = next(w for w in sentence["words"] if w["written"] == "Mainzer")
    page.locator("#artikel .vorlesen-word", has_text="Mainzer").first.click()
    page.wait_for_function(f"() => {AUDIO}.currentTime > {target['start']}", timeout=20000)
    page.wait_for_selector("#artikel .vorlesen-word-current")
    now = _word_state(page)
    assert now["sentence"] == sentence["index"] and now["inCurrent"]
    assert now["word"] >= sentence["words"].index(target)
    # no live region announces words: the status region stays as it was
    page.wait_for_function(
        "() => { const w = document.querySelector('#artikel .vorlesen-word-current');"
        " return w && w.textContent !== 'Mainzer'; }",
        timeout=20000,
    )
    page.evaluate(f"{AUDIO}.pause()")
    page.screenshot(path=str(tmp_path / "word-highlight.png"))
    heard = _word_state(page)
    assert heard["text"].strip()
    live_text = page.evaluate(
        "document.querySelector('vorlesen-player').shadowRoot"
        ".querySelector('[aria-live]').textContent"
    )
    assert heard["text"] not in live_text

    # Feedback names the word under the playhead, pre-ticked.
    player = page.locator("vorlesen-player")
    player.locator("button.feedback").click()
    label = player.locator(".fb-word-text")
    label.wait_for()
    word = next(
        w
        for u in timings["utterances"]
        if u["index"] == heard["sentence"]
        for k, w in enumerate(u["words"])
        if k == heard["word"]
    )
    assert word["written"] in label.inner_text()
    assert player.locator(".fb-sentence-text mark").inner_text() == word["written"]
    player.locator("#fb-category").select_option("pronunciation")
    player.locator("#fb-message").fill("Klingt komisch.")
    page.screenshot(path=str(tmp_path / "word-feedback.png"))
    player.locator("button[type=submit]").click()
    player.locator(".fb-status.ok").wait_for()
    context.close()

    # The newsroom shows the word, plays its span and pre-fills it exactly.
    admin = browser.new_page(viewport={"width": 1100, "height": 900})
    admin.goto(f"{live.url}/admin/login")
    admin.fill("#token", TOKEN)
    admin.click("button[type=submit]")
    admin.wait_for_url(f"{live.url}/admin")
    admin.goto(f"{live.url}/admin/feedback")
    item = admin.locator(".fb-item", has_text="Klingt komisch.")
    item.wait_for()
    assert f"„{word['written']}“" in item.inner_text()
    play = item.locator(".play-word")
    assert float(play.get_attribute("data-start")) == word["start"]
    assert float(play.get_attribute("data-end")) == word["end"]
    play.click()
    admin.wait_for_function(
        f"() => document.getElementById('sentence-audio').currentTime >= {word['start']}"
    )
    item.locator("a", has_text="Aussprache korrigieren").click()
    admin.wait_for_url("**/admin/lexicon?**")
    assert admin.input_value("#grapheme") == word["written"]
    # …and the fix form plays the word as listeners hear it now
    again = admin.locator(".play-word")
    assert float(again.get_attribute("data-start")) == word["start"]
    again.click()
    admin.wait_for_function(
        f"() => document.getElementById('sentence-audio').currentTime >= {word['start']}"
    )
    admin.screenshot(path=str(tmp_path / "word-fix.png"), full_page=True)
    admin.close()


def test_reduced_motion_and_accessibility(
    browser: Any, live: LiveService, words_article: str
) -> None:
    context = browser.new_context(
        bypass_csp=True, reduced_motion="reduce", viewport={"width": 1000, "height": 900}
    )
    page = context.new_page()
    page.goto(f"{live.url}/demo/{words_article}")
    page.wait_for_selector("#artikel .vorlesen-word")
    page.locator("#artikel .vorlesen-word", has_text="Stadtrat").last.click()
    page.wait_for_selector("#artikel .vorlesen-word-current")
    page.evaluate(f"{AUDIO}.pause()")
    style = page.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector("
        "'#artikel .vorlesen-word-current'));"
        " return [s.backgroundColor, s.transitionDuration, s.textDecorationLine]; })()"
    )
    assert style[0] in ("rgba(0, 0, 0, 0)", "transparent")
    assert style[1] == "0s" and "underline" in style[2]
    assert _violations(page) == []
    context.close()
