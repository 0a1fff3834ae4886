"""Server-side behaviour of the pages (no browser): security headers, escaping, login,
article layout and charts."""

from __future__ import annotations

from datetime import date

import httpx

from vorlesen.web.charts import line_chart, stacked_bar_chart
from vorlesen.web.routes import CSP
from vorlesen.web.view import article_view

from .conftest import TOKEN, LiveService


def test_demo_page_has_strict_csp_and_no_inline_script(live: LiveService, article: str) -> None:
    response = httpx.get(f"{live.url}/demo/{article}")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "http" not in CSP
    html = response.text
    assert '<script src="/static/player.js" defer></script>' in html
    assert "<script>" not in html and " style=" not in html
    assert '<vorlesen-player article="bruecke-rhein"' in html
    assert "<h1>Neue Brücke über den Rhein eröffnet</h1>" in html


def test_unknown_article_is_a_404_page(live: LiveService) -> None:
    response = httpx.get(f"{live.url}/demo/gibt-es-nicht?lang=en")
    assert response.status_code == 404
    assert "Article not found" in response.text
    assert response.headers["content-security-policy"] == CSP


def test_admin_needs_a_valid_token(live: LiveService) -> None:
    response = httpx.get(f"{live.url}/admin/feedback")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login?next=%2Fadmin%2Ffeedback")
    bad = httpx.post(f"{live.url}/admin/login", data={"token": "wrong"})
    assert bad.status_code == 401
    assert "nicht gültig" in bad.text
    foreign = httpx.post(
        f"{live.url}/admin/login", data={"token": TOKEN}, headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 403
    good = httpx.post(f"{live.url}/admin/login", data={"token": TOKEN, "next": "//evil"})
    assert good.status_code == 303 and good.headers["location"] == "/admin"
    cookie = good.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")


def test_article_view_lays_out_header_and_body() -> None:
    timings = {
        "title": "Fallback",
        "text": "Sport\n\nSieg in Köln\n\nKöln, 3. Mai\n\nErster Absatz.\n\nZitat hier.",
        "utterances": [
            {"index": 0, "paragraph": 0, "kind": "kicker"},
            {"index": 1, "paragraph": 1, "kind": "title"},
            {"index": 2, "paragraph": 2, "kind": "dateline"},
            {"index": 3, "paragraph": 3, "kind": "paragraph"},
            {"index": 4, "paragraph": 4, "kind": "quote"},
        ],
    }
    view = article_view(timings)
    assert (view.kicker, view.title, view.dateline, view.teaser) == (
        "Sport",
        "Sieg in Köln",
        "Köln, 3. Mai",
        None,
    )
    assert [(b.kind, b.text) for b in view.body] == [
        ("paragraph", "Erster Absatz."),
        ("quote", "Zitat hier."),
    ]


def test_charts_escape_text_and_scale_bars() -> None:
    days = [date(2024, 5, 1), date(2024, 5, 2)]
    svg = str(
        stacked_bar_chart(
            days, {"a": [1, 3], "b": [0, 1]}, names={"a": "<script>", "b": "B"}, label="L&L"
        )
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'aria-label="L&amp;L"' in svg
    assert svg.count("<rect") == 3 + 2  # three non-zero bars, two legend swatches
    assert "style=" not in svg
    empty = str(line_chart([], label="RTF", empty="Noch keine Daten."))
    assert "Noch keine Daten." in empty
    line = str(line_chart([("a", 0.1), ("b", 0.3)], label="RTF"))
    assert line.count("<circle") == 2
