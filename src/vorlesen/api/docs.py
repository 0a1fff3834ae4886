"""``/docs``: Swagger UI served from the ``fastapi-offline`` package's files, never a CDN.

FastAPI's own page loads Swagger UI from jsDelivr and starts it with an inline script, so
its policy had to allow ``'unsafe-inline'`` and a third-party origin on the newsroom's
origin. Here the viewer's files come from the installed package (works offline), the
start-up code is a file of this origin too, and the page's policy allows scripts from
``'self'`` only. ReDoc (CDN only) and the OAuth2 redirect page (inline script; the API
uses bearer tokens) are not served. Only the package's files are used (Swagger UI 5, which
reads FastAPI's OpenAPI 3.1), not its app class: that one starts the viewer inline too.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

__all__ = ["DOCS_CSP", "mount_docs", "swagger_ui_dir"]

DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
"""No inline script, nothing from another origin (Swagger UI sets styles via the CSSOM,
which ``style-src 'self'`` allows)."""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} – API</title>
<link rel="icon" href="/docs/assets/favicon.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<script src="/docs/assets/swagger-ui-bundle.js" defer></script>
<script src="/docs/init.js" defer></script>
</head>
<body>
<div id="swagger-ui"></div>
</body>
</html>
"""

_INIT = """"use strict";
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
"""


def swagger_ui_dir() -> Path:
    """Where the installed ``fastapi-offline`` keeps Swagger UI's built files."""
    return Path(str(files("fastapi_offline").joinpath("static")))


def mount_docs(app: FastAPI) -> None:
    """Serve ``/docs``, its start-up script and the viewer's files from the package."""
    page = _PAGE.format(title=app.title)
    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_dir()), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(
            page,
            headers={
                "Content-Security-Policy": DOCS_CSP,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    @app.get("/docs/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(_INIT, media_type="text/javascript; charset=utf-8")
