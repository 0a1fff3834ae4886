"""The service's metadata: articles, renders, feedback, lexicon, tokens, listens.

SQLAlchemy 2 tables and one :class:`Store` whose methods are the only way the API, the
workers and the newsroom pages touch the database. SQLite (WAL) in ``VORLESEN_DATA_DIR``
by default; PostgreSQL via ``VORLESEN_DATABASE_URL``. The schema comes from the alembic
migrations under ``store/migrations`` (:meth:`Store.migrate`).

Exactly-once rendering does not depend on the queue: a job names ``(source_id,
revision)``, and a worker must :meth:`Store.claim_render` it — one atomic ``UPDATE`` that
succeeds for one worker only, and only while that revision is the latest one. A claim is a
lease the worker renews; a lease that runs out (the worker was killed) makes the article
claimable again, and :meth:`Store.stale_renders` lists such articles for re-queueing.
Methods return frozen records, never live ORM objects.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from vorlesen.config import Settings
from vorlesen.errors import InputError, NotFoundError, UsageError

__all__ = [
    "AdminSession",
    "ArticleRecord",
    "ArticleStats",
    "Claim",
    "FeedbackRecord",
    "LexiconRecord",
    "ListenCount",
    "Store",
    "TokenRecord",
    "database_url",
    "section_key",
]

STATUSES = ("queued", "rendering", "ready", "failed")
FEEDBACK_CATEGORIES = ("pronunciation", "number", "wrong_text", "voice", "other")
FEEDBACK_STATUSES = ("open", "done")
LISTEN_MILESTONES = (0, 25, 50, 75, 100)
"""Percent of an article a player reports having played (0 = started)."""


_R = TypeVar("_R")


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of the service tables."""


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(String(128), unique=True, index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    ready_revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    voice: Mapped[str | None] = mapped_column(String(200), nullable=True)
    engine: Mapped[str | None] = mapped_column(String(32), nullable=True)
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    utterances_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    utterances_synthesized: Mapped[int | None] = mapped_column(Integer, nullable=True)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    section: Mapped[str | None] = mapped_column(String(200), nullable=True)
    section_key: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    author: Mapped[str | None] = mapped_column(Text, nullable=True)
    teaser: Mapped[str | None] = mapped_column(Text, nullable=True)
    link: Mapped[str | None] = mapped_column(Text, nullable=True)
    image_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    warnings: Mapped[str | None] = mapped_column(Text, nullable=True)
    lease_until: Mapped[float] = mapped_column(Float, default=0.0)
    claimed_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RenderRow(Base):
    __tablename__ = "renders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(String(128), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    synthesized: Mapped[int] = mapped_column(Integer, default=0)
    cached: Mapped[int] = mapped_column(Integer, default=0)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    wall_s: Mapped[float] = mapped_column(Float, default=0.0)
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(String(128), index=True)
    revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    message: Mapped[str] = mapped_column(Text)
    time_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    utterance: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    written: Mapped[str | None] = mapped_column(Text, nullable=True)
    spoken: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LexiconRow(Base):
    __tablename__ = "lexicon_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(1100), unique=True)
    grapheme: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(500))
    case_sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    voice: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AdminSessionRow(Base):
    """A newsroom login: the cookie holds a random id, the table only its SHA-256."""

    __tablename__ = "admin_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    """SHA-256 of the API token the editor logged in with (env or stored)."""
    token_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    """The stored token (``api_tokens.id``) logged in with; None for an env token."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ListenRow(Base):
    __tablename__ = "listens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str] = mapped_column(String(128), index=True)
    revision: Mapped[int | None] = mapped_column(Integer, nullable=True)
    milestone: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# -- records handed out -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """One article as the API shows it."""

    source_id: str
    status: str
    revision: int
    ready_revision: int | None
    """The revision whose audio is served (may lag ``revision`` while a new one renders)."""
    content_hash: str
    payload: dict[str, Any]
    title: str | None
    voice: str | None
    engine: str | None
    duration_s: float | None
    utterances_total: int | None
    utterances_synthesized: int | None
    error_reason: str | None
    error_message: str | None
    published_at: datetime | None
    ready_at: datetime | None
    created_at: datetime
    updated_at: datetime
    section: str | None
    """The section (Ressort) the served revision names; ``section_key`` is its feed's id."""
    section_key: str | None
    author: str | None
    teaser: str | None
    link: str | None
    """The article's own page."""
    image_url: str | None
    """Where the article's image came from (its re-encoded copy lies beside the audio)."""
    warnings: tuple[str, ...] = ()
    """What an editor should look at before the served revision goes on air (a doubtful
    extraction, an unknown say-as type …)."""


