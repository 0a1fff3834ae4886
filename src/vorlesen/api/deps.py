"""What every route needs: the service objects and token auth."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from vorlesen.config import Settings
from vorlesen.errors import AuthError
from vorlesen.jobs.queue import JobQueue, split_list
from vorlesen.store.blobs import LocalBlobStore
from vorlesen.store.db import Store

from .ratelimit import RateLimiter

__all__ = ["Service", "get_service", "require_token"]


@dataclass
class Service:
    """The objects one API process shares between requests."""

    settings: Settings
    store: Store
    blobs: LocalBlobStore
    queue: JobQueue
    feedback_limiter: RateLimiter
    env_tokens: list[str] = field(default_factory=list)
    feed_artwork: str | None = None
    """Blob key of the publisher's checked ``VORLESEN_FEED_IMAGE`` file (set at start)."""

    _ready: dict[str, tuple[float, int | None]] = field(default_factory=dict)

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
        """External base URL: ``VORLESEN_PUBLIC_URL`` or what the request came in on."""
        return (self.settings.public_url or str(request.base_url)).rstrip("/")


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def require_token(request: Request, service: ServiceDep) -> None:
    """Bearer auth: a token from ``VORLESEN_API_TOKENS`` or one made by ``token create``.

    401 without a token or with an unknown one, 403 with a revoked one. Env tokens are
    compared in constant time; stored ones are looked up by hash.
    """
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise AuthError(
            "This endpoint needs an API token (Authorization: Bearer …).", reason="unauthorized"
        )
    matched = False
    for token in service.env_tokens:
        matched |= hmac.compare_digest(token.encode("utf-8"), secret.encode("utf-8"))
    if matched:
        return
    state = service.store.check_token(secret)
    if state == "valid":
        return
    if state == "revoked":
        raise AuthError("This API token has been revoked.", reason="token_revoked")
    raise AuthError("The API token is not valid.", reason="bad_token")


def env_tokens(settings: Settings) -> list[str]:
    """Tokens configured in the environment."""
    return split_list(settings.api_tokens)
