"""Pages players sit on, and the feeds and sitemaps the service polls.

Three tables beside the articles (migration ``0004``):

* ``pages``: one row per normalized page URL a player or a source named. Its ``source_id``
  is the article's id, derived from the URL (:func:`vorlesen.service.pages.page_id`), and
  unique: the row is the lock that makes a URL fetched once however many listeners arrive
  together. ``checked_at`` is the lease: :meth:`SourceStore.claim_page` moves it forward in
  one conditional ``UPDATE`` that succeeds for one caller only, and only when the page was
  last looked at ``recheck_s`` ago. A page that is not an article stays ``refused`` with its
  reason until the next recheck, so it is not fetched on every view.
* ``sources``: an RSS/Atom feed or an XML sitemap, its validators (ETag, Last-Modified) for
  conditional GETs, and its schedule (``next_poll_at``, doubled after each failure).
* ``source_items``: what a source listed last time (by guid or URL), with a hash of the
  entry, so a poll knows what is new and what changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from vorlesen.errors import NotFoundError, UsageError
from vorlesen.store.db import Base, Store, _now, _utc

__all__ = [
    "PAGE_STATUSES",
    "PageRecord",
    "SourceItemRecord",
    "SourceRecord",
    "SourceStore",
]

PAGE_STATUSES = ("pending", "article", "refused")
"""``pending``: claimed, being fetched; ``article``: an article row exists; ``refused``:
not an article (or not fetchable), with a reason."""


class PageRow(Base):
    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(String(128), unique=True)
    url: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    voice: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    fetches: Mapped[int] = mapped_column(Integer, default=0)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SourceRow(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    voice: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    etag: Mapped[str | None] = mapped_column(String(512), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    items_found: Mapped[int] = mapped_column(Integer, default=0)
    error_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_poll_at: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SourceItemRow(Base):
    __tablename__ = "source_items"
    __table_args__ = (UniqueConstraint("source_pk", "key_hash", name="uq_source_items_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_pk: Mapped[int] = mapped_column(
        Integer, ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    item_hash: Mapped[str] = mapped_column(String(64))
    page_id: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class PageRecord:
    """A page as last seen: whether it is an article, and when it was looked at."""

    source_id: str
    url: str
    host: str
    status: str
    reason: str | None
    message: str | None
    content_hash: str | None
    voice: str | None
    language: str | None
    published_at: datetime | None
    fetches: int
    checked_at: datetime


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A feed or sitemap and how its last polls went."""

    id: int
    url: str
    kind: str | None
    voice: str | None
    language: str | None
    etag: str | None
    last_modified: str | None
    failures: int
    items_found: int
    error_reason: str | None
    error_message: str | None
    next_poll_at: float
    last_checked_at: datetime | None
    last_ok_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SourceItemRecord:
    """One entry a source listed: its key, page and entry hash."""

    key_hash: str
    url: str
    item_hash: str
    page_id: str
    published_at: datetime | None


def _page(row: PageRow) -> PageRecord:
    return PageRecord(
        source_id=row.source_id,
        url=row.url,
        host=row.host,
        status=row.status,
        reason=row.reason,
        message=row.message,
        content_hash=row.content_hash,
        voice=row.voice,
        language=row.language,
        published_at=_utc(row.published_at),
        fetches=row.fetches,
        checked_at=_utc(row.checked_at) or _now(),
    )


def _source(row: SourceRow) -> SourceRecord:
    return SourceRecord(
        id=row.id,
        url=row.url,
        kind=row.kind,
        voice=row.voice,
        language=row.language,
        etag=row.etag,
        last_modified=row.last_modified,
        failures=row.failures,
        items_found=row.items_found,
        error_reason=row.error_reason,
        error_message=row.error_message,
        next_poll_at=row.next_poll_at,
        last_checked_at=_utc(row.last_checked_at),
        last_ok_at=_utc(row.last_ok_at),
        created_at=_utc(row.created_at) or _now(),
    )