@dataclass(frozen=True, slots=True)
class ArticleStats:
    """An article with what the newsroom wants next to it."""

    article: ArticleRecord
    listens: int
    """Players that started it (milestone 0 pings)."""
    completions: int
    """Players that reached the end (milestone 100 pings)."""
    feedback_open: int
    feedback_total: int


@dataclass(frozen=True, slots=True)
class Claim:
    """A render a worker holds the lease on."""

    source_id: str
    revision: int
    payload: dict[str, Any]
    worker: str


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """One listener report, with the utterance as it was written and spoken then."""

    id: int
    source_id: str
    revision: int | None
    category: str
    message: str
    time_s: float | None
    utterance: int | None
    rating: int | None
    written: str | None
    spoken: str | None
    status: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LexiconRecord:
    """A stored publisher lexicon entry."""

    id: int
    grapheme: str
    kind: str
    value: str
    case_sensitive: bool
    voice: str | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token as listed (never the secret itself)."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class AdminSession:
    """A live newsroom login (what :meth:`Store.check_admin_session` hands out)."""

    id: int
    token_hash: str
    token_id: int | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ListenCount:
    """Listen pings of one article per milestone."""

    source_id: str
    by_milestone: dict[int, int]


def _record(cls: type[_R], row: Base, **derived: Any) -> _R:
    """A frozen record with every field copied from the row's column of the same name,
    except those given in ``derived`` (decoded JSON, UTC-fixed datetimes)."""
    values = {f.name: getattr(row, f.name) for f in fields(cls) if f.name not in derived}  # type: ignore[arg-type]
    return cls(**values, **derived)


def _article(row: ArticleRow) -> ArticleRecord:
    return _record(
        ArticleRecord,
        row,
        payload=json.loads(row.payload),
        warnings=tuple(json.loads(row.warnings or "[]")),
        published_at=_utc(row.published_at),
        ready_at=_utc(row.ready_at),
        created_at=_utc(row.created_at) or _now(),
        updated_at=_utc(row.updated_at) or _now(),
    )


def _feedback(row: FeedbackRow) -> FeedbackRecord:
    return _record(FeedbackRecord, row, created_at=_utc(row.created_at) or _now())


def _lexicon(row: LexiconRow) -> LexiconRecord:
    return _record(LexiconRecord, row, updated_at=_utc(row.updated_at) or _now())


def _token(row: TokenRow) -> TokenRecord:
    return _record(
        TokenRecord,
        row,
        created_at=_utc(row.created_at) or _now(),
        revoked_at=_utc(row.revoked_at),
    )


def _not_found(what: str) -> NotFoundError:
    return NotFoundError(f"{what} does not exist.", reason="not_found")


def _next_revision(row: ArticleRow, now: datetime) -> None:
    """Queue a new revision of the article: no error, no lease, nobody holding it."""
    row.revision += 1
    row.status = "queued"
    row.error_reason = row.error_message = None
    row.lease_until = 0.0
    row.claimed_by = None
    row.updated_at = now


_M = TypeVar("_M", bound=Base)


def _get(s: Session, model: type[_M], row_id: int, what: str) -> _M:
    """The row with primary key ``row_id``, or ``NotFoundError`` naming ``what``."""
    row = s.get(model, row_id)
    if row is None:
        raise _not_found(f"{what} {row_id}")
    return row


_SECTION_SPELLING = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def section_key(section: str | None) -> str | None:
    """The id of a section in feed URLs: ``"Politik & Wirtschaft"`` → ``politik-wirtschaft``
    (German letters spelled out, other accents dropped); None when nothing is left."""
    if not section:
        return None
    spelled = unicodedata.normalize("NFKD", section.lower().translate(_SECTION_SPELLING))
    ascii_only = spelled.encode("ascii", "ignore").decode("ascii")
    key = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")[:64].strip("-")
    return key or None


