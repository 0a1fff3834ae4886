"""The composition root: the one place that puts the service's process together.

It makes the :class:`~vorlesen.service.container.Service` with the real job queue
(:class:`~vorlesen.jobs.queue.JobQueue`, typed on the service floor only by what the use
cases need), and builds the FastAPI app from both HTTP edges: the API's routers and error
mapping (:mod:`vorlesen.api.app`), the newsroom and player pages and their assets
(:mod:`vorlesen.web.routes`), and the shared middleware (:mod:`vorlesen.http.middleware`).

The edges import no other edge; this module imports ``api``, ``web`` and ``jobs`` (that is
its job), and the command line (``serve``, ``worker``, ``sources``) imports this module.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from vorlesen.api.app import include_api, install_error_handlers
from vorlesen.config import Settings, get_settings, split_list
from vorlesen.http.middleware import BodyLimit, HtmlSecurityHeaders, JsonTextGuard
from vorlesen.jobs.queue import JobQueue
from vorlesen.service import container
from vorlesen.service.container import Service, open_stores
from vorlesen.store.blobs import BlobStore
from vorlesen.store.db import Store
from vorlesen.web import routes as web

__all__ = ["create_app", "make_queue", "make_service", "open_worker_queue"]


def make_queue(settings: Settings, store: Store, blobs: BlobStore) -> JobQueue:
    """The job queue (huey: SQLite embedded, Redis when ``VORLESEN_REDIS_URL`` is set)."""
    return JobQueue(settings, store, blobs)


def make_service(settings: Settings) -> Service:
    """Open the database (migrating it), blob store and queue the settings name; a bad
    ``VORLESEN_STORAGE_URL`` or an unreachable bucket stops the start with its reason."""
    return container.make_service(settings, make_queue)


def open_worker_queue(settings: Settings) -> JobQueue:
    """What a render worker runs: the queue over the store and blob store the settings
    name (opened and checked as :func:`make_service` does)."""
    store, blobs = open_stores(settings)
    return make_queue(settings, store, blobs)


def create_app(settings: Settings | None = None, *, service: Service | None = None) -> FastAPI:
    """The service's ASGI app: the API (OpenAPI at ``/docs``), the player's assets at
    ``/static`` and the demo and newsroom pages."""
    settings = settings or get_settings()
    service = service or make_service(settings)
    app = FastAPI(
        title="vorlesen",
        version="0.1.0",
        description="German news articles read aloud: publish, render, serve, listen.",
        # FastAPI's pages load their viewers from a CDN and start them inline; ``/docs``
        # is served from the swagger-ui-bundle package instead (``api.docs.mount_docs``).
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.service = service
    include_api(app, service)
    if web.STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    app.include_router(web.router)
    install_error_handlers(app, newsroom_error=web.error_page)

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
        overrides=web.BODY_LIMITS,
        newsroom_error=web.error_page,
    )
    app.add_middleware(HtmlSecurityHeaders)
    return app
