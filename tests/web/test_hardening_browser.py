"""What an outsider found, checked in a real Chromium: /docs works offline under its strict
policy; long titles wrap; the lexicon speaks German; a too-large PLS gets the newsroom's
page; the player names its voice and shows no spoofed text. Each screenshot goes to the
test's tmp_path and is checked (no horizontal overflow, the expected text visible)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import TOKEN, LiveService

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
