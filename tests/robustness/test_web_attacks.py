"""The public and newsroom web surface under attack: XSS, CSP, traversal, header injection,
oversized bodies, auth bypass, token storage and the feedback rate limit.

All through the real app (``create_app``) in process. Routes are enumerated from the app
itself, so a route added later is attacked too. Existing tests this does not repeat:
``tests/web/test_pages.py`` (CSP of the demo page, login/CSRF, chart escaping) and
``tests/api/test_service.py`` (basic 401/403, a 6-post rate limit).
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text

from vorlesen.http.deps import require_token
from vorlesen.server import create_app
from vorlesen.service import auth as deps
from vorlesen.service.container import Service
from vorlesen.store import db
from vorlesen.web.routes import BODY_LIMITS

from .conftest import (
    HOSTILE_AUTH,
    HOSTILE_FEEDBACK_PER_MINUTE,
    HOSTILE_MAX_REQUEST_BYTES,
    HOSTILE_TOKEN,
    report_refusals,
)

TRIED: dict[str, int] = {}
REFUSED: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report_refusals(request.config, TRIED, REFUSED)


def _count(item: str, refused: bool = True) -> None:
    TRIED[item] = TRIED.get(item, 0) + 1
    REFUSED[item] = REFUSED.get(item, 0) + int(refused)


def _routes(client: TestClient) -> list[APIRoute]:
    """Every endpoint of the app, including those of included routers."""
    found: list[APIRoute] = []

    def walk(routes: Any) -> None:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif isinstance(route, APIRoute):
                found.append(route)

    walk(client.app.routes)  # type: ignore[attr-defined]
    return found


def _needs_token(route: APIRoute) -> bool:
    def calls(dependant: Any) -> Iterator[Any]:
        for dep in dependant.dependencies:
            yield dep.call
            yield from calls(dep)

    return require_token in set(calls(route.dependant))


def _login(client: TestClient) -> None:
    r = client.post("/admin/login", data={"token": HOSTILE_TOKEN}, follow_redirects=False)
    assert r.status_code == 303, r.text


# -- XSS ---------------------------------------------------------------------------------

PAYLOADS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "'\"><iframe src=javascript:alert(1)>",
    "</title><script>alert(2)</script>",
    "{{7*7}}{% raw %}${7*7}",
    '<a href="javascript:alert(3)">klick</a>',
]
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster"})


class _Tags(HTMLParser):
    """Collects every start tag with its (unescaped) attributes, as a browser would see it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _clean(html: str, where: str) -> None:
    """No element or attribute a payload could have made: every real tag is the templates'.

    Escaped text (and escaped attribute values) may still read "onerror=" or
    "javascript:"; what must not exist is a ``<script>`` other than the pages' own
    ``/static`` ones, an ``<img>``/``<iframe>``/``<svg>`` (but the charts) from a payload, an
    event-handler attribute, or a ``javascript:`` URL in a URL attribute.
    """
    parser = _Tags()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        context = f"{where}: <{tag} {attrs}>"
        names = {name.lower() for name, _ in attrs}
        assert not any(name.startswith("on") for name in names), context
        for name, value in attrs:
            if name.lower() in _URL_ATTRS and value:
                assert not value.strip().lower().startswith(("javascript:", "data:text")), context
        assert tag not in ("iframe", "object", "embed"), context
        if tag == "svg":  # the newsroom's own charts only
            assert re.match(r"chart\b", dict(attrs).get("class") or ""), context
        if tag == "script":
            assert (dict(attrs).get("src") or "").startswith("/static/"), context
        if tag == "img":
            assert dict(attrs).get("src") != "x", context


