"""What every route needs: the service objects and token auth."""

from __future__ import annotations

import contextlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from vorlesen.config import Settings, public_base_url
from vorlesen.errors import AuthError, RateLimitError
from vorlesen.jobs.queue import JobQueue, split_list
from vorlesen.service.pages import PageService
from vorlesen.store.blobs import BlobStore
from vorlesen.store.db import Store

from .ratelimit import RateLimiter, rate_limiter

__all__ = [
    "Service",
    "client_key",
    "get_service",
    "guarded_token_state",
    "require_token",
    "token_state",
]


@dataclass
class Service:
    """The objects one API process shares between requests."""

    settings: Settings
    store: Store
    blobs: BlobStore
    queue: JobQueue
    feedback_limiter: RateLimiter
    auth_limiter: RateLimiter
    """Failed logins and wrong tokens per client (``VORLESEN_AUTH_FAILURES_PER_MINUTE``)."""
    env_tokens: list[str] = field(default_factory=list)
    feed_artwork: str | None = None
    """Blob key of the publisher's checked ``VORLESEN_FEED_IMAGE`` file (set at start)."""

    _ready: dict[str, tuple[float, int | None]] = field(default_factory=dict)
    _pages: PageService | None = None

    @property
    def pages(self) -> PageService:
        """Players' page lookups, limited per client and per publisher host."""
        if self._pages is None:
            settings = self.settings
            self._pages = PageService(
                settings,
                self.store,
                self.queue,
                client_limiter=rate_limiter(
                    settings, settings.page_lookups_per_minute, what="page lookups"
                ),
                host_limiter=rate_limiter(
                    settings, settings.page_fetches_per_minute, what="new pages"
                ),
            )
        return self._pages

    def ready_revision(self, source_id: str, max_age: float = 1.0) -> int | None:
        """The served revision of an article, remembered for ``max_age`` seconds.

        Audio requests (a player seeking sends many) then mostly skip the database; a new
        revision is picked up within a second. Raises ``NotFoundError``.
        """
        now = time.monotonic()
        hit = self._ready.get(source_id)
        if hit is not None and now - hit[0] < max_age:
            return hit[1]
        revision = self.store.get_article(source_id).ready_revision
        if len(self._ready) > 10_000:
            self._ready.clear()
        self._ready[source_id] = (now, revision)
        return revision

    def forget(self, source_id: str) -> None:
        """Drop the remembered revision (after a change or a vanished file)."""
        self._ready.pop(source_id, None)

    def base_url(self, request: Request) -> str:
        """External base URL (:func:`~vorlesen.config.public_base_url`): the configured
        public URL, the request's own when its Host is allowed, else "" (relative URLs)."""
        return public_base_url(
            self.settings,
            scheme=request.url.scheme,
            host=request.headers.get("host", ""),
            root_path=str(request.scope.get("root_path", "")),
        )


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def client_key(request: Request) -> str:
    """Who a per-client limit counts: the peer address (the proxy's X-Forwarded-For when
    ``VORLESEN_FORWARDED_ALLOW_IPS`` trusts the proxy)."""
    return request.client.host if request.client else "unknown"


def token_state(service: Service, secret: str) -> str:
    """``"valid"``, ``"revoked"`` or ``"unknown"``: env tokens compared in constant time,
    stored ones looked up by hash."""
    if not secret:
        return "unknown"
    matched = False
    for token in service.env_tokens:
        matched |= hmac.compare_digest(token.encode("utf-8"), secret.encode("utf-8"))
    if matched:
        return "valid"
    return service.store.check_token(secret)


def guarded_token_state(service: Service, client: str, secret: str) -> str:
    """:func:`token_state`, throttled: a client over its failed-attempt limit is refused
    (``RateLimitError``, 429) before its guess is even compared, and every failed attempt
    counts. The API's bearer check and the newsroom login share one count per client."""
    key = f"auth:{client}"
    service.auth_limiter.check(key)
    state = token_state(service, secret)
    if state != "valid":
        # A concurrent failure may have filled the window: this answer stays the 401/403.
        with contextlib.suppress(RateLimitError):
            service.auth_limiter.hit(key)
    return state


def require_token(request: Request, service: ServiceDep) -> None:
    """Bearer auth: a token from ``VORLESEN_API_TOKENS`` or one made by ``token create``.

    401 without a token or with an unknown one, 403 with a revoked one, 429 after too many
    failures from one client (``VORLESEN_AUTH_FAILURES_PER_MINUTE``).
    """
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise AuthError(
            "This endpoint needs an API token (Authorization: Bearer …).", reason="unauthorized"
        )
    state = guarded_token_state(service, client_key(request), secret)
    if state == "valid":
        return
    if state == "revoked":
        raise AuthError("This API token has been revoked.", reason="token_revoked")
    raise AuthError("The API token is not valid.", reason="bad_token")


def env_tokens(settings: Settings) -> list[str]:
    """Tokens configured in the environment."""
    return split_list(settings.api_tokens)
