"""Text fields under attack: fuzzed titles, kickers and teasers never break the podcast
feed (an XML parser and feedparser read it after every edit), and a lone surrogate in a
JSON body is a 422 on every endpoint of a real ``vorlesen serve``, on a keep-alive
connection that goes on serving."""

from __future__ import annotations

import http.client
import json
import os
from pathlib import Path
from typing import Any

import feedparser
from defusedxml import ElementTree as SafeET
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vorlesen.config import Settings
from vorlesen.server import create_app
from vorlesen.service.container import Service

from .conftest import HOSTILE_AUTH, ROBUST_AUTH, RobustServer, robust_env, write_report_row

EXAMPLES = 400 if os.environ.get("VORLESEN_FUZZ_PROFILE") == "nightly" else 40
"""Edits fuzzed per run: the CI profile keeps ``make robustness`` fast."""

ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
"""Every code point: controls, lone surrogates, bidi controls, noncharacters included."""

HOSTILE_PIECES = st.sampled_from(
    [
        "\x00",
        "\x07",
        "\x1b[31m",
        "\x85",
        "\u202egnp.exe",
        "\u2066",
        "\ufeff",
        "\ufffe",
        "\U000e0041",
        "]]>",
        "<![CDATA[",
        "&amp;",
        "&#0;",
        "</title>",
        "\r\n",
        "\ud800",
    ]
)

FIELD = st.lists(st.one_of(st.text(ANY_CHAR, max_size=30), HOSTILE_PIECES), max_size=6).map("".join)


def _json_body(fields: dict[str, str]) -> bytes:
    # ensure_ascii: a lone surrogate travels as the escape "\ud800", as a CMS could send it.
    return json.dumps(fields, ensure_ascii=True).encode("ascii")


def test_feed_stays_valid_whatever_the_text_fields_hold(
    hostile_client: TestClient, hostile_service: Service
) -> None:
    r = hostile_client.put(
        "/api/articles/fuzz-feed", json={"text": "Ein Text zum Hören."}, headers=HOSTILE_AUTH
    )
    assert r.status_code == 202
    assert hostile_service.queue.run_pending() == 1  # one revision is served from now on
    counts = {"tried": 0, "refused": 0}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(title=FIELD, kicker=FIELD, teaser=FIELD)
    def edit(title: str, kicker: str, teaser: str) -> None:
        counts["tried"] += 1
        body = {"text": f"Ein Text zum Hören. {len(title)}", "title": title}
        body.update(kicker=kicker, teaser=teaser)
        r = hostile_client.put(
            "/api/articles/fuzz-feed",
            content=_json_body(body),
            headers={**HOSTILE_AUTH, "Content-Type": "application/json"},
        )
        assert r.status_code in (202, 422), r.text
        counts["refused"] += r.status_code == 422
        feed = hostile_client.get("/feed.xml")
        assert feed.status_code == 200
        SafeET.fromstring(feed.content)  # well-formed XML
        parsed = feedparser.parse(feed.content)
        assert not parsed.bozo, (parsed.bozo_exception, title, kicker, teaser)
        assert len(parsed.entries) == 1
        for text in (parsed.entries[0].title, parsed.entries[0].get("description", "")):
            assert not any(ord(c) < 0x20 and c not in "\t\n" for c in text), repr(text)
            assert "\u202e" not in text and "\ufeff" not in text

    edit()
    write_report_row(
        group="hostile input",
        item="feed: fuzzed text fields",
        tried=counts["tried"],
        refused=counts["refused"],
        note="feed parsed by an XML parser and feedparser after every edit",
    )


SURROGATE_BODY = (
    b'{"text": "Ein \\ud800 Text.", "category": "other", "grapheme": "\\udfff",'
    b' "kind": "alias", "value": "x", "status": "done", "milestone": 0, "title": "\\udbff"}'
)


def _json_endpoints(hostile_settings: Settings, hostile_service: Service) -> list[tuple[str, str]]:
    """Every method and path of the app that reads a body (the newsroom's forms too)."""
    app = create_app(hostile_settings, service=hostile_service)
    routes: list[APIRoute] = []

    def walk(items: Any) -> None:
        for item in items:
            inner = getattr(item, "original_router", None)
            if inner is not None:
                walk(inner.routes)
            elif isinstance(item, APIRoute):
                routes.append(item)

    walk(app.routes)
    found = []
    for route in routes:
        if route.body_field is None:
            continue
        path = route.path.replace("{source_id}", "a1").replace("{feedback_id}", "1")
        path = path.replace("{entry_id}", "1")
        found += [(method, path) for method in sorted(route.methods - {"HEAD"})]
    return found


def test_lone_surrogates_get_422_and_the_connection_lives_on(
    tmp_path: Path,
    robust_processes: Any,
    hostile_settings: Settings,
    hostile_service: Service,
) -> None:
    endpoints = _json_endpoints(hostile_settings, hostile_service)
    assert len(endpoints) >= 6, endpoints
    server: RobustServer = robust_processes("serve", robust_env(tmp_path))
    port = int(server.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.connect()
        sock = conn.sock
        for method, path in endpoints:
            conn.request(
                method,
                path,
                body=SURROGATE_BODY,
                headers={**ROBUST_AUTH, "Content-Type": "application/json"},
            )
            answer = conn.getresponse()
            body = answer.read()
            assert answer.status == 422, (method, path, answer.status, body[:300])
            assert b"invalid_text" in body, body[:300]
            assert b"Traceback" not in body
            conn.request("GET", "/healthz")  # the same connection, still served
            health = conn.getresponse()
            assert health.read() == b'{"status":"ok"}'
            assert conn.sock is sock, "the keep-alive connection was closed"
    finally:
        conn.close()
    assert "Traceback" not in server.log_tail(20_000)
    write_report_row(
        group="hostile input",
        item="web: lone surrogates, every endpoint",
        tried=len(endpoints),
        refused=len(endpoints),
        note="real vorlesen serve; 422 and the keep-alive connection serves on",
    )