def test_payloads_are_rendered_escaped(
    hostile_client: TestClient, hostile_service: Service
) -> None:
    """Article titles, kickers, teasers and text, feedback messages and lexicon graphemes
    full of markup appear escaped on the demo page and every newsroom page."""
    joined = " ".join(PAYLOADS)
    article = {
        "kicker": PAYLOADS[1],
        "title": PAYLOADS[0],
        "teaser": PAYLOADS[5],
        "text": f"{PAYLOADS[7]}\n\nDie Regierung hat {joined} beschlossen.",
    }
    r = hostile_client.put("/api/articles/xss", json=article, headers=HOSTILE_AUTH)
    assert r.status_code == 202, r.text
    hostile_service.queue.run_pending()  # render with espeak: timings carry the text too
    for payload in PAYLOADS:
        r = hostile_client.post(
            "/api/articles/xss/feedback",
            json={"category": "other", "message": payload, "utterance": 0},
        )
        assert r.status_code in (201, 429), r.text
    for payload in PAYLOADS[:4]:
        hostile_client.post(
            "/api/lexicon",
            headers=HOSTILE_AUTH,
            json={"grapheme": f"Wort {payload}", "kind": "alias", "value": payload},
        )
    pages = [
        "/demo/xss",
        "/demo/xss?lang=en",
        f"/demo/{PAYLOADS[0]}",
        "/admin/login?next=" + PAYLOADS[0],
    ]
    for page in pages:
        r = hostile_client.get(page)
        _clean(r.text, page)
        _count("web: xss payloads")
    _login(hostile_client)
    admin = [
        "/admin",
        "/admin/feedback",
        "/admin/feedback?status=done",
        "/admin/lexicon",
        "/admin/lexicon?q=" + PAYLOADS[1],
        "/admin/lexicon?grapheme="
        + PAYLOADS[0]
        + "&sentence="
        + PAYLOADS[2]
        + "&saved="
        + PAYLOADS[4]
        + "&rerendered=1",
    ]
    for page in admin:
        r = hostile_client.get(page)
        assert r.status_code == 200, (page, r.status_code)
        _clean(r.text, page)
        _count("web: xss payloads")
    feedback_page = hostile_client.get("/admin/feedback").text
    assert "&lt;script&gt;alert(" in feedback_page  # present, and escaped
    r = hostile_client.post(
        "/admin/lexicon",
        data={"grapheme": PAYLOADS[0], "kind": "alias", "value": PAYLOADS[1]},
        follow_redirects=True,
    )
    _clean(r.text, "POST /admin/lexicon")
    _count("web: xss payloads")


# -- CSP on every HTML page --------------------------------------------------------------


def _sample_path(path: str) -> str:
    return (
        path.replace("{source_id}", "xss")
        .replace("{name}", "audio.mp3")
        .replace("{feedback_id}", "1")
        .replace("{entry_id}", "1")
    )


def test_every_html_page_has_a_csp(hostile_client: TestClient) -> None:
    """Crawl every GET route, logged out and logged in, with existing and unknown ids: each
    text/html answer carries a Content-Security-Policy."""
    hostile_client.put("/api/articles/xss", json={"text": "Ein Text."}, headers=HOSTILE_AUTH)
    html_pages = 0
    for logged_in in (False, True):
        if logged_in:
            _login(hostile_client)
        for route in _routes(hostile_client):
            if "GET" not in route.methods:
                continue
            for path in {_sample_path(route.path), route.path.replace("{", "").replace("}", "")}:
                r = hostile_client.get(path, follow_redirects=True)
                if r.headers.get("content-type", "").startswith("text/html"):
                    html_pages += 1
                    csp = r.headers.get("content-security-policy", "")
                    assert "default-src" in csp and "frame-ancestors 'none'" in csp, path
                    _count("web: csp on html pages")
    for path in ["/docs", "/redoc", "/docs/oauth2-redirect", "/nope", "/admin/nope"]:
        r = hostile_client.get(path)
        if r.headers.get("content-type", "").startswith("text/html"):
            assert "default-src" in r.headers.get("content-security-policy", ""), path
            _count("web: csp on html pages")
    assert html_pages >= 8


# -- path traversal ----------------------------------------------------------------------

TRAVERSAL_IDS = [
    "..",
    "../etc/passwd",
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "%2e%2e",
    "..%5c..%5cwindows",
    "a%2f..%2f..%2fb",
    "a%00b",
    "%00",
    "x" * 5000,
    "..%252f..%252f",
    ".hidden",
    "a%0d%0aSet-Cookie:%20x=1",
    "%c0%ae%c0%ae%2f",
    "~root",
    "%2F%2Fetc%2Fpasswd",
    "a;b",
    "a%20b",
]


