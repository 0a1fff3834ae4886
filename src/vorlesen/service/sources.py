"""Feeds and sitemaps kept in sync: new entries rendered, changed ones re-rendered.

A source (RSS 2.0, Atom, a standard or Google News sitemap, gzip or not, or a sitemap
index) is polled every ``VORLESEN_SOURCES_POLL_S`` seconds with a conditional GET (its
ETag and Last-Modified; a 304 costs nothing more). Each entry's article page goes through
the same path as a player's page (:class:`~vorlesen.service.pages.PageService`): the same
article id, one fetch, the text hash deciding whether a new revision renders. An entry is
known by its guid (or URL) and a hash of what the feed says about it; an entry that changed
has its page fetched again, one that vanished keeps its audio (unpublishing is an explicit
``DELETE``). A failing source waits longer each time (doubling, at most a day); every wait
has ±10 % jitter so sources added together do not poll in step.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from dataclasses import dataclass

from vorlesen.config import Settings
from vorlesen.errors import UsageError, VorlesenError
from vorlesen.ingest.feeds import FEED_TYPES, FeedItem, ParsedSource, parse_source
from vorlesen.ingest.fetch import fetch, vet_url
from vorlesen.languages import known_language
from vorlesen.service.pages import normalize_page_url, page_id
from vorlesen.service.queue import WorkQueue
from vorlesen.store.db import Store
from vorlesen.store.sources import SourceItemRecord, SourceRecord, SourceStore

__all__ = ["MAX_BACKOFF_S", "MAX_CHILD_SITEMAPS", "PollResult", "SourceService"]

log = logging.getLogger("vorlesen.sources")

MAX_BACKOFF_S = 86_400.0
"""A source failing for days is still tried once a day (it may come back)."""
MAX_CHILD_SITEMAPS = 20
"""Sitemaps of an index read per poll: news sites list today's first, archives after."""
POLL_LEASE_S = 600.0
"""A claimed poll not finished in this long (the worker died) is due again."""


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did (for logs, the CLI and tests)."""

    status: str
    """``ok``, ``not_modified`` or ``failed``."""
    new: int = 0
    changed: int = 0
    reason: str | None = None


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class SourceService:
    """Add, list, remove and poll sources."""

    def __init__(self, settings: Settings, store: Store, queue: WorkQueue) -> None:
        self.settings = settings
        self.sources = SourceStore(store)
        self.queue = queue

    def add(
        self, url: str, *, voice: str | None = None, language: str | None = None
    ) -> SourceRecord:
        """A new source (polled at the next sweep). Refuses URLs that could never be
        fetched (other schemes, internal addresses) and unknown languages now."""
        url = url.strip()
        if not url or len(url) > 2000:
            raise UsageError("A source URL must have 1 to 2000 characters.", reason="bad_url")
        vet_url(url, self.settings)
        if language is not None and known_language(language) is None:
            raise UsageError(
                f"{language!r} is not a language vorlesen reads.", reason="bad_language"
            )
        return self.sources.add_source(url, voice=voice or None, language=language or None)

    def all(self) -> list[SourceRecord]:
        return self.sources.list_sources()

    def remove(self, source_pk: int) -> SourceRecord:
        """Stop polling a source; the articles it brought keep their audio."""
        return self.sources.remove_source(source_pk)

    def poll_due(self) -> list[int]:
        """Claim every source whose time came (the caller polls or queues each)."""
        return self.sources.claim_due_sources(POLL_LEASE_S)

    def _next(self, failures: int) -> float:
        base = self.settings.sources_poll_s
        delay = min(MAX_BACKOFF_S, base * (2 ** min(failures, 16))) if failures else base
        return time.time() + delay * random.uniform(0.9, 1.1)  # jitter, not a secret

    def poll(self, source_pk: int) -> PollResult:
        """Fetch one source and bring its articles up to date."""
        source = self.sources.get_source(source_pk)
        try:
            fetched = fetch(
                source.url,
                settings=self.settings,
                accept=FEED_TYPES,
                max_bytes=self.settings.source_max_bytes,
                conditional=(source.etag, source.last_modified),
            )
            if fetched.status == 304:
                self.sources.record_poll(source_pk, next_poll_at=self._next(0))
                return PollResult("not_modified")
            parsed = parse_source(fetched.data, limit=self.settings.source_max_bytes)
            items = list(parsed.items)
            if parsed.kind == "sitemap_index":
                items = self._children(parsed)
        except VorlesenError as exc:
            log.warning("source %s: %s", source.url, exc.message)
            self.sources.record_poll(
                source_pk,
                next_poll_at=self._next(source.failures + 1),
                error=(exc.reason, exc.message),
            )
            return PollResult("failed", reason=exc.reason)
        new, changed, total = self._sync(source, items)
        self.sources.record_poll(
            source_pk,
            next_poll_at=self._next(0),
            kind=parsed.kind,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            items_found=total,
        )
        return PollResult("ok", new=new, changed=changed)

    def _children(self, index: ParsedSource) -> list[FeedItem]:
        """The entries of an index's sitemaps (not nested further: an index of indexes is
        not allowed by the protocol and would be a loop)."""
        items: list[FeedItem] = []
        for url in index.sitemaps[:MAX_CHILD_SITEMAPS]:
            child = fetch(
                url,
                settings=self.settings,
                accept=FEED_TYPES,
                max_bytes=self.settings.source_max_bytes,
            )
            parsed = parse_source(child.data, limit=self.settings.source_max_bytes)
            items.extend(parsed.items)
        return items

    def _sync(self, source: SourceRecord, items: list[FeedItem]) -> tuple[int, int, int]:
        """Queue the pages of new and changed entries; returns (new, changed, known)."""
        known = self.sources.source_items(source.id)
        newest = sorted(
            items, key=lambda i: i.published.timestamp() if i.published else 0.0, reverse=True
        )[: self.settings.source_max_items]
        new = changed = 0
        for item in newest:
            try:
                normalized, host = normalize_page_url(item.url)
            except VorlesenError:
                continue  # an entry linking nowhere readable is skipped, not fatal
            key = _key_hash(item.key)
            old = known.get(key)
            if old is not None and old.item_hash == item.item_hash:
                continue
            pid = page_id(normalized)
            _page, won = self.sources.claim_page(
                pid,
                normalized,
                host,
                recheck_s=self.settings.recheck_s,
                voice=source.voice,
                language=source.language,
                published_at=item.published,
                force=old is not None,
            )
            if won:
                self.queue.enqueue_page(pid)
            record = SourceItemRecord(key, normalized, item.item_hash, pid, item.published)
            self.sources.save_source_item(source.id, record)
            known[key] = record
            if old is None:
                new += 1
            else:
                changed += 1
        return new, changed, len(known)
