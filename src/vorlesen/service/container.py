"""The service container: the objects one service process shares between requests.

:class:`Service` holds the settings, the store, the blob store, the job queue, the rate
limits and the page lookups; :func:`make_service` opens them. Both HTTP edges (the API and
the newsroom) take the same container, so it lives on the service floor, beside them.
The queue is typed by what the use cases need (:class:`~vorlesen.service.queue.ServiceQueue`):
this module imports no edge, and the composition root (:mod:`vorlesen.server`) hands the
real :class:`~vorlesen.jobs.queue.JobQueue` in as ``make_queue``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from vorlesen.config import Settings, public_base_url, split_list
from vorlesen.service.pages import PageService
from vorlesen.service.queue import ServiceQueue
from vorlesen.service.ratelimit import RateLimiter, rate_limiter
from vorlesen.store.blobs import BlobStore, open_blob_store
from vorlesen.store.db import Store

__all__ = ["QueueFactory", "Service", "env_tokens", "make_service", "open_stores"]


@dataclass
class Service:
    """The objects one service process shares between requests."""

    settings: Settings
    store: Store
    blobs: BlobStore
    queue: ServiceQueue
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

    def base_url(self, *, scheme: str, host: str, root_path: str) -> str:
        """External base URL (:func:`~vorlesen.config.public_base_url`): the configured
        public URL, the request's own when its Host is allowed, else "" (relative URLs).
        An HTTP edge passes its request's parts (:func:`vorlesen.http.deps.base_url`)."""
        return public_base_url(self.settings, scheme=scheme, host=host, root_path=root_path)


QueueFactory = Callable[[Settings, Store, BlobStore], ServiceQueue]
"""``(settings, store, blobs) -> queue``: how the composition root makes the job queue."""


def open_stores(settings: Settings) -> tuple[Store, BlobStore]:
    """Open the blob store (checked) and the database (migrated) the settings name; a bad
    ``VORLESEN_STORAGE_URL`` or an unreachable bucket stops the start with its reason."""
    blobs = open_blob_store(settings)
    blobs.check()
    return Store.from_settings(settings), blobs


def make_service(settings: Settings, make_queue: QueueFactory) -> Service:
    """Open the database (migrating it), blob store and queue the settings name; a bad
    ``VORLESEN_STORAGE_URL`` or an unreachable bucket stops the start with its reason."""
    store, blobs = open_stores(settings)
    return Service(
        settings=settings,
        store=store,
        blobs=blobs,
        queue=make_queue(settings, store, blobs),
        feedback_limiter=rate_limiter(settings, settings.feedback_per_minute),
        auth_limiter=rate_limiter(
            settings, settings.auth_failures_per_minute, what="failed sign-ins"
        ),
        env_tokens=env_tokens(settings),
    )


def env_tokens(settings: Settings) -> list[str]:
    """Tokens configured in the environment (``VORLESEN_API_TOKENS``)."""
    return split_list(settings.api_tokens)
