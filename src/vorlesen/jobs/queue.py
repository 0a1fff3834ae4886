"""The job queue: huey — ``SqliteHuey`` embedded, ``RedisHuey`` for many machines.

This module (with ``jobs/``) is the only importer of huey. A :class:`JobQueue` registers
two tasks on its huey instance: ``render(source_id, revision)`` and
``webhook(event, source_id, revision)``. The queue only *delivers*; exactly-once rendering
comes from the database claim (:meth:`vorlesen.store.Store.claim_render`), so duplicate or
re-queued messages are harmless. A worker also sweeps for renders whose lease ran out (a
worker killed mid-render, a message lost with it) and queues them again: nothing is lost.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from huey import RedisHuey, SqliteHuey  # type: ignore[import-untyped]  # no type info
from huey.api import Huey  # type: ignore[import-untyped]

from vorlesen.closing import Closing
from vorlesen.config import Settings, public_base_url, split_list
from vorlesen.errors import VorlesenError
from vorlesen.jobs.webhooks import deliver
from vorlesen.service.articles import article_state  # the same JSON the API shows
from vorlesen.service.lexicon import lexicon_from_records
from vorlesen.service.pages import PageService
from vorlesen.service.payload import ArticlePayload
from vorlesen.service.render import render_revision
from vorlesen.service.sources import SourceService
from vorlesen.store.blobs import BlobStore, revision_prefix
from vorlesen.store.db import Claim, Store
from vorlesen.synth.pool import WarmPool

__all__ = ["JobQueue", "split_list"]

log = logging.getLogger("vorlesen.jobs")


class _LostClaim(Exception):
    """The render was taken over or superseded; stop without recording anything."""


class LeaseKeeper(Closing):
    """Renews a render's lease from a thread of its own every quarter lease, so a live
    worker keeps it through long steps that report no progress (mastering hours of audio,
    fetching a slow page); a worker that dies stops renewing, and its lease runs out.

    The render reports progress through :meth:`progress` (its heartbeat); that raises
    :class:`_LostClaim` once a renewal found the claim taken over or superseded. A render
    that reports no progress for ``stall_s`` is left to lose its lease: it looks hung.
    """

    def __init__(self, store: Store, claim: Claim, lease_s: float, stall_s: float = 600.0):
        self._store = store
        self._claim = claim
        self._lease_s = lease_s
        self._stall_s = max(stall_s, 4 * lease_s)
        self._last_progress = time.monotonic()
        self._total: int | None = None
        self._steps = 0
        self._lost = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vorlesen-lease", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.wait(self._lease_s / 4):
            if time.monotonic() - self._last_progress > self._stall_s:
                log.warning(
                    "render of %s revision %d made no progress for %.0f s; letting its lease go",
                    self._claim.source_id,
                    self._claim.revision,
                    self._stall_s,
                )
                return
            done = None if self._total is None else min(self._steps, self._total)
            try:
                renewed = self._store.renew_lease(self._claim, self._lease_s, synthesized=done)
            except Exception:  # the database may be briefly away: try at the next tick
                log.exception("renewing the lease of %s failed", self._claim.source_id)
                continue
            if not renewed:
                self._lost.set()
                return

    def progress(self) -> None:
        """The render moved on; raises :class:`_LostClaim` when the claim is gone."""
        self._last_progress = time.monotonic()
        self._steps += 1
        if self._lost.is_set():
            raise _LostClaim

    def planned(self, total: int) -> None:
        """Synthesis of ``total`` utterances begins: the article shows it at once, and how
        many are done at each renewal (so a long render is visibly alive)."""
        self._total = total
        self._steps = 0
        self._store.set_render_plan(self._claim, total)

    def close(self) -> None:
        self._done.set()
        self._thread.join()


class _Unlimited:
    """No limit: a queued fetch was limited when it was claimed."""

    def hit(self, key: str) -> None:
        """Count nothing."""

    def check(self, key: str) -> None:
        """Refuse nothing."""


_UNLIMITED = _Unlimited()


class JobQueue:
    """The service's queue plus what its tasks need (store, blobs, settings)."""

    def __init__(self, settings: Settings, store: Store, blobs: BlobStore) -> None:
        self.settings = settings
        self.store = store
        self.blobs = blobs
        self.huey: Huey = self._make_huey(settings)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.synth_workers: WarmPool | None = None
        """Synthesis processes kept across renders; set while :meth:`run_worker` runs."""
        self._render_task = self.huey.task(name="render")(self.render)
        self._webhook_task = self.huey.task(name="webhook")(self.send_webhooks)
        self._page_task = self.huey.task(name="page")(self.fetch_page)
        self._poll_task = self.huey.task(name="poll_source")(self.poll_source)
        self.pages = PageService(
            settings, store, self, client_limiter=_UNLIMITED, host_limiter=_UNLIMITED
        )
        """Page fetches (the API's lookups bring their own limits)."""
        self.sources = SourceService(settings, store, self)

    @staticmethod
    def _make_huey(settings: Settings) -> Huey:
        if settings.redis_url:
            return RedisHuey(settings.queue_name, url=settings.redis_url, results=False)
        path = Path(settings.data_dir).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(settings.queue_name, filename=str(path / "queue.db"), results=False)

    # -- producer side ------------------------------------------------------------------

    def enqueue_render(self, source_id: str, revision: int) -> None:
        """Queue the render of ``revision`` (a stale or duplicate job does nothing)."""
        self._render_task(source_id, revision)

    def enqueue_page(self, source_id: str) -> None:
        """Queue the fetch of a page a player or a source named (claimed already)."""
        self._page_task(source_id)

    def enqueue_poll(self, source_pk: int) -> None:
        """Queue the poll of a feed or sitemap (claimed already)."""
        self._poll_task(source_pk)

    def queue_due_sources(self) -> int:
        """Queue a poll of every source whose time came; returns how many."""
        due = self.sources.poll_due()
        for source_pk in due:
            self.enqueue_poll(source_pk)
        return len(due)

    def pending(self) -> int:
        """Messages waiting in the queue (for /metrics)."""
        return int(self.huey.pending_count())

    def run_pending(self, limit: int = 1000) -> int:
        """Execute queued tasks in this process until the queue is empty; returns how many.

        For tests and single-process use; production workers run :meth:`run_worker`.
        """
        done = 0
        while done < limit:
            task = self.huey.dequeue()
            if task is None:
                break
            self.huey.execute(task)
            done += 1
        return done

    def requeue_stale(self) -> int:
        """Queue again every render whose lease ran out; returns how many."""
        # Articles merely waiting are re-queued only once the queue is empty: until then
        # their job is most likely still in it, and re-queueing would pile up duplicates.
        stale = self.store.stale_renders(self.settings.render_lease_s, queued=self.pending() == 0)
        for source_id, revision in stale:
            log.warning(
                "re-queueing %s revision %d (its render was abandoned)", source_id, revision
            )
            self.enqueue_render(source_id, revision)
        return len(stale)

    # -- consumer side ------------------------------------------------------------------

    def render(self, source_id: str, revision: int) -> str:
        """Task body: claim, render, record. Returns what happened (for logs and tests)."""
        lease = self.settings.render_lease_s
        claim = self.store.claim_render(source_id, revision, self.worker_id, lease)
        if claim is None:
            return "skipped"
        with LeaseKeeper(self.store, claim, lease) as keeper:
            return self._render_claimed(claim, keeper)

    def _render_claimed(self, claim: Claim, keeper: LeaseKeeper) -> str:
        source_id, revision = claim.source_id, claim.revision
        started = time.monotonic()
        try:
            entries = lexicon_from_records(self.store.lexicon_entries())
            result = render_revision(
                ArticlePayload.from_stored(claim.payload),
                source_id=source_id,
                revision=revision,
                blobs=self.blobs,
                settings=self.settings,
                lexicon_entries=entries,
                heartbeat=keeper.progress,
                workers=self.synth_workers,
                planned=keeper.planned,
            )
        except _LostClaim:
            self._discard(claim)
            return "lost"
        except VorlesenError as exc:
            return self._failed(claim, exc.reason, exc.message, time.monotonic() - started)
        except Exception as exc:  # a bug, not the input's fault: record it, keep working
            log.exception("render of %s revision %d crashed", source_id, revision)
            return self._failed(
                claim,
                "internal_error",
                f"The render failed unexpectedly ({type(exc).__name__}).",
                time.monotonic() - started,
            )
        if not self.store.finish_render(
            claim,
            title=result.title,
            engine=result.engine,
            voice=result.voice,
            duration_s=result.duration_s,
            utterances_total=result.utterances_total,
            synthesized=result.synthesized,
            cached=result.cached,
            text=result.text,
            wall_s=result.wall_s,
            published_at=result.published,
            section=result.section,
            author=result.author,
            teaser=result.teaser,
            link=result.link,
            image_url=result.image_url,
            warnings=result.warnings,
        ):
            self._discard(claim)
            return "lost"
        # Older revisions go once the new one is served. In object storage the one just
        # before stays until the next revision: listeners were redirected to its URLs and
        # keep fetching ranges from them for as long as they listen.
        keep_from = revision - 1 if self.settings.storage_url else revision
        for old in self.blobs.revisions(source_id):
            if old < keep_from:
                self.blobs.delete_prefix(revision_prefix(source_id, old))
        self._notify("audio.ready", source_id, revision)
        return "ready"

    def fetch_page(self, source_id: str) -> str:
        """Task body: fetch a page and publish its article (or remember its refusal)."""
        try:
            return self.pages.fetch_page(source_id)
        except Exception:  # a bug or the database away: logged; the next recheck retries
            log.exception("fetching page %s crashed", source_id)
            return "crashed"

    def poll_source(self, source_pk: int) -> str:
        """Task body: poll one feed or sitemap."""
        try:
            return self.sources.poll(source_pk).status
        except VorlesenError as exc:  # removed meanwhile
            return exc.reason
        except Exception:
            log.exception("polling source %d crashed", source_pk)
            return "crashed"

    def _failed(self, claim: Claim, reason: str, message: str, wall_s: float) -> str:
        if self.store.fail_render(claim, reason, message, wall_s):
            self._notify("audio.failed", claim.source_id, claim.revision)
        return "failed"

    def _discard(self, claim: Claim) -> None:
        """Drop the files of a render that will never be served."""
        with contextlib.suppress(VorlesenError):
            current = self.store.get_article(claim.source_id)
            if current.ready_revision == claim.revision:
                return
        self.blobs.delete_prefix(revision_prefix(claim.source_id, claim.revision))

    def _notify(self, event: str, source_id: str, revision: int) -> None:
        if split_list(self.settings.webhook_urls):
            self._webhook_task(event, source_id, revision)

    def send_webhooks(self, event: str, source_id: str, revision: int) -> int:
        """Task body: POST ``event`` to every configured URL; returns how many accepted it."""

        try:
            article: dict[str, Any] = article_state(
                self.store.get_article(source_id), public_base_url(self.settings)
            ).model_dump(mode="json")
        except VorlesenError:
            article = {"source_id": source_id}
        accepted = 0
        for url in split_list(self.settings.webhook_urls):
            try:
                deliver(
                    url,
                    event,
                    {"source_id": source_id, "revision": revision, "article": article},
                    secret=self.settings.webhook_secret,
                    attempts=self.settings.webhook_retries,
                )
                accepted += 1
            except VorlesenError as exc:
                log.warning("%s", exc.message)
        return accepted

    def run_worker(self, *, threads: int = 1) -> None:
        """Consume jobs until SIGINT/SIGTERM, sweeping for abandoned renders meanwhile."""
        stop = threading.Event()

        def sweep() -> None:
            interval = max(0.5, self.settings.render_lease_s / 4)
            while not stop.wait(interval):
                try:
                    self.requeue_stale()
                    self.queue_due_sources()
                except Exception:  # the database may be briefly away; try next time
                    log.exception("sweeping for abandoned renders failed")

        self.requeue_stale()
        sweeper = threading.Thread(target=sweep, name="vorlesen-sweeper", daemon=True)
        sweeper.start()
        consumer = self.huey.create_consumer(
            workers=threads, worker_type="thread", periodic=False, initial_delay=0.05, max_delay=0.5
        )
        idle_s = self.settings.voice_idle_s
        if idle_s > 0:  # the voice stays loaded between renders
            self.synth_workers = WarmPool(jobs=self.settings.jobs, keep=True, idle_s=idle_s)
        try:
            consumer.run()
        finally:
            stop.set()
            if self.synth_workers is not None:
                self.synth_workers.close()
                self.synth_workers = None