def test_traversal_in_ids_finds_nothing(
    hostile_client: TestClient, hostile_service: Service
) -> None:
    """On every route with a ``{source_id}``, hostile ids give 404/405/422, never a file
    and never a server error; nothing is created outside the data directory."""
    data_dir = hostile_service.settings.data_dir
    before = {p for p in data_dir.parent.rglob("*")}
    for route in _routes(hostile_client):
        if "{source_id}" not in route.path:
            continue
        for method in sorted(route.methods):
            for bad in TRAVERSAL_IDS:
                path = route.path.replace("{source_id}", bad).replace("{name}", "audio.mp3")
                body = (
                    {"text": "Hallo Welt."}
                    if method == "PUT"
                    else {"category": "other"}
                    if path.endswith("/feedback")
                    else {"milestone": 0}
                    if path.endswith("/listens")
                    else None
                )
                r = hostile_client.request(method, path, json=body, headers=HOSTILE_AUTH)
                assert r.status_code in (404, 405, 422, 429), (method, path[:80], r.status_code)
                assert b"root:" not in r.content
                _count("web: traversal in ids")
    for path in [
        "/static/..%2f..%2fapi%2fapp.py",
        "/static/../config.py",
        "/static/%2e%2e/%2e%2e/config.py",
        "/api/articles/x/..%2f..%2fconfig.py",
    ]:
        r = hostile_client.get(path)
        assert r.status_code in (404, 422), path
        assert b"BaseSettings" not in r.content and b"import" not in r.content
        _count("web: traversal in ids")
    after = {p for p in data_dir.parent.rglob("*")}
    assert all(str(p).startswith(str(data_dir)) or p in before for p in after - before)


# -- header injection --------------------------------------------------------------------


def test_no_header_injection(hostile_client: TestClient, hostile_service: Service) -> None:
    """CR/LF in ids, titles and feedback never become response headers."""
    crlf = "Titel\r\nSet-Cookie: injected=1\r\nX-Injected: 1"
    r = hostile_client.put(
        "/api/articles/hdr", json={"title": crlf, "text": crlf + " Text."}, headers=HOSTILE_AUTH
    )
    assert r.status_code == 202
    hostile_service.queue.run_pending()
    hostile_client.post("/api/articles/hdr/feedback", json={"category": "other", "message": crlf})
    _login(hostile_client)
    responses = [
        hostile_client.get("/api/articles/hdr"),
        hostile_client.get("/api/articles/hdr/audio.mp3"),
        hostile_client.get("/api/articles/hdr/captions.vtt"),
        hostile_client.get("/demo/hdr"),
        hostile_client.get("/feed.xml"),
        hostile_client.get("/admin/lexicon.pls"),
        hostile_client.get("/admin/feedback"),
        hostile_client.get("/api/articles/hdr%0d%0aX-Injected:%201"),
        hostile_client.get("/admin/login?next=/admin%0d%0aX-Injected:%201"),
        hostile_client.post(
            "/admin/login",
            data={"token": HOSTILE_TOKEN, "next": "/admin\r\nX-Injected: 1"},
            follow_redirects=False,
        ),
    ]
    for r in responses:
        assert "x-injected" not in r.headers, r.url
        assert "injected=1" not in r.headers.get("set-cookie", ""), r.url
        for name, value in r.headers.items():
            assert "\r" not in value and "\n" not in value, (r.url, name)
        _count("web: header injection")
    disposition = hostile_client.get("/admin/lexicon.pls").headers["content-disposition"]
    assert disposition == 'attachment; filename="lexikon.pls"'


# -- oversized bodies --------------------------------------------------------------------


def _chunks(size: int) -> Iterator[bytes]:
    yield b'{"text": "'
    sent = 0
    while sent < size:
        yield b"a" * 16384
        sent += 16384
    yield b'"}'


