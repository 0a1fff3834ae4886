"""create_app(): the FastAPI application of the publishing service.

Errors are mapped once, here: every :class:`~vorlesen.errors.VorlesenError`, validation
error and HTTP error becomes an RFC 9457 problem body ``{"type", "title", "status",
"detail", "reason"}`` with the right status. The newsroom and player pages
(``vorlesen.web``) are mounted when that package is present.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vorlesen.config import Settings, get_settings
from vorlesen.errors import (
    AuthError,
    EngineError,
    FetchError,
    InputError,
    NotFoundError,
    RateLimitError,
    StorageError,
    UsageError,
    VoiceError,
    VorlesenError,
)
from vorlesen.jobs.queue import JobQueue, split_list
from vorlesen.store.blobs import LocalBlobStore
from vorlesen.store.db import Store

from .deps import Service, env_tokens
from .ratelimit import rate_limiter

__all__ = ["DEFAULT_CSP", "DOCS_CSP", "HtmlSecurityHeaders", "create_app", "problem", "status_for"]

log = logging.getLogger("vorlesen.api")

_FORBIDDEN_REASONS = frozenset({"token_revoked", "forbidden"})
"""Auth failures answered 403 (credentials given, but refused) rather than 401."""

_STATUS_BY_REASON: dict[str, int] = {
    # ``InputError(reason="not_found")`` still raised by code not yet on NotFoundError.
    "not_found": 404,
    "too_large": 413,
    "rate_limited": 429,
    "conflict": 409,
}
"""Reasons whose status is the same whichever class carries them."""


def status_for(exc: VorlesenError) -> int:
    """The HTTP status of an error: by its class where the class says it, then by reason,
    then by its place in the tree."""
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, AuthError):
        return 403 if exc.reason in _FORBIDDEN_REASONS else 401
    if isinstance(exc, StorageError):
        return 507 if exc.reason == "disk_full" else 500
    if exc.reason in _STATUS_BY_REASON:
        return _STATUS_BY_REASON[exc.reason]
    if isinstance(exc, FetchError | InputError):
        return 422
    if isinstance(exc, UsageError):
        return 400
    if isinstance(exc, VoiceError):
        return 503
    if isinstance(exc, EngineError):
        return 500
    return 500


def problem(status: int, detail: str, reason: str, **extra: Any) -> JSONResponse:
    """A problem+json response."""
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": f"https://vorlesen.dev/problems/{reason}",
        "title": title,
        "status": status,
        "detail": detail,
        "reason": reason,
    }
    body.update(extra)
    headers = {"WWW-Authenticate": 'Bearer realm="vorlesen"'} if status == 401 else None
    return JSONResponse(
        body, status_code=status, headers=headers, media_type="application/problem+json"
    )


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(scope, receive, send)
                return
        seen = 0
        started = False
        refused = False

        async def guarded_send(message: Message) -> None:
            # After the 413 the app's own answer (FastAPI turns the interrupted body read
            # into a 400 "error parsing the body") must not reach the client.
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def limited() -> Message:
            nonlocal seen, refused
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    if not refused and not started:
                        await self._refuse(scope, receive, send)
                        refused = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, guarded_send)
        except Exception:
            if refused:
                return  # answered 413 already; whatever the app made of it is moot
            raise

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(413, f"The request body is larger than {self.limit} bytes.", "too_large")
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


DEFAULT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""For HTML the pages do not set a policy for themselves (error pages, anything new)."""

DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; base-uri 'none'; "
    "frame-ancestors 'none'"
)
"""FastAPI's /docs and /redoc load their viewers from jsDelivr and start them inline."""


class HtmlSecurityHeaders:
    """Give every HTML response a Content-Security-Policy (and ``nosniff``) unless the
    route set its own, so no HTML page can be served without one."""

    def __init__(self, app: ASGIApp, docs_paths: frozenset[str]) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_CSP if scope.get("path") in self.docs_paths else DEFAULT_CSP

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                is_html = any(
                    name.lower() == b"content-type" and value.lower().startswith(b"text/html")
                    for name, value in headers
                )
                if is_html and b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", policy.encode("latin-1")))
                    if b"x-content-type-options" not in names:
                        headers.append((b"x-content-type-options", b"nosniff"))
                    message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_policy)


def _mount_web(app: FastAPI) -> None:
    """Player assets and newsroom pages from ``vorlesen.web``, when that part is installed."""
    from fastapi.staticfiles import StaticFiles

    static = Path(__file__).resolve().parent.parent / "web" / "static"
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")
    if importlib.util.find_spec("vorlesen.web.routes") is None:
        return
    try:
        module = importlib.import_module("vorlesen.web.routes")
    except Exception:  # the pages are optional; the API must start without them
        log.exception("vorlesen.web.routes could not be imported; pages are not served")
        return
    router = getattr(module, "router", None)
    if router is not None:
        app.include_router(router)


def make_service(settings: Settings) -> Service:
    """Open the database (migrating it), blob store and queue the settings name."""
    store = Store.from_settings(settings)
    blobs = LocalBlobStore(Path(settings.data_dir))
    queue = JobQueue(settings, store, blobs)
    return Service(
        settings=settings,
        store=store,
        blobs=blobs,
        queue=queue,
        feedback_limiter=rate_limiter(settings, settings.feedback_per_minute),
        env_tokens=env_tokens(settings),
    )


def create_app(settings: Settings | None = None, *, service: Service | None = None) -> FastAPI:
    """The service's ASGI app (OpenAPI at ``/docs``)."""
    settings = settings or get_settings()
    service = service or make_service(settings)
    app = FastAPI(
        title="vorlesen",
        version="0.1.0",
        description="German news articles read aloud: publish, render, serve, listen.",
    )
    app.state.service = service
    from .routes import admin, articles, feed, feedback, lexicon

    feed.prepare_artwork(service)  # a wrong VORLESEN_FEED_IMAGE stops the start, not the feed

    @app.exception_handler(VorlesenError)
    async def _vorlesen_error(_request: Request, exc: VorlesenError) -> JSONResponse:
        response = problem(status_for(exc), exc.message, exc.reason)
        if isinstance(exc, RateLimitError):
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        return problem(422, f"The request is invalid: {detail}", "invalid_request", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        reason = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return problem(exc.status_code, str(exc.detail), reason)

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem(500, "An internal error occurred.", "internal_error")

    for module in (articles, feedback, lexicon, feed, admin):
        app.include_router(module.router)
    _mount_web(app)
    origins = split_list(settings.cors_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "Range", "Authorization"],
            expose_headers=["Content-Range", "Content-Length", "ETag"],
        )
    app.add_middleware(BodyLimit, limit=settings.max_request_bytes)
    docs = {app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    app.add_middleware(HtmlSecurityHeaders, docs_paths=frozenset(p for p in docs if p))
    return app
