"""``/docs`` is served from the installed swagger-ui-bundle under a strict policy: no
inline script, nothing from another origin, works offline."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_docs_page_loads_only_this_origins_files_under_a_strict_policy(
    client: TestClient,
) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "http" not in csp  # no other origin
    assert "http://" not in r.text and "https://" not in r.text and "//cdn" not in r.text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text), "inline script"
    sources = re.findall(r'(?:src|href)="([^"]+)"', r.text)
    assert sources and all(s.startswith("/docs/") for s in sources), sources
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 100, source
    assert "/openapi.json" in client.get("/docs/init.js").text


def test_cdn_viewers_are_not_served(client: TestClient) -> None:
    for path in ("/redoc", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404, path
