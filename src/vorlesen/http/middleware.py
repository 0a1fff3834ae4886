"""ASGI middleware around every route of the service's app, API and pages alike, and the
RFC 9457 problem+json body their refusals (and the API's errors) are written in.

* :class:`BodyLimit`: request bodies over the limit get 413 (the newsroom's German page
  under ``/admin`` when the composition root hands that page in as ``newsroom_error``).
* :class:`JsonTextGuard`: a JSON body holding a lone UTF-16 surrogate gets 422.
* :class:`HtmlSecurityHeaders`: every HTML response has a Content-Security-Policy.

Shared HTTP plumbing (:mod:`vorlesen.http`): it imports neither edge; the newsroom's error
page reaches it as a plain callable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "DEFAULT_CSP",
    "BodyLimit",
    "HtmlSecurityHeaders",
    "JsonTextGuard",
    "NewsroomError",
    "is_newsroom",
    "problem",
]


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
        if self.newsroom_error is not None and is_newsroom(str(scope.get("path", ""))):
            response = self.newsroom_error(413, "request_too_large")
        else:
            response = problem(413, f"The request body is larger than {limit} bytes.", "too_large")
        await response(scope, receive, send)


def is_newsroom(path: str) -> bool:
    """Whether ``path`` is one of the newsroom's (``/admin``): errors there are its page."""
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
