"""Newsroom sign-in under attack: server-side sessions (a copied cookie dies at logout and
when its token is revoked), throttled guessing (per client, shared through Redis), and
logout only from our own pages."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from support import service_settings
from vorlesen.config import Settings
from vorlesen.server import create_app, make_service
from vorlesen.service.container import Service
from vorlesen.store.db import Store
from vorlesen.web.routes import COOKIE

from .conftest import write_report_row

TOKEN = "session-test-token"
FAILURES = 5
REDIS_URL = os.environ.get("VORLESEN_TEST_REDIS", "redis://127.0.0.1:6379/0")


def _settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> Iterator[Settings]:
    base = {
        "VORLESEN_API_TOKENS": TOKEN,
        "VORLESEN_AUTH_FAILURES_PER_MINUTE": str(FAILURES),
        "VORLESEN_FEEDBACK_PER_MINUTE": "0",
    }
    unset = ("VORLESEN_DATABASE_URL", "VORLESEN_PUBLIC_URL")
    if "VORLESEN_REDIS_URL" not in env:
        unset += ("VORLESEN_REDIS_URL",)
    yield from service_settings(tmp_path, monkeypatch, {**base, **env}, unset)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    yield from _settings(tmp_path, monkeypatch)


def _login(client: TestClient, token: str = TOKEN) -> str:
    r = client.post("/admin/login", data={"token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    cookie = client.cookies.get(COOKIE)
    assert cookie
    return cookie


def _is_in(client: TestClient, cookie: str) -> bool:
    client.cookies.clear()
    client.cookies.set(COOKIE, cookie, path="/admin")
    r = client.get("/admin", follow_redirects=False)
    assert r.status_code in (200, 303), r.status_code
    return r.status_code == 200


def test_the_cookie_holds_a_random_session_id_stored_hashed(
    client: TestClient, service: Service
) -> None:
    first = _login(client)
    second = _login(client)
    assert first != second and TOKEN not in first and first.startswith("vs_")
    with service.store.engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM admin_sessions")).fetchall())
    for cookie in (first, second):
        assert cookie not in dump and cookie[3:] not in dump
        assert hashlib.sha256(cookie.encode()).hexdigest() in dump
    assert TOKEN not in dump
    # A token in the cookie (what the cookie used to hold) is no session.
    assert not _is_in(client, TOKEN)


def test_a_copied_cookie_dies_at_logout(client: TestClient, service: Service) -> None:
    cookie = _login(client)
    assert _is_in(client, cookie)
    r = client.post("/admin/logout", follow_redirects=False)
    assert r.status_code == 303
    # The copy an attacker kept is refused everywhere now.
    assert not _is_in(client, cookie)
    for path in ("/admin/feedback", "/admin/lexicon", "/admin/lexicon.pls"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
    write_report_row(
        group="hostile input",
        item="web: session revocation",
        tried=4,
        refused=4,
        note="copied cookie after logout, token revocation, env token removed, expiry",
    )


def test_revoking_the_token_ends_its_sessions(client: TestClient, service: Service) -> None:
    record, secret = service.store.create_token("editor")
    cookie = _login(client, secret)
    other = _login(client)  # logged in with the env token
    assert _is_in(client, cookie) and _is_in(client, other)
    service.store.revoke_token(record.id)
    assert not _is_in(client, cookie)
    assert _is_in(client, other)
    service.env_tokens = ["a-new-token"]  # the env token was rotated out
    assert not _is_in(client, other)


def test_an_expired_session_is_refused(service: Service) -> None:
    live = service.store.create_admin_session(TOKEN, None, 60)
    dead = service.store.create_admin_session(TOKEN, None, -1)
    assert service.store.check_admin_session(live) is not None
    assert service.store.check_admin_session(dead) is None
    assert service.store.check_admin_session("") is None
    assert service.store.check_admin_session("vs_unknown") is None


def test_logout_from_another_site_is_refused(client: TestClient) -> None:
    cookie = _login(client)
    for origin in ("https://evil.example", "null"):
        r = client.post("/admin/logout", headers={"Origin": origin}, follow_redirects=False)
        assert r.status_code == 403, (origin, r.status_code)
        assert "text/html" in r.headers["content-type"] and "Abmeldung" in r.text
    assert _is_in(client, cookie)


def test_sessions_work_on_postgresql(robust_pg_url: str) -> None:
    store = Store(robust_pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        store.migrate()
        record, secret = store.create_token("pg")
        session = store.create_admin_session(secret, record.id, 3600)
        found = store.check_admin_session(session)
        assert found is not None and found.token_id == record.id
        store.revoke_admin_session(session)
        assert store.check_admin_session(session) is None
        again = store.create_admin_session(secret, record.id, 3600)
        store.revoke_token(record.id)
        assert store.check_admin_session(again) is None
    finally:
        store.close()


# -- throttling ---------------------------------------------------------------------------


def test_wrong_logins_are_throttled_with_retry_after(client: TestClient) -> None:
    """After FAILURES wrong tokens from one client every attempt gets 429 with Retry-After
    — the right token too (else guessing goes on, telling right from wrong) — on the login
    form and the API alike (one count per client)."""
    statuses = [
        client.post("/admin/login", data={"token": f"guess-{i}"}).status_code for i in range(12)
    ]
    assert statuses == [401] * FAILURES + [429] * (12 - FAILURES), statuses
    r = client.post("/admin/login", data={"token": TOKEN}, follow_redirects=False)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert "Zu viele" in r.text
    api = client.get("/api/lexicon", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status_code == 429 and api.json()["reason"] == "rate_limited"
    assert int(api.headers["retry-after"]) >= 1
    write_report_row(
        group="hostile input",
        item="web: login throttling",
        tried=14,
        refused=14,
        note=f"{FAILURES} failures per client and minute, then 429 + Retry-After",
    )


def test_token_guesses_on_the_api_are_throttled(client: TestClient) -> None:
    statuses = [
        client.get("/api/lexicon", headers={"Authorization": f"Bearer guess-{i}"}).status_code
        for i in range(8)
    ]
    assert statuses == [401] * FAILURES + [429] * (8 - FAILURES), statuses


def test_right_tokens_are_not_counted(client: TestClient) -> None:
    for _ in range(3 * FAILURES):
        ok = client.get("/api/lexicon", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200


def test_throttling_is_shared_through_redis(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two API processes sharing Redis share one count: guesses split between them are
    throttled after FAILURES in all."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    queue = "vt_" + uuid.uuid4().hex[:12]
    settings = next(
        _settings(tmp_path, monkeypatch, VORLESEN_REDIS_URL=REDIS_URL, VORLESEN_QUEUE_NAME=queue)
    )
    services = [make_service(settings), make_service(settings)]
    try:
        apps = [TestClient(create_app(settings, service=s)) for s in services]
        statuses = [
            apps[i % 2].post("/admin/login", data={"token": f"guess-{i}"}).status_code
            for i in range(FAILURES + 2)
        ]
        assert statuses == [401] * FAILURES + [429, 429], statuses
    finally:
        for svc in services:
            svc.store.close()
        for key in client.scan_iter(match=f"{queue}:*"):
            client.delete(key)
        client.close()