class SourceStore:
    """Database access for pages and sources, on the service's :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- pages ----------------------------------------------------------------------------

    def get_page(self, source_id: str) -> PageRecord | None:
        """The page with this article id, or None when no player or source named it yet."""
        with self.store.session() as s:
            row = s.scalar(select(PageRow).where(PageRow.source_id == source_id))
            return _page(row) if row is not None else None

    def claim_page(
        self,
        source_id: str,
        url: str,
        host: str,
        *,
        recheck_s: float,
        voice: str | None = None,
        language: str | None = None,
        published_at: datetime | None = None,
        force: bool = False,
    ) -> tuple[PageRecord, bool]:
        """The page, and whether this caller won the right to fetch it now.

        The first caller inserts the row (the unique ``source_id`` turns every concurrent
        insert but one into an ``IntegrityError``); later callers win only when the page was
        last claimed ``recheck_s`` ago (``force``: a source saw its entry change), through
        one conditional ``UPDATE`` of ``checked_at``.
        """
        now = _now()
        if published_at is not None:  # SQLite keeps the wall time only: store UTC
            published_at = published_at.astimezone(UTC)
        try:
            with self.store.session() as s:
                row = PageRow(
                    source_id=source_id,
                    url=url,
                    host=host,
                    status="pending",
                    voice=voice,
                    language=language,
                    published_at=published_at,
                    fetches=0,
                    checked_at=now,
                    created_at=now,
                )
                s.add(row)
                s.flush()
                return _page(row), True
        except IntegrityError:
            pass  # it exists: maybe it is due for a recheck
        cutoff = now - timedelta(seconds=recheck_s)
        with self.store.session() as s:
            query = update(PageRow).where(PageRow.source_id == source_id)
            if not force:
                query = query.where(PageRow.checked_at < cutoff)
            values: dict[str, object] = {"checked_at": now}
            if voice is not None:
                values["voice"] = voice
            if language is not None:
                values["language"] = language
            if published_at is not None:
                values["published_at"] = published_at
            won = s.execute(query.values(**values)).rowcount == 1  # type: ignore[attr-defined]
            found = s.scalar(select(PageRow).where(PageRow.source_id == source_id))
            if found is None:  # deleted in between: the next view inserts it again
                raise NotFoundError(f"The page {url!r} is gone.", reason="not_found")
            return _page(found), won

    def finish_page(
        self,
        source_id: str,
        status: str,
        *,
        reason: str | None = None,
        message: str | None = None,
        content_hash: str | None = None,
    ) -> None:
        """Record what a fetch found (``article`` with its text hash, or ``refused``)."""
        assert status in PAGE_STATUSES
        with self.store.session() as s:
            values: dict[str, object] = {
                "status": status,
                "reason": reason,
                "message": message,
                "fetches": PageRow.fetches + 1,
            }
            if content_hash is not None:
                values["content_hash"] = content_hash
            s.execute(update(PageRow).where(PageRow.source_id == source_id).values(**values))

    def page_fetches(self) -> int:
        """Fetches of pages so far, all pages together (for tests and /metrics)."""
        with self.store.session() as s:
            return int(s.scalar(select(func.coalesce(func.sum(PageRow.fetches), 0))) or 0)

    # -- sources --------------------------------------------------------------------------

    def add_source(self, url: str, *, voice: str | None, language: str | None) -> SourceRecord:
        """A new source, polled at once; adding a URL twice is a ``conflict``."""
        try:
            with self.store.session() as s:
                row = SourceRow(
                    url=url,
                    voice=voice,
                    language=language,
                    failures=0,
                    items_found=0,
                    next_poll_at=0.0,
                    created_at=_now(),
                )
                s.add(row)
                s.flush()
                return _source(row)
        except IntegrityError:
            raise UsageError(f"The source {url!r} is already there.", reason="conflict") from None

    def list_sources(self) -> list[SourceRecord]:
        with self.store.session() as s:
            return [_source(r) for r in s.scalars(select(SourceRow).order_by(SourceRow.id))]

    def get_source(self, source_pk: int) -> SourceRecord:
        with self.store.session() as s:
            row = s.get(SourceRow, source_pk)
            if row is None:
                raise NotFoundError(f"There is no source {source_pk}.", reason="not_found")
            return _source(row)

    def remove_source(self, source_pk: int) -> SourceRecord:
        """Forget a source and its item list; the articles it brought keep their audio."""
        with self.store.session() as s:
            row = s.get(SourceRow, source_pk)
            if row is None:
                raise NotFoundError(f"There is no source {source_pk}.", reason="not_found")
            record = _source(row)
            s.execute(delete(SourceItemRow).where(SourceItemRow.source_pk == source_pk))
            s.delete(row)
            return record

    def claim_due_sources(self, lease_s: float, *, now: float | None = None) -> list[int]:
        """Sources due for a poll; each is pushed ``lease_s`` ahead in the same conditional
        ``UPDATE``, so two sweepers never poll one source twice."""
        now = time.time() if now is None else now
        with self.store.session() as s:
            due = list(s.scalars(select(SourceRow.id).where(SourceRow.next_poll_at <= now)))
        claimed = []
        for source_pk in due:
            with self.store.session() as s:
                result = s.execute(
                    update(SourceRow)
                    .where(SourceRow.id == source_pk, SourceRow.next_poll_at <= now)
                    .values(next_poll_at=now + lease_s)
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(source_pk)
        return claimed

    def record_poll(
        self,
        source_pk: int,
        *,
        next_poll_at: float,
        kind: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        items_found: int | None = None,
        error: tuple[str, str] | None = None,
    ) -> None:
        """What a poll found: validators and item count, or the error (failures + 1)."""
        with self.store.session() as s:
            row = s.get(SourceRow, source_pk)
            if row is None:
                return  # removed while it was polled
            now = _now()
            row.last_checked_at = now
            row.next_poll_at = next_poll_at
            if error is not None:
                row.failures += 1
                row.error_reason, row.error_message = error
                return
            row.failures = 0
            row.error_reason = row.error_message = None
            row.last_ok_at = now
            if kind is not None:
                row.kind = kind
            if etag is not None or last_modified is not None:
                row.etag, row.last_modified = etag, last_modified
            if items_found is not None:
                row.items_found = items_found

    def source_items(self, source_pk: int) -> dict[str, SourceItemRecord]:
        """The items the source listed so far, by key hash."""
        with self.store.session() as s:
            rows = s.scalars(select(SourceItemRow).where(SourceItemRow.source_pk == source_pk))
            return {
                r.key_hash: SourceItemRecord(
                    r.key_hash, r.url, r.item_hash, r.page_id, _utc(r.published_at)
                )
                for r in rows
            }

    def save_source_item(self, source_pk: int, item: SourceItemRecord) -> None:
        """Insert or update one listed item."""
        now = _now()
        if item.published_at is not None:
            item = replace(item, published_at=item.published_at.astimezone(UTC))
        with self.store.session() as s:
            row = s.scalar(
                select(SourceItemRow).where(
                    SourceItemRow.source_pk == source_pk, SourceItemRow.key_hash == item.key_hash
                )
            )
            if row is None:
                s.add(
                    SourceItemRow(
                        source_pk=source_pk,
                        key_hash=item.key_hash,
                        url=item.url,
                        item_hash=item.item_hash,
                        page_id=item.page_id,
                        published_at=item.published_at,
                        first_seen_at=now,
                        last_seen_at=now,
                    )
                )
                return
            row.url, row.item_hash, row.page_id = item.url, item.item_hash, item.page_id
            row.published_at = item.published_at or row.published_at
            row.last_seen_at = now

    def pages_of_source(self, source_pk: int) -> list[str]:
        """Article ids a source brought (for the newsroom)."""
        with self.store.session() as s:
            return list(
                s.scalars(select(SourceItemRow.page_id).where(SourceItemRow.source_pk == source_pk))
            )
