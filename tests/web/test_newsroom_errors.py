"""Every error the newsroom can meet is a newsroom page in German (never the API's JSON),
and a PLS file just over the upload limit is answered by the form, not the request limit."""

from __future__ import annotations

import httpx

from vorlesen.web.routes import BODY_LIMITS, MAX_PLS_UPLOAD

from .conftest import TOKEN, LiveService


def _session(live: LiveService) -> dict[str, str]:
    r = httpx.post(f"{live.url}/admin/login", data={"token": TOKEN})
    assert r.status_code == 303
    return {"vorlesen_admin": r.cookies["vorlesen_admin"]}


def _is_newsroom_page(r: httpx.Response, status: int) -> None:
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("text/html"), r.headers["content-type"]
    assert "vorlesen · Newsroom" in r.text and 'lang="de"' in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]
    for english in ("Not Found", "Method Not Allowed", "problem", '"reason"'):
        assert english not in r.text, english


def test_unknown_pages_methods_and_bad_forms_get_newsroom_pages(live: LiveService) -> None:
    cookies = _session(live)
    _is_newsroom_page(httpx.get(f"{live.url}/admin/nope", cookies=cookies), 404)
    _is_newsroom_page(httpx.get(f"{live.url}/admin/lexicon/import", cookies=cookies), 405)
    _is_newsroom_page(httpx.put(f"{live.url}/admin/logout", cookies=cookies), 405)
    bad_form = httpx.post(f"{live.url}/admin/feedback/abc/status", cookies=cookies)
    _is_newsroom_page(bad_form, 422)
    no_file = httpx.post(f"{live.url}/admin/lexicon/import", cookies=cookies, data={"x": "1"})
    _is_newsroom_page(no_file, 422)
    # The API keeps answering JSON problems.
    api = httpx.get(f"{live.url}/api/nope")
    assert api.status_code == 404 and api.json()["reason"] == "not_found"


def test_a_pls_just_over_five_megabytes_is_refused_by_the_form(live: LiveService) -> None:
    """The form's overhead (multipart boundary, headers) fits in the request limit, so the
    editor reads the newsroom's own sentence about the file, not a 413 from the limit."""
    assert BODY_LIMITS["/admin/lexicon/import"] > MAX_PLS_UPLOAD
    cookies = _session(live)
    for size in (MAX_PLS_UPLOAD + 1, MAX_PLS_UPLOAD + 1000):
        r = httpx.post(
            f"{live.url}/admin/lexicon/import",
            files={"file": ("gross.pls", b" " * size, "text/xml")},
            cookies=cookies,
            timeout=30,
        )
        _is_newsroom_page(r, 413)
        assert "größer als 5 MB" in r.text and "Aussprache-Lexikon" in r.text
    huge = httpx.post(
        f"{live.url}/admin/lexicon/import",
        files={"file": ("riesig.pls", b" " * (2 * MAX_PLS_UPLOAD), "text/xml")},
        cookies=cookies,
        timeout=30,
    )
    _is_newsroom_page(huge, 413)
    assert "zu groß" in huge.text


def test_lexicon_form_fields_are_cleaned_like_the_apis(live: LiveService) -> None:
    cookies = _session(live)
    r = httpx.post(
        f"{live.url}/admin/lexicon",
        data={"grapheme": "\u202eKoksan\u202c", "kind": "alias", "value": "Kok\u200bsan"},
        cookies=cookies,
    )
    assert r.status_code == 303, r.text
    page = httpx.get(f"{live.url}/admin/lexicon", cookies=cookies).text
    assert "<td>Koksan</td>" in page and "\u202e" not in page and "\u200b" not in page