@pytest.mark.parametrize(
    "method,path",
    [
        ("PUT", "/api/articles/big"),
        ("POST", "/api/articles/big/feedback"),
        ("POST", "/api/lexicon"),
        ("POST", "/admin/lexicon/import"),
        ("POST", "/admin/login"),
        ("PUT", "/api/lexicon/1"),
        ("POST", "/api/articles/big/listens"),
    ],
)
def test_oversized_bodies_get_413(hostile_client: TestClient, method: str, path: str) -> None:
    """Over the request limit: 413, whether Content-Length says so or the body is chunked."""
    size = HOSTILE_MAX_REQUEST_BYTES * 3
    if path in BODY_LIMITS:  # a form with a file gets room for it (and its own error)
        size = BODY_LIMITS[path] + 1
    kind = "application/x-www-form-urlencoded" if path.startswith("/admin") else "application/json"
    headers = {**HOSTILE_AUTH, "Content-Type": kind}
    declared = hostile_client.request(
        method, path, content=b"{" + b" " * size + b"}", headers=headers
    )
    assert declared.status_code == 413, (path, declared.status_code)
    if path.startswith("/admin"):  # the newsroom's own German page
        assert declared.headers["content-type"].startswith("text/html")
        assert "zu groß" in declared.text
    else:
        assert declared.json()["reason"] == "too_large"
    chunked = hostile_client.request(method, path, content=_chunks(size), headers=headers)
    assert chunked.status_code == 413, (path, chunked.status_code)
    lying = hostile_client.request(
        method, path, content=_chunks(size), headers={**headers, "Content-Length": "10"}
    )
    assert lying.status_code in (400, 413, 422), (path, lying.status_code)
    _count("web: oversized bodies", True)
    _count("web: oversized bodies", True)
    _count("web: oversized bodies", True)


# -- authentication ----------------------------------------------------------------------

BAD_AUTH: list[dict[str, str]] = [
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer     "},
    {"Authorization": f"Basic {HOSTILE_TOKEN}"},
    {"Authorization": f"Token {HOSTILE_TOKEN}"},
    {"Authorization": HOSTILE_TOKEN},
    {"Authorization": f"Bearer{HOSTILE_TOKEN}"},
    {"Authorization": f"Bearer {HOSTILE_TOKEN.upper()}"},
    {"Authorization": f"Bearer {HOSTILE_TOKEN[:-1]}"},
    {"Authorization": f"Bearer {HOSTILE_TOKEN}x"},
    {"Authorization": f"Bearer {HOSTILE_TOKEN} {HOSTILE_TOKEN}"},
    {"Authorization": f"Bearer {HOSTILE_TOKEN[:5]} {HOSTILE_TOKEN[5:]}"},
    {"Authorization": f"Bearer {HOSTILE_TOKEN},other"},
    {"Authorization": "Bearer ,"},
    {"Authorization": f"Bearer {hashlib.sha256(HOSTILE_TOKEN.encode()).hexdigest()}"},
    {"Authorization": "Bearer ' OR '1'='1"},
    {"Authorization": "Bearer %"},
    {"X-Api-Token": HOSTILE_TOKEN},
    {"Cookie": f"vorlesen_admin={HOSTILE_TOKEN}"},
]


def _body_for(route: APIRoute) -> dict[str, Any] | None:
    if route.path.startswith("/api/articles"):
        return {"text": "Hallo Welt, ein kurzer Text."}
    if route.path.startswith("/api/feedback"):
        return {"status": "done"}
    if route.path.startswith("/api/lexicon"):
        return {"grapheme": "Wort", "kind": "alias", "value": "Wohrt"}
    return None


