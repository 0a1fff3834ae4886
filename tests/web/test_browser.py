"""The listener and editor loop in a real Chromium: play, follow along, change speed, send
feedback, see it in the newsroom next to its sentence, fix the pronunciation, preview it,
save it and watch the article re-render. Screenshots go to pytest's tmp_path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import TOKEN, LiveService

pytestmark = pytest.mark.slow

AUDIO = "document.querySelector('vorlesen-player').shadowRoot.querySelector('audio')"


def _player(page: Any, selector: str) -> Any:
    return page.locator("vorlesen-player").locator(selector)


def _current(page: Any) -> int:
    return int(page.evaluate("document.querySelector('vorlesen-player').dataset.current ?? -1"))


def _login(page: Any, live: LiveService) -> None:
    page.goto(f"{live.url}/admin/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/admin")


def test_listen_feedback_fix_rerender(
    shots: Path, browser: Any, live: LiveService, article: str
) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live.url}/demo/{article}")

    listen = _player(page, "button.listen")
    listen.wait_for()
    assert "Artikel anhören" in listen.inner_text()
    assert ":" in _player(page, ".listen-duration").inner_text()
    disclosure = _player(page, ".disclosure").inner_text()
    assert disclosure.startswith("KI")
    assert "Diese Audioversion wurde künstlich generiert." in disclosure
    page.wait_for_selector("#artikel .vorlesen-sentence")
    page.screenshot(path=str(shots / "player-idle.png"))

    listen.click()
    page.wait_for_function(f"() => {AUDIO}.currentTime > 0.5", timeout=20000)
    page.wait_for_selector("#artikel .vorlesen-current")
    first = _current(page)
    page.wait_for_function(
        f"() => Number(document.querySelector('vorlesen-player').dataset.current) > {first}",
        timeout=20000,
    )
    page.screenshot(path=str(shots / "player-playing.png"))
    highlighted = page.locator("#artikel .vorlesen-current").first.inner_text()
    assert highlighted.strip()

    _player(page, "select.speed").select_option("1.5")
    assert page.evaluate(f"{AUDIO}.playbackRate") == 1.5
    assert page.evaluate(f"{AUDIO}.preservesPitch") is True
    before = page.evaluate(f"{AUDIO}.currentTime")
    page.wait_for_timeout(1000)
    assert page.evaluate(f"{AUDIO}.currentTime") - before > 1.2  # 1.5× speed, ~1 s wall

    _player(page, "button.feedback").click()
    dialog = _player(page, "dialog.fb-dialog")
    assert dialog.is_visible()
    sentence = _player(page, ".fb-sentence-text").inner_text()
    assert sentence.strip()
    _player(page, "#fb-category").select_option("pronunciation")
    _player(page, "#fb-message").fill("Der Name <b>Kowalczyk</b> klingt falsch.")
    page.screenshot(path=str(shots / "feedback-dialog.png"))
    _player(page, "button[type=submit]").click()
    _player(page, ".fb-status.ok").wait_for()
    assert "Danke" in _player(page, ".fb-status").inner_text()
    _player(page, "button.secondary").click()
    page.evaluate(f"{AUDIO}.pause()")

    _login(page, live)
    page.goto(f"{live.url}/admin/feedback")
    item = page.locator(".fb-item", has_text="Kowalczyk")
    item.wait_for()
    # Escaped, not rendered as markup:
    assert "<b>Kowalczyk</b>" in item.inner_text()
    assert page.locator(".fb-sentence blockquote", has_text=sentence.strip()).count() == 1
    play = page.locator(".play-sentence").first
    start, end = float(play.get_attribute("data-start")), float(play.get_attribute("data-end"))
    assert end > start
    play.click()
    page.wait_for_function(f"() => document.getElementById('sentence-audio').currentTime > {start}")
    page.screenshot(path=str(shots / "admin-inbox.png"), full_page=True)

    item.locator("a", has_text="Aussprache korrigieren").click()
    page.wait_for_url("**/admin/lexicon?**")
    # The listener named the word: that is pre-filled, not the sentence's longest word.
    assert page.input_value("#grapheme") == "Kowalczyk"
    page.fill("#value", "Kowaltschick")
    page.click("#preview")
    page.wait_for_function("() => document.getElementById('preview-audio').src.startsWith('blob:')")
    assert "Korrektur" in page.inner_text("#preview-status")
    spoken = page.locator("#preview-spoken li").all_inner_texts()
    assert spoken[0] == "Kowaltschick"  # the word alone, then the sentence with the fix
    assert len(spoken) == 2 and "Anja Kowaltschick sprach" in spoken[1], spoken
    duration = page.evaluate(
        "new Promise(r => { const a = document.getElementById('preview-audio');"
        " if (a.readyState >= 1) r(a.duration); else a.onloadedmetadata = () => r(a.duration); })"
    )
    assert 0.2 < duration < 20
    page.screenshot(path=str(shots / "lexicon-fix.png"), full_page=True)
    page.click("button[type=submit].primary")
    page.wait_for_selector(".notice")
    assert "1 Artikel wird neu vertont" in page.inner_text(".notice")
    assert page.locator("table.lexicon td", has_text="Kowaltschick").count() == 1

    state = live.wait_ready(article, revision=2)
    timings = httpx.get(state["timings_json"]).json()
    spoken = " ".join(u["spoken"] for u in timings["utterances"])
    assert "Kowaltschick" in spoken

    page.goto(f"{live.url}/admin/feedback?status=done")
    assert page.locator(".fb-item", has_text="Kowalczyk").count() == 1  # closed by the fix
    page.goto(f"{live.url}/admin")
    row = page.locator("table.articles tr", has_text=article)
    assert "fertig" in row.inner_text()
    assert page.locator(".charts svg").count() == 3
    page.screenshot(path=str(shots / "admin-articles.png"), full_page=True)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.close()


def _focused(page: Any) -> str:
    return str(
        page.evaluate(
            "(() => { let e = document.activeElement;"
            " while (e && e.shadowRoot && e.shadowRoot.activeElement)"
            " e = e.shadowRoot.activeElement;"
            " return e ? (e.className || e.tagName) : ''; })()"
        )
    )


def test_keyboard_only(browser: Any, live: LiveService, article: str) -> None:
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    page.goto(f"{live.url}/demo/{article}?lang=en")
    _player(page, "button.listen").wait_for()
    assert "Listen to article" in _player(page, "button.listen").inner_text()
    for _ in range(10):
        page.keyboard.press("Tab")
        if _focused(page) == "listen":
            break
    assert _focused(page) == "listen"
    page.keyboard.press("Space")
    page.wait_for_function(f"() => !{AUDIO}.paused && {AUDIO}.currentTime > 0.3", timeout=20000)
    assert "play" in _focused(page)
    page.keyboard.press("k")
    page.wait_for_function(f"() => {AUDIO}.paused")
    at = page.evaluate(f"{AUDIO}.currentTime")
    page.keyboard.press("ArrowRight")
    assert page.evaluate(f"{AUDIO}.currentTime") == pytest.approx(at + 5, abs=0.3)
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(f"{AUDIO}.currentTime") == pytest.approx(at, abs=0.3)
    page.keyboard.press("k")
    page.wait_for_function(f"() => !{AUDIO}.paused")
    page.wait_for_function(
        "() => document.querySelector('vorlesen-player').shadowRoot"
        ".querySelector('[role=status][aria-live]').textContent === 'Playing'"
    )
    for _ in range(12):
        page.keyboard.press("Tab")
        if _focused(page) == "link feedback":
            break
    assert _focused(page) == "link feedback"
    page.keyboard.press("Enter")
    assert _player(page, "dialog.fb-dialog").is_visible()
    assert _focused(page) == "" or "fb-category" in page.evaluate(
        "document.querySelector('vorlesen-player').shadowRoot.activeElement.id"
    )
    page.keyboard.press("Escape")
    assert not _player(page, "dialog.fb-dialog").is_visible()
    page.close()