def hash_token(token: str) -> str:
    """SHA-256 of a token; tokens are 256-bit random, so a fast hash is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL: ``VORLESEN_DATABASE_URL`` (psycopg 3 for PostgreSQL) or SQLite."""
    url = settings.database_url
    if not url:
        return f"sqlite:///{Path(settings.data_dir).resolve() / 'vorlesen.db'}"
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg://" + url[len(plain) :]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL lets readers run beside the one writer; busy_timeout waits instead of failing."""
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Store:
    """All database access of the service; safe to share between threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, pool_pre_ping=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, migrate: bool = True) -> Store:
        """Open the configured database, creating the data directory and schema if needed."""
        url = database_url(settings)
        if url.startswith("sqlite"):
            Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
        store = cls(url)
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> None:
        """Bring the schema to the newest alembic revision."""
        from vorlesen.store.migrate import upgrade

        upgrade(self.engine)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on any error."""
        with self._sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def ping(self) -> None:
        """Raise when the database cannot be reached (for /healthz)."""
        with self.session() as s:
            s.execute(select(1))

    # -- articles -----------------------------------------------------------------------

    def put_article(
        self,
        source_id: str,
        payload: dict[str, Any],
        content_hash: str,
        *,
        title: str | None = None,
        voice: str | None = None,
        published_at: datetime | None = None,
    ) -> tuple[ArticleRecord, bool]:
        """Create or update an article; returns it and whether a new revision must render.

        Identical content (same ``content_hash``) on an article that is not failed changes
        nothing: no new revision, no render.
        """
        now = _now()
        for _attempt in range(3):
            try:
                with self.session() as s:
                    row = s.scalar(
                        select(ArticleRow)
                        .where(ArticleRow.source_id == source_id)
                        .with_for_update()
                    )
                    if row is None:
                        row = ArticleRow(
                            source_id=source_id,
                            status="queued",
                            revision=1,
                            content_hash=content_hash,
                            payload=json.dumps(payload, sort_keys=True),
                            title=title,
                            voice=voice,
                            published_at=published_at,
                            lease_until=0.0,
                            created_at=now,
                            updated_at=now,
                        )
                        s.add(row)
                        s.flush()
                        return _article(row), True
                    if row.content_hash == content_hash and row.status != "failed":
                        return _article(row), False
                    _next_revision(row, now)
                    row.content_hash = content_hash
                    row.payload = json.dumps(payload, sort_keys=True)
                    # The served revision keeps its title and date until the new one is
                    # rendered (which sets what it finds), unless the publisher sent them.
                    row.title = title or row.title
                    row.voice = voice
                    row.published_at = published_at or row.published_at
                    s.flush()
                    return _article(row), True
            except IntegrityError:  # two first PUTs raced; the second becomes an update
                continue
        raise UsageError("The article is being changed concurrently; try again.", reason="conflict")

    def rerender(self, source_id: str) -> ArticleRecord:
        """Queue a new revision with the same content (after a lexicon change)."""
        with self.session() as s:
            row = self._row(s, source_id, lock=True)
            _next_revision(row, _now())
            s.flush()
            return _article(row)

    def _row(self, s: Session, source_id: str, *, lock: bool = False) -> ArticleRow:
        query = select(ArticleRow).where(ArticleRow.source_id == source_id)
        if lock:
            query = query.with_for_update()
        row = s.scalar(query)
        if row is None:
            raise _not_found(f"The article {source_id!r}")
        return row

    def get_article(self, source_id: str) -> ArticleRecord:
        """The article, or ``NotFoundError(reason="not_found")``."""
        with self.session() as s:
            return _article(self._row(s, source_id))

    def list_articles(
        self, *, offset: int = 0, limit: int = 50, status: str | None = None
    ) -> tuple[list[ArticleRecord], int]:
        """Articles, newest first, and the total count (for pagination)."""
        with self.session() as s:
            query = select(ArticleRow)
            count = select(func.count()).select_from(ArticleRow)
            if status is not None:
                query = query.where(ArticleRow.status == status)
                count = count.where(ArticleRow.status == status)
            rows = s.scalars(
                query.order_by(ArticleRow.updated_at.desc(), ArticleRow.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            return [_article(r) for r in rows], int(s.scalar(count) or 0)

    def served_articles(
        self, *, limit: int = 100, section: str | None = None
    ) -> list[ArticleRecord]:
        """Articles with audio being served (a re-render in progress keeps the previous
        revision served), latest publication (or first submission) first: the podcast
        feed; with ``section`` (a :func:`section_key`) only that section's."""
        with self.session() as s:
            when = func.coalesce(ArticleRow.published_at, ArticleRow.created_at)
            query = select(ArticleRow).where(ArticleRow.ready_revision.is_not(None))
            if section is not None:
                query = query.where(ArticleRow.section_key == section)
            rows = s.scalars(query.order_by(when.desc(), ArticleRow.id.desc()).limit(limit)).all()
            return [_article(r) for r in rows]

    def served_sections(self) -> list[tuple[str, str, int]]:
        """``(key, name, episodes)`` of every section with served audio, by key (one
        aggregate query); of the spellings articles give a section ("Politik",
        "politik") the name is the first in code-point order, capitals first."""
        with self.session() as s:
            rows = s.execute(
                select(ArticleRow.section_key, func.min(ArticleRow.section), func.count())
                .where(ArticleRow.ready_revision.is_not(None), ArticleRow.section_key.is_not(None))
                .group_by(ArticleRow.section_key)
                .order_by(ArticleRow.section_key)
            ).all()
        return [(str(key), str(name or key), int(n)) for key, name, n in rows]

    def list_articles_with_stats(
        self, *, offset: int = 0, limit: int = 50, status: str | None = None
    ) -> tuple[list[ArticleStats], int]:
        """Articles (newest first) with listen and feedback counts, for the newsroom."""
        articles, total = self.list_articles(offset=offset, limit=limit, status=status)
        ids = [a.source_id for a in articles]
        if not ids:
            return [], total
        with self.session() as s:
            listen_rows = s.execute(
                select(ListenRow.source_id, ListenRow.milestone, func.count())
                .where(ListenRow.source_id.in_(ids))
                .group_by(ListenRow.source_id, ListenRow.milestone)
            ).all()
            fb_rows = s.execute(
                select(FeedbackRow.source_id, FeedbackRow.status, func.count())
                .where(FeedbackRow.source_id.in_(ids))
                .group_by(FeedbackRow.source_id, FeedbackRow.status)
            ).all()
        started: dict[str, int] = {}
        completed: dict[str, int] = {}
        for sid, milestone, n in listen_rows:
            if milestone == 0:
                started[sid] = int(n)
            elif milestone == 100:
                completed[sid] = int(n)
        fb_open: dict[str, int] = {}
        fb_total: dict[str, int] = {}
        for sid, fb_status, n in fb_rows:
            fb_total[sid] = fb_total.get(sid, 0) + int(n)
            if fb_status == "open":
                fb_open[sid] = int(n)
        stats = [
            ArticleStats(
                article=a,
                listens=started.get(a.source_id, 0),
                completions=completed.get(a.source_id, 0),
                feedback_open=fb_open.get(a.source_id, 0),
                feedback_total=fb_total.get(a.source_id, 0),
            )
            for a in articles
        ]
        return stats, total

    def delete_article(self, source_id: str) -> None:
        """Remove the article and its listens (feedback is kept for the record)."""
        with self.session() as s:
            row = self._row(s, source_id, lock=True)
            s.execute(delete(ListenRow).where(ListenRow.source_id == source_id))
            s.delete(row)

    def articles_with_text(self) -> list[tuple[str, str]]:
        """``(source_id, text)`` of every article that has been rendered at least once."""
        with self.session() as s:
            rows = s.execute(
                select(ArticleRow.source_id, ArticleRow.text).where(ArticleRow.text.is_not(None))
            ).all()
        return [(sid, text) for sid, text in rows if text]

    # -- renders ------------------------------------------------------------------------

    def claim_render(
        self, source_id: str, revision: int, worker: str, lease_s: float
    ) -> Claim | None:
        """Take the lease on rendering ``revision``; ``None`` when there is nothing to do.

        Nothing to do means: the article is gone, a newer revision was put (that one has
        its own job), the revision is already rendered, or another worker holds a live
        lease. One atomic UPDATE decides, so two workers never both get it.
        """
        now = time.time()
        with self.session() as s:
            result = s.execute(
                update(ArticleRow)
                .where(
                    ArticleRow.source_id == source_id,
                    ArticleRow.revision == revision,
                    (ArticleRow.status == "queued")
                    | ((ArticleRow.status == "rendering") & (ArticleRow.lease_until < now)),
                )
                .values(status="rendering", claimed_by=worker, lease_until=now + lease_s)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = self._row(s, source_id)
            return Claim(source_id, revision, json.loads(row.payload), worker)

    def renew_lease(self, claim: Claim, lease_s: float, *, synthesized: int | None = None) -> bool:
        """Extend the lease (and record ``synthesized`` utterances done, when given); False
        when the claim was lost (newer revision, taken over)."""
        values: dict[str, Any] = {"lease_until": time.time() + lease_s}
        if synthesized is not None:
            values["utterances_synthesized"] = synthesized
        with self.session() as s:
            result = s.execute(
                update(ArticleRow)
                .where(
                    ArticleRow.source_id == claim.source_id,
                    ArticleRow.revision == claim.revision,
                    ArticleRow.claimed_by == claim.worker,
                    ArticleRow.status == "rendering",
                )
                .values(**values)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def set_render_plan(self, claim: Claim, total: int) -> None:
        """A claimed render is about to synthesize ``total`` utterances (none done yet)."""
        with self.session() as s:
            s.execute(
                update(ArticleRow)
                .where(
                    ArticleRow.source_id == claim.source_id,
                    ArticleRow.revision == claim.revision,
                    ArticleRow.claimed_by == claim.worker,
                    ArticleRow.status == "rendering",
                )
                .values(utterances_total=total, utterances_synthesized=0)
            )

    def finish_render(
        self,
        claim: Claim,
        *,
        title: str | None,
        engine: str,
        voice: str,
        duration_s: float,
        utterances_total: int,
        synthesized: int,
        cached: int,
        text: str,
        wall_s: float,
        published_at: datetime | None = None,
        section: str | None = None,
        author: str | None = None,
        teaser: str | None = None,
        link: str | None = None,
        image_url: str | None = None,
        warnings: tuple[str, ...] = (),
    ) -> bool:
        """Point the article at the finished revision; False when the claim was lost.
        ``published_at`` (the date the article itself names) fills in a publication date
        the publisher did not send; ``section`` … ``image_url`` describe the episode in the
        podcast feed (what this revision found, replacing the previous one's)."""
        now = _now()
        dated: dict[str, Any] = {}
        if published_at is not None:
            dated["published_at"] = func.coalesce(ArticleRow.published_at, published_at)
        return self._end_render(
            claim,
            now,
            {
                **dated,
                "ready_revision": claim.revision,
                "title": title,
                "engine": engine,
                "voice": voice,
                "duration_s": duration_s,
                "utterances_total": utterances_total,
                "utterances_synthesized": synthesized,
                "text": text,
                "error_reason": None,
                "error_message": None,
                "ready_at": now,
                "section": section,
                "section_key": section_key(section),
                "author": author,
                "teaser": teaser,
                "link": link,
                "image_url": image_url,
                "warnings": json.dumps(list(warnings), ensure_ascii=False),
            },
            RenderRow(
                status="ready",
                synthesized=synthesized,
                cached=cached,
                duration_s=duration_s,
                wall_s=wall_s,
            ),
        )

    def fail_render(self, claim: Claim, reason: str, message: str, wall_s: float) -> bool:
        """Record why the revision failed; the previous revision's audio stays served."""
        return self._end_render(
            claim,
            _now(),
            {"error_reason": reason, "error_message": message},
            RenderRow(status="failed", wall_s=wall_s),
        )

    def _end_render(
        self, claim: Claim, now: datetime, article: dict[str, Any], render: RenderRow
    ) -> bool:
        """End the claimed render: set the article to ``render.status`` with the
        ``article`` columns, release the lease, and log ``render``; False when the claim
        was lost (one atomic UPDATE decides, as in :meth:`claim_render`)."""
        with self.session() as s:
            result = s.execute(
                update(ArticleRow)
                .where(
                    ArticleRow.source_id == claim.source_id,
                    ArticleRow.revision == claim.revision,
                    ArticleRow.claimed_by == claim.worker,
                )
                .values(status=render.status, lease_until=0.0, updated_at=now, **article)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return False
            render.source_id = claim.source_id
            render.revision = claim.revision
            render.worker = claim.worker
            render.finished_at = now
            s.add(render)
            return True

    def stale_renders(self, lease_s: float, *, queued: bool = True) -> list[tuple[str, int]]:
        """Articles waiting longer than a lease with nobody holding them: re-queue these.

        Covers a worker killed mid-render (lease ran out) and a job lost from the queue
        (queued, lease never taken). Each returned article's lease clock is reset, so it is
        handed out once per lease period, not on every sweep. With ``queued=False`` only
        abandoned renders are returned (while the queue is busy, a waiting article's job is
        most likely still in it).
        """
        now = time.time()
        out: list[tuple[str, int]] = []
        try:
            with self.session() as s:
                candidates = s.execute(
                    select(
                        ArticleRow.source_id,
                        ArticleRow.revision,
                        ArticleRow.status,
                        ArticleRow.lease_until,
                    ).where(
                        ArticleRow.status.in_(("queued", "rendering")),
                        ArticleRow.lease_until < now,
                    )
                ).all()
            for source_id, revision, status, lease_until in candidates:
                fresh = status == "queued" and lease_until == 0.0
                if status == "queued" and not queued:
                    continue
                # Compare-and-set: only if nobody touched the row since we read it (a worker
                # may have claimed or finished it meanwhile).
                with self.session() as s:
                    result = s.execute(
                        update(ArticleRow)
                        .where(
                            ArticleRow.source_id == source_id,
                            ArticleRow.revision == revision,
                            ArticleRow.status == status,
                            ArticleRow.lease_until == lease_until,
                        )
                        .values(status="queued", claimed_by=None, lease_until=now + lease_s)
                    )
                    changed = result.rowcount == 1  # type: ignore[attr-defined]
                if changed and not fresh:  # a fresh one gets one lease period for its own job
                    out.append((source_id, revision))
        except OperationalError:  # the database is busy: sweep again next time
            return out
        return out

    def render_counts(self) -> dict[str, float]:
        """Totals for /metrics: renders by status, utterances, audio and wall seconds."""
        with self.session() as s:
            ready = s.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(RenderRow.synthesized), 0),
                    func.coalesce(func.sum(RenderRow.cached), 0),
                    func.coalesce(func.sum(RenderRow.duration_s), 0.0),
                    func.coalesce(func.sum(RenderRow.wall_s), 0.0),
                ).where(RenderRow.status == "ready")
            ).one()
            failed = s.scalar(
                select(func.count()).select_from(RenderRow).where(RenderRow.status == "failed")
            )
            by_status = dict(
                s.execute(select(ArticleRow.status, func.count()).group_by(ArticleRow.status)).all()
            )
            feedback = s.scalar(select(func.count()).select_from(FeedbackRow))
        out: dict[str, float] = {
            "renders_ready": float(ready[0]),
            "renders_failed": float(failed or 0),
            "utterances_synthesized": float(ready[1]),
            "utterances_cached": float(ready[2]),
            "audio_seconds": float(ready[3]),
            "render_wall_seconds": float(ready[4]),
            "feedback": float(feedback or 0),
        }
        for status in STATUSES:
            out[f"articles_{status}"] = float(by_status.get(status, 0))
        return out

    def renders_of(self, source_id: str) -> list[tuple[int, str, str]]:
        """``(revision, status, worker)`` of every finished render of an article."""
        with self.session() as s:
            rows = s.execute(
                select(RenderRow.revision, RenderRow.status, RenderRow.worker)
                .where(RenderRow.source_id == source_id)
                .order_by(RenderRow.id)
            ).all()
        return [(int(r), str(st), str(w)) for r, st, w in rows]

    # -- feedback -----------------------------------------------------------------------

    def add_feedback(
        self,
        source_id: str,
        *,
        category: str,
        message: str,
        revision: int | None,
        time_s: float | None = None,
        utterance: int | None = None,
        rating: int | None = None,
        written: str | None = None,
        spoken: str | None = None,
    ) -> FeedbackRecord:
        """Store a listener's report (the article must exist)."""
        with self.session() as s:
            self._row(s, source_id)
            row = FeedbackRow(
                source_id=source_id,
                revision=revision,
                category=category,
                message=message,
                time_s=time_s,
                utterance=utterance,
                rating=rating,
                written=written,
                spoken=spoken,
                status="open",
                created_at=_now(),
            )
            s.add(row)
            s.flush()
            return _feedback(row)

    def list_feedback(
        self,
        *,
        source_id: str | None = None,
        category: str | None = None,
        status: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[FeedbackRecord], int]:
        """The feedback inbox, newest first, filtered; and the total count."""
        with self.session() as s:
            query = select(FeedbackRow)
            count = select(func.count()).select_from(FeedbackRow)
            for column, value in (
                (FeedbackRow.source_id, source_id),
                (FeedbackRow.category, category),
                (FeedbackRow.status, status),
            ):
                if value is not None:
                    query = query.where(column == value)
                    count = count.where(column == value)
            rows = s.scalars(
                query.order_by(FeedbackRow.id.desc()).offset(offset).limit(limit)
            ).all()
            return [_feedback(r) for r in rows], int(s.scalar(count) or 0)

    def set_feedback_status(self, feedback_id: int, status: str) -> FeedbackRecord:
        """Mark a report ``open`` or ``done``."""
        if status not in FEEDBACK_STATUSES:
            raise InputError(f"Unknown feedback status {status!r}.", reason="bad_status")
        with self.session() as s:
            row = _get(s, FeedbackRow, feedback_id, "Feedback")
            row.status = status
            s.flush()
            return _feedback(row)

    # -- lexicon ------------------------------------------------------------------------

    def lexicon_entries(self) -> list[LexiconRecord]:
        """The publisher lexicon, alphabetically."""
        with self.session() as s:
            rows = s.scalars(select(LexiconRow).order_by(LexiconRow.grapheme, LexiconRow.id)).all()
            return [_lexicon(r) for r in rows]

    def get_lexicon_entry(self, entry_id: int) -> LexiconRecord:
        with self.session() as s:
            row = _get(s, LexiconRow, entry_id, "Lexicon entry")
            return _lexicon(row)

    def save_lexicon_entry(
        self,
        *,
        key: str,
        grapheme: str,
        kind: str,
        value: str,
        case_sensitive: bool,
        voice: str | None,
        entry_id: int | None = None,
    ) -> LexiconRecord:
        """Insert an entry, or replace the one with the same key (or ``entry_id``)."""
        with self.session() as s:
            row = _get(s, LexiconRow, entry_id, "Lexicon entry") if entry_id is not None else None
            same_key = s.scalar(select(LexiconRow).where(LexiconRow.key == key))
            if row is None:
                row = same_key
            elif same_key is not None and same_key.id != row.id:
                s.delete(same_key)
                s.flush()
            if row is None:
                row = LexiconRow(
                    key=key,
                    grapheme=grapheme,
                    kind=kind,
                    value=value,
                    case_sensitive=case_sensitive,
                    voice=voice,
                    updated_at=_now(),
                )
                s.add(row)
            else:
                row.key, row.grapheme, row.kind, row.value = key, grapheme, kind, value
                row.case_sensitive, row.voice, row.updated_at = case_sensitive, voice, _now()
            s.flush()
            return _lexicon(row)

    def delete_lexicon_entry(self, entry_id: int) -> LexiconRecord:
        """Remove an entry; returns what it was (to re-render what it touched)."""
        with self.session() as s:
            row = _get(s, LexiconRow, entry_id, "Lexicon entry")
            record = _lexicon(row)
            s.delete(row)
            return record

    # -- tokens -------------------------------------------------------------------------

    def create_token(self, name: str) -> tuple[TokenRecord, str]:
        """A new API token: its record and the secret, shown once (only a hash is kept)."""
        secret = "vl_" + secrets.token_urlsafe(32)
        with self.session() as s:
            row = TokenRow(
                name=name, token_hash=hash_token(secret), prefix=secret[:8], created_at=_now()
            )
            s.add(row)
            s.flush()
            return _token(row), secret

    def list_tokens(self) -> list[TokenRecord]:
        with self.session() as s:
            return [_token(r) for r in s.scalars(select(TokenRow).order_by(TokenRow.id))]

    def revoke_token(self, token_id: int) -> TokenRecord:
        """Revoke a token and every newsroom session logged in with it."""
        with self.session() as s:
            row = _get(s, TokenRow, token_id, "Token")
            now = _now()
            if row.revoked_at is None:
                row.revoked_at = now
            s.execute(
                update(AdminSessionRow)
                .where(AdminSessionRow.token_id == token_id, AdminSessionRow.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            s.flush()
            return _token(row)

    def token_id(self, secret: str) -> int | None:
        """The id of the stored, unrevoked token ``secret``; None for any other."""
        digest = hash_token(secret)
        with self.session() as s:
            row = s.scalar(select(TokenRow).where(TokenRow.token_hash == digest))
            if row is None or row.revoked_at is not None:
                return None
            return row.id

    # -- newsroom sessions --------------------------------------------------------------

    def create_admin_session(self, token_secret: str, token_id: int | None, ttl_s: float) -> str:
        """A new newsroom session for an editor who gave ``token_secret``; returns the
        session id for the cookie (256 random bits; only its SHA-256 is stored)."""
        session_id = "vs_" + secrets.token_urlsafe(32)
        now = _now()
        with self.session() as s:
            # Expired sessions are removed as new ones are made, so the table stays small.
            s.execute(delete(AdminSessionRow).where(AdminSessionRow.expires_at < now))
            s.add(
                AdminSessionRow(
                    session_hash=hash_token(session_id),
                    token_hash=hash_token(token_secret),
                    token_id=token_id,
                    created_at=now,
                    expires_at=datetime.fromtimestamp(now.timestamp() + ttl_s, UTC),
                )
            )
        return session_id

    def check_admin_session(self, session_id: str) -> AdminSession | None:
        """The live session behind a cookie: None when unknown, expired, logged out, or its
        stored token was revoked."""
        if not session_id:
            return None
        digest = hash_token(session_id)
        with self.session() as s:
            row = s.scalar(select(AdminSessionRow).where(AdminSessionRow.session_hash == digest))
            if row is None or not hmac.compare_digest(row.session_hash, digest):
                return None
            expires = _utc(row.expires_at)
            if row.revoked_at is not None or expires is None or expires <= _now():
                return None
            if row.token_id is not None:
                token = s.get(TokenRow, row.token_id)
                if token is None or token.revoked_at is not None:
                    return None
            return AdminSession(row.id, row.token_hash, row.token_id, expires)

    def revoke_admin_session(self, session_id: str) -> None:
        """Log a session out (nothing happens for an unknown id)."""
        with self.session() as s:
            s.execute(
                update(AdminSessionRow)
                .where(
                    AdminSessionRow.session_hash == hash_token(session_id),
                    AdminSessionRow.revoked_at.is_(None),
                )
                .values(revoked_at=_now())
            )

    def check_token(self, secret: str) -> str:
        """``"valid"``, ``"revoked"`` or ``"unknown"`` for a presented token.

        The lookup is by hash (a secret never reaches an index), then compared in constant
        time.
        """
        digest = hash_token(secret)
        with self.session() as s:
            row = s.scalar(select(TokenRow).where(TokenRow.token_hash == digest))
            if row is None or not hmac.compare_digest(row.token_hash, digest):
                return "unknown"
            return "revoked" if row.revoked_at is not None else "valid"

    # -- listens ------------------------------------------------------------------------

    def add_listen(self, source_id: str, milestone: int, revision: int | None) -> None:
        """Count a player ping (started, 25/50/75 %, finished) for an article."""
        if milestone not in LISTEN_MILESTONES:
            raise InputError(
                f"Milestone must be one of {LISTEN_MILESTONES}, not {milestone}.",
                reason="bad_milestone",
            )
        with self.session() as s:
            row = self._row(s, source_id)
            if revision is not None and revision > row.revision:
                raise InputError(
                    f"The article has no revision {revision} (its latest is {row.revision}).",
                    reason="bad_revision",
                )
            s.add(
                ListenRow(
                    source_id=source_id, revision=revision, milestone=milestone, created_at=_now()
                )
            )

    def listen_counts(self, source_ids: Sequence[str] | None = None) -> list[ListenCount]:
        """Pings per milestone, per article."""
        with self.session() as s:
            query = select(ListenRow.source_id, ListenRow.milestone, func.count()).group_by(
                ListenRow.source_id, ListenRow.milestone
            )
            if source_ids is not None:
                query = query.where(ListenRow.source_id.in_(list(source_ids)))
            rows = s.execute(query).all()
        counts: dict[str, dict[int, int]] = {}
        for sid, milestone, n in rows:
            counts.setdefault(sid, {m: 0 for m in LISTEN_MILESTONES})[int(milestone)] = int(n)
        return [ListenCount(sid, by) for sid, by in sorted(counts.items())]
