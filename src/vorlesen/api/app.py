"""create_app(): the FastAPI application of the publishing service.

Errors are mapped once, here: every :class:`~vorlesen.errors.VorlesenError`, validation
error and HTTP error becomes an RFC 9457 problem body ``{"type", "title", "status",
"detail", "reason"}`` with the right status. The newsroom and player pages
(``vorlesen.web``) are mounted when that package is present.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
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
from .docs import DOCS_CSP, mount_docs
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


NewsroomError = Callable[[int, str], Response]
"""``(status, reason) -> page``: the newsroom's German error page (``vorlesen.web``)."""


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413, declared or streamed.

    ``overrides`` raise the limit for single paths (a form whose file may be larger);
    under ``/admin`` the refusal is the newsroom's page when ``newsroom_error`` is given.
    """

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        overrides: Mapping[str, int] | None = None,
        newsroom_error: NewsroomError | None = None,
    ) -> None:
        self.app = app
        self.default_limit = limit
        self.overrides = {path: max(limit, size) for path, size in (overrides or {}).items()}
        self.newsroom_error = newsroom_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.overrides.get(str(scope.get("path", "")), self.default_limit)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._refuse(scope, receive, send, limit)
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
                if seen > limit:
                    if not refused and not started:
                        await self._refuse(scope, receive, send, limit)
                        refused = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, guarded_send)
        except Exception:
            if refused:
                return  # answered 413 already; whatever the app made of it is moot
            raise

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response: Response
        if self.newsroom_error is not None and _is_newsroom(str(scope.get("path", ""))):
            response = self.newsroom_error(413, "request_too_large")
        else:
            response = problem(413, f"The request body is larger than {limit} bytes.", "too_large")
        await response(scope, receive, send)


def _is_newsroom(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")


class _TooLarge(Exception):
    pass


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
"""A JSON ``\\uD800``–``\\uDFFF`` escape: half of a pair, or a lone surrogate."""


def _has_lone_surrogate(value: object) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


class JsonTextGuard:
    """Answer 422 to a JSON body holding a lone surrogate (``"\\ud800"``), on every route.

    JSON may escape one, Python decodes it into a ``str`` no UTF-8 encoder accepts, and the
    first database write or response then failed with a 500 (and a reset connection).
    Bodies without a surrogate escape pass untouched; the others are decoded once here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        if _SURROGATE_ESCAPE.search(body):
            try:
                lone = _has_lone_surrogate(json.loads(body))
            except (ValueError, RecursionError):
                lone = False  # not JSON (or nested past reading): the route's own check answers
            if lone:
                response = problem(
                    422,
                    "The request body holds a lone UTF-16 surrogate (such as \\ud800), "
                    "which is not text.",
                    "invalid_text",
                )
                await response(scope, receive, send)
                return
        replay = iter(messages)

        async def replayed() -> Message:
            return next(replay, None) or await receive()

        await self.app(scope, replayed, send)


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return b"json" in value.lower()
    return False


DEFAULT_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
"""For HTML the pages do not set a policy for themselves (error pages, anything new)."""


class HtmlSecurityHeaders:
    """Give every HTML response a Content-Security-Policy (and ``nosniff``) unless the
    route set its own, so no HTML page can be served without one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DEFAULT_CSP

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


def _mount_web(app: FastAPI) -> Any:
    """Player assets and newsroom pages from ``vorlesen.web``, when that part is installed;
    returns its routes module (None without it)."""
    from fastapi.staticfiles import StaticFiles

    static = Path(__file__).resolve().parent.parent / "web" / "static"
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=static), name="static")
    if importlib.util.find_spec("vorlesen.web.routes") is None:
        return None
    try:
        module = importlib.import_module("vorlesen.web.routes")
    except Exception:  # the pages are optional; the API must start without them
        log.exception("vorlesen.web.routes could not be imported; pages are not served")
        return None
    router = getattr(module, "router", None)
    if router is not None:
        app.include_router(router)
    return module


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
        auth_limiter=rate_limiter(
            settings, settings.auth_failures_per_minute, what="failed sign-ins"
        ),
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
        # FastAPI's pages load their viewers from a CDN and start them inline; ``/docs``
        # is served from the swagger-ui-bundle package instead (``docs.mount_docs``).
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.service = service
    from .routes import admin, articles, feed, feedback, lexicon

    feed.prepare_artwork(service)  # a wrong VORLESEN_FEED_IMAGE stops the start, not the feed

    for module in (articles, feedback, lexicon, feed, admin):
        app.include_router(module.router)
    mount_docs(app)
    web = _mount_web(app)
    newsroom_error: NewsroomError | None = getattr(web, "error_page", None)

    def answer(request: Request, status: int, detail: str, reason: str, **extra: Any) -> Response:
        """A problem+json body; under ``/admin`` the newsroom's German page instead."""
        if newsroom_error is not None and _is_newsroom(request.url.path):
            return newsroom_error(status, reason)
        return problem(status, detail, reason, **extra)

    @app.exception_handler(VorlesenError)
    async def _vorlesen_error(request: Request, exc: VorlesenError) -> Response:
        response = answer(request, status_for(exc), exc.message, exc.reason)
        if isinstance(exc, RateLimitError):
            response.headers["Retry-After"] = str(exc.retry_after_s)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)
        return answer(
            request, 422, f"The request is invalid: {detail}", "invalid_request", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        reason = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return answer(request, exc.status_code, str(exc.detail), reason)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error")
        return answer(request, 500, "An internal error occurred.", "internal_error")

    origins = split_list(settings.cors_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "Range", "Authorization"],
            expose_headers=["Content-Range", "Content-Length", "ETag"],
        )
    app.add_middleware(JsonTextGuard)  # inside BodyLimit: it buffers only allowed bodies
    app.add_middleware(
        BodyLimit,
        limit=settings.max_request_bytes,
        overrides=getattr(web, "BODY_LIMITS", None),
        newsroom_error=newsroom_error,
    )
    app.add_middleware(HtmlSecurityHeaders)
    return app