def test_auth_bypass_attempts_fail_on_every_protected_route(
    hostile_client: TestClient, hostile_service: Service
) -> None:
    """Every route needing a token refuses missing, malformed, wrong, case-changed, split,
    query-string, cookie and revoked tokens with 401/403; a good token still works."""
    record, secret = hostile_service.store.create_token("cms")
    hostile_service.store.revoke_token(record.id)
    attempts = [*BAD_AUTH, {"Authorization": f"Bearer {secret}"}]
    protected = [r for r in _routes(hostile_client) if _needs_token(r)]
    assert len(protected) >= 8, [r.path for r in protected]
    hostile_client.cookies.clear()
    for route in protected:
        path = _sample_path(route.path)
        for method in sorted(route.methods):
            for headers in attempts:
                for query in ("", f"?token={HOSTILE_TOKEN}", f"?access_token={HOSTILE_TOKEN}"):
                    if query and headers:
                        continue
                    r = hostile_client.request(
                        method, path + query, headers=headers, json=_body_for(route)
                    )
                    assert r.status_code in (401, 403), (
                        method,
                        path + query,
                        headers,
                        r.status_code,
                    )
                    if r.status_code == 401:
                        assert r.headers["www-authenticate"].startswith("Bearer")
                    _count("web: auth bypass")
            revoked = hostile_client.request(
                method, path, json=_body_for(route), headers={"Authorization": f"Bearer {secret}"}
            )
            assert revoked.status_code == 403 and revoked.json()["reason"] == "token_revoked"
    ok = hostile_client.get("/api/lexicon", headers=HOSTILE_AUTH)
    assert ok.status_code == 200
    # the newsroom pages: without a valid cookie nothing is shown, only the way to log in
    for route in _routes(hostile_client):
        if not route.path.startswith("/admin") or route.path.startswith(
            ("/admin/login", "/admin/logout")
        ):
            continue
        for method in sorted(route.methods):
            for cookie in ["", "x", HOSTILE_TOKEN.upper(), f" {HOSTILE_TOKEN}x", secret]:
                hostile_client.cookies.clear()
                if cookie:
                    hostile_client.cookies.set("vorlesen_admin", cookie, path="/admin")
                r = hostile_client.request(
                    method, _sample_path(route.path), headers=HOSTILE_AUTH, follow_redirects=False
                )
                if r.status_code == 422:  # the form is checked before the login: no content
                    assert "Formular" in r.text and "Wort" not in r.text, r.text
                    continue
                assert r.status_code in (303, 401, 403), (method, route.path, r.status_code)
                if r.status_code == 303:
                    assert r.headers["location"].startswith("/admin/login")
                _count("web: auth bypass")
    hostile_client.cookies.clear()


def test_tokens_compared_in_constant_time_and_stored_hashed(
    hostile_service: Service,
) -> None:
    """The verification path uses ``hmac.compare_digest``; the database keeps a SHA-256 of
    each token, never the secret."""
    for fn in (deps.token_state, db.Store.check_token):
        assert "compare_digest" in inspect.getsource(fn), fn.__qualname__
    assert "hash_token(secret)" in inspect.getsource(db.Store.check_token)
    assert "compare_digest" in inspect.getsource(deps)
    secrets_made = [hostile_service.store.create_token(f"t{i}")[1] for i in range(3)]
    with hostile_service.store.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM api_tokens")).fetchall()
    dump = repr(rows)
    for secret in secrets_made:
        assert secret not in dump
        assert secret[8:] not in dump  # not even the part after the shown prefix
        assert hashlib.sha256(secret.encode()).hexdigest() in dump
    _count("web: token storage", True)


# -- rate limit under a burst ------------------------------------------------------------


def test_feedback_rate_limit_holds_under_a_burst(
    hostile_settings: Any, hostile_service: Service
) -> None:
    """200 posts from one client in a burst, 8 at a time: exactly the allowed number get 201
    and are stored; every other one gets 429 and leaves no row."""
    app = create_app(hostile_settings, service=hostile_service)
    with TestClient(app) as client:
        r = client.put(
            "/api/articles/burst", json={"text": "Ein Text zum Melden."}, headers=HOSTILE_AUTH
        )
        assert r.status_code == 202

        def post(i: int) -> int:
            return client.post(
                "/api/articles/burst/feedback",
                json={"category": "other", "message": f"Meldung {i}"},
            ).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(post, range(200)))
    assert statuses.count(201) == HOSTILE_FEEDBACK_PER_MINUTE, statuses
    assert statuses.count(429) == 200 - HOSTILE_FEEDBACK_PER_MINUTE
    items, total = hostile_service.store.list_feedback(source_id="burst", limit=500)
    assert total == HOSTILE_FEEDBACK_PER_MINUTE == len(items)
    TRIED["web: feedback burst"] = 200
    REFUSED["web: feedback burst"] = statuses.count(429)
