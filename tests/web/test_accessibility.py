"""axe-core over every page a listener or an editor sees, in a real Chromium: the demo page
with the player, the player's feedback dialog, and each newsroom page. Zero violations.

axe-core comes from the npm registry as one file, vendored under ``tests/web/axe/`` (its
MPL-2.0 header kept; version and checksum in ``tests/web/axe/README.md``), so a fresh
clone runs this with no network. Pages are loaded with CSP bypassed only so that the
test can inject axe; the pages themselves are unchanged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import AUTH, TOKEN, LiveService

pytestmark = pytest.mark.slow

AXE = Path(__file__).resolve().parent / "axe" / "axe.min.js"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
"""axe-core 4.14.1's axe.min.js as published on npm (its sri-history.json agrees)."""

_RUN = """async () => {
  const result = await axe.run(document, {
    resultTypes: ["violations"],
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                    "best-practice"]},
  });
  return result.violations.map(v => `${v.id} (${v.impact}): ` + v.nodes.map(
    n => `${JSON.stringify(n.target)} ${n.failureSummary}`).join(" | "));
}"""


def test_the_vendored_axe_is_the_published_file() -> None:
    assert hashlib.sha256(AXE.read_bytes()).hexdigest() == AXE_SHA256
    assert AXE.read_text("utf-8").startswith("/*! axe v4.14.1")


def _violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found: list[str] = page.evaluate(_RUN)
    return found


@pytest.fixture
def page(browser: Any) -> Any:
    context = browser.new_context(bypass_csp=True, viewport={"width": 1100, "height": 900})
    yield context.new_page()
    context.close()


def test_demo_page_and_feedback_dialog(page: Any, live: LiveService, article: str) -> None:
    page.goto(f"{live.url}/demo/{article}")
    player = page.locator("vorlesen-player")
    listen = player.locator("button.listen")
    listen.wait_for()
    page.wait_for_function(
        "() => document.querySelector('vorlesen-player').shadowRoot"
        ".querySelector('.listen-duration').textContent.includes(':')"
    )
    # WCAG 2.5.3: the name a voice-control user says is the text they see.
    name = page.evaluate(
        "() => { const b = document.querySelector('vorlesen-player').shadowRoot"
        ".querySelector('button.listen'); return b.getAttribute('aria-label'); }"
    )
    assert name is None or name.startswith("Artikel anhören")
    assert _violations(page) == []
    player.locator("button.feedback").click()
    player.locator("dialog.fb-dialog").wait_for()
    assert _violations(page) == []
    page.goto(f"{live.url}/demo/no-such-article")
    assert _violations(page) == []


def test_every_newsroom_page(page: Any, live: LiveService) -> None:
    """Each page with content in it: an article of its own with a report on a sentence
    (the session's article stays the browser test's), a lexicon entry no article uses."""
    source_id = "barrierefrei"
    text = "Rampen für alle\n\nDie Stadt baut zwölf neue Rampen. Sie kosten wenig."
    r = httpx.put(f"{live.url}/api/articles/{source_id}", json={"text": text}, headers=AUTH)
    assert r.status_code == 202, r.text
    live.wait_ready(source_id)
    feedback = {"category": "number", "message": "Zwölf klingt seltsam", "utterance": 1}
    r = httpx.post(f"{live.url}/api/articles/{source_id}/feedback", json=feedback)
    assert r.status_code == 201, r.text
    entry = {"grapheme": "Xylofonzzz", "kind": "alias", "value": "Xylofon"}
    saved = httpx.post(f"{live.url}/api/lexicon", json=entry, headers=AUTH)
    assert saved.status_code == 201 and saved.json()["rerendered"] == []
    page.goto(f"{live.url}/admin/login")
    assert _violations(page) == [], "login"
    page.fill("#token", "wrong")
    page.click("button[type=submit]")
    assert _violations(page) == [], "login, refused"
    page.fill("#token", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/admin")
    for path in (
        "/admin",
        "/admin?status=ready",
        "/admin/feedback",
        "/admin/feedback?status=done",
        "/admin/lexicon",
    ):
        page.goto(f"{live.url}{path}")
        assert _violations(page) == [], path
    # The newsroom's error page: a report that is gone by the time "Erledigt" is pressed.
    page.goto(f"{live.url}/admin/feedback")
    form = page.locator("form[action^='/admin/feedback/']").first
    form.evaluate("f => { f.action = '/admin/feedback/999999/status'; }")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("p.error").count() == 1
    assert _violations(page) == [], "error page"
