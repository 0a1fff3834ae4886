"""The API's part of the service's app: its routers and its error mapping.

Errors are mapped once, here: every :class:`~vorlesen.errors.VorlesenError`, validation
error and HTTP error becomes an RFC 9457 problem body ``{"type", "title", "status",
"detail", "reason"}`` with the right status (:func:`install_error_handlers`); under
``/admin`` the newsroom's German page answers instead, handed in by the composition root
as a plain callable (this edge imports no other). :func:`include_api` adds the routes and
``/docs``. The app itself is built by :func:`vorlesen.server.create_app`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

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
from vorlesen.http.middleware import NewsroomError, is_newsroom, problem
from vorlesen.service.container import Service
from vorlesen.service.feed import prepare_artwork

from .docs import DOCS_CSP, mount_docs
from .routes import admin, articles, feed, feedback, lexicon, pages, sources

__all__ = ["DOCS_CSP", "include_api", "install_error_handlers", "problem", "status_for"]

log = logging.getLogger("vorlesen.api")

_FORBIDDEN_REASONS = frozenset({"token_revoked", "forbidden"})
"""Auth failures answered 403 (credentials given, but refused) rather than 401."""

_STATUS_BY_REASON: dict[str, int] = {
    # ``InputError(reason="not_found")`` still raised by code not yet on NotFoundError.
    "not_found": 404,
    "too_large": 413,
    "rate_limited": 429,
    "conflict": 409,
    "host_not_allowed": 403,
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
        if exc.reason == "storage_unreachable":
            return 503  # the object storage is away: try again, as a load balancer would
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


def include_api(app: FastAPI, service: Service) -> None:
    """Add the API's routes and its documentation (``/docs``) to ``app``; a wrong
    ``VORLESEN_FEED_IMAGE`` stops the start here, not at the first feed request."""
    prepare_artwork(service)
    for module in (articles, feedback, lexicon, feed, admin, pages, sources):
        app.include_router(module.router)
    mount_docs(app)


def install_error_handlers(app: FastAPI, newsroom_error: NewsroomError | None = None) -> None:
    """Map every error to its answer: a problem+json body, or under ``/admin`` the
    newsroom's German page (``newsroom_error``, when given)."""

    def answer(request: Request, status: int, detail: str, reason: str, **extra: Any) -> Response:
        """A problem+json body; under ``/admin`` the newsroom's German page instead."""
        if newsroom_error is not None and is_newsroom(request.url.path):
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
