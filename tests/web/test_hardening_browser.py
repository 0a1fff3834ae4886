"""What an outsider found, checked in a real Chromium: /docs works offline under its strict
policy; long titles wrap; the lexicon speaks German; a too-large PLS gets the newsroom's
page; the player names its voice and shows no spoofed text. Each screenshot goes to the
test's tmp_path and is checked (no horizontal overflow, the expected text visible)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import AUTH, TOKEN, LiveService

pytestmark = pytest.mark.slow


def _page(browser: Any, live: LiveService, width: int = 1000) -> tuple[Any, list[str]]:
    """A page that may reach only the service (anything else fails: offline), collecting
    console errors and CSP violations."""
    page = browser.new_page(viewport={"width": width, "height": 800})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    def only_ours(route: Any) -> None:
        if route.request.url.startswith(live.url):
            route.continue_()
        else:
            problems.append(f"left the origin: {route.request.url}")
            route.abort()

    page.route("**/*", only_ours)
    return page, problems


def _login(page: Any, live: LiveService) -> None:
    page.goto(f"{live.url}/admin/login")
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/admin")


def _no_horizontal_overflow(page: Any) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the window"


def _shot(page: Any, path: Path) -> Path:
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    return path


def test_docs_work_offline_under_a_strict_policy(
    browser: Any, live: LiveService, tmp_path: Path
) -> None:
    page, problems = _page(browser, live)
    page.goto(f"{live.url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20000)
    assert "vorlesen" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-summary-path", timeout=20000)
    assert page.locator(".opblock-summary-path", has_text="/api/articles/{source_id}").count()
    _shot(page, tmp_path / "docs.png")
    assert not problems, problems
    page.close()


def test_a_long_unbroken_title_wraps_in_the_article_table(
    browser: Any, live: LiveService, tmp_path: Path
) -> None:
    title = "Unterbrechungslos" + "x" * 283  # 300 characters, no place to break
    r = httpx.put(
        f"{live.url}/api/articles/lang-titel",
        json={"text": "Ein Text.", "title": title},
        headers=AUTH,
    )
    assert r.status_code == 202, r.text
    page, problems = _page(browser, live)
    _login(page, live)
    link = page.locator("table.articles a", has_text="Unterbrechungslos")
    link.wait_for()
    _shot(page, tmp_path / "articles-long-title.png")
    _no_horizontal_overflow(page)
    wrap = page.evaluate(
        "(() => { const w = document.querySelector('.table-wrap');"
        " return [w.scrollWidth, w.clientWidth]; })()"
    )
    assert wrap[0] <= wrap[1], f"the table is wider than its box: {wrap}"
    box = link.bounding_box()
    assert box is not None and box["height"] > 3 * 16, box  # wrapped onto several lines
    assert page.locator("th", has_text="Feedback").is_visible()
    assert not problems, problems
    page.close()


def test_the_lexicon_names_entry_kinds_in_german(
    browser: Any, live: LiveService, tmp_path: Path
) -> None:
    for entry in (
        {"grapheme": "WHO", "kind": "alias", "value": "Weltgesundheitsorganisation"},
        {"grapheme": "Cranzahl", "kind": "ipa", "value": "ˈkʁantsaːl"},
        {"grapheme": "Brexit", "kind": "lang", "value": "en"},
    ):
        r = httpx.post(f"{live.url}/api/lexicon", json=entry, headers=AUTH)
        assert r.status_code in (200, 201), r.text
    page, problems = _page(browser, live)
    _login(page, live)
    page.goto(f"{live.url}/admin/lexicon")
    page.locator("table.lexicon").wait_for()
    _shot(page, tmp_path / "lexicon.png")
    kinds = page.locator("table.lexicon tbody tr td:nth-child(2)").all_inner_texts()
    assert {"Umschreibung", "IPA-Lautschrift", "Sprache"} <= set(kinds), kinds
    assert not {"alias", "ipa", "lang"} & set(kinds), kinds
    _no_horizontal_overflow(page)
    assert not problems, problems
    page.close()


def test_a_too_large_pls_upload_gets_the_newsrooms_german_page(
    browser: Any, live: LiveService, tmp_path: Path
) -> None:
    from vorlesen.web.routes import MAX_PLS_UPLOAD

    page, problems = _page(browser, live)
    _login(page, live)
    page.goto(f"{live.url}/admin/lexicon")
    upload = page.locator("input[type=file]")
    big = b"<?xml version='1.0'?><lexicon>" + b" " * MAX_PLS_UPLOAD + b"</lexicon>"
    upload.set_input_files(files=[{"name": "gross.pls", "mimeType": "text/xml", "buffer": big}])
    with page.expect_navigation():
        page.locator("form[action='/admin/lexicon/import'] button[type=submit]").click()
    error = page.locator("p.error")
    error.wait_for()
    assert "größer als 5 MB" in error.inner_text()
    assert page.locator("table.lexicon").count() == 1  # the newsroom page, not JSON
    _shot(page, tmp_path / "pls-too-large.png")
    _no_horizontal_overflow(page)
    # Far over any limit: the request limit answers, with the newsroom's page too.
    r = httpx.post(
        f"{live.url}/admin/lexicon/import",
        files={"file": ("riesig.pls", big * 2, "text/xml")},
        cookies={"vorlesen_admin": page.context.cookies()[0]["value"]},
    )
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert "zu groß" in r.text and "Newsroom" in r.text
    problems = [p for p in problems if "status of 413" not in p]
    assert not problems, problems
    page.close()


def test_the_player_names_its_voice_and_spoofed_titles_are_gone(
    browser: Any, live: LiveService, article: str, tmp_path: Path
) -> None:
    spoofed = "Rechnung \u202egnp.exe\u202c und \u2066mehr\u2069"
    r = httpx.put(
        f"{live.url}/api/articles/spoof",
        json={"text": "Die Rechnung liegt bei.", "title": spoofed, "language": "de"},
        headers=AUTH,
    )
    assert r.status_code == 202, r.text
    live.wait_ready("spoof")
    page, problems = _page(browser, live)
    page.goto(f"{live.url}/demo/spoof")
    page.locator("vorlesen-player").locator("button.listen").wait_for()
    heading = page.inner_text("h1")
    assert heading == "Rechnung gnp.exe und mehr", repr(heading)
    page.locator("vorlesen-player").locator("button.more").click()
    info = page.locator("vorlesen-player").locator(".info-voice").inner_text()
    assert info == "Gelesen von der künstlichen Stimme eSpeak NG (synthetisch).", info
    _shot(page, tmp_path / "player-info.png")
    _login(page, live)
    cell = page.locator("table.articles a", has_text="gnp.exe").inner_text()
    assert cell == "Rechnung gnp.exe und mehr", repr(cell)
    html = page.content()
    for ch in ("\u202e", "\u202c", "\u2066", "\u2069"):
        assert ch not in html
    assert not problems, problems
    page.close()
