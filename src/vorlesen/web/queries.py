"""Read-only queries the newsroom pages need beyond :class:`~vorlesen.store.db.Store`'s methods.

Kept here (not in ``store/``) because only the newsroom asks them: renders per day, the
real-time factor over time, feedback per day by category, and the latest render of each
article. They read the store's tables through its session and return plain values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from vorlesen.store.db import FEEDBACK_CATEGORIES, FeedbackRow, RenderRow, Store

__all__ = [
    "DailySeries",
    "RenderPoint",
    "feedback_per_day",
    "last_renders",
    "recent_renders",
    "renders_per_day",
]


@dataclass(frozen=True, slots=True)
class DailySeries:
    """Counts per day for a run of consecutive days, split by key."""

    days: tuple[date, ...]
    series: dict[str, list[float]]


@dataclass(frozen=True, slots=True)
class RenderPoint:
    """One finished render: when, how long the audio, how long it took."""

    source_id: str
    revision: int
    finished_at: datetime
    duration_s: float
    wall_s: float
    synthesized: int
    cached: int
    status: str

    @property
    def rtf(self) -> float:
        """Real-time factor: seconds of work per second of audio (lower is faster)."""
        return self.wall_s / self.duration_s if self.duration_s > 0 else 0.0


def _day(value: datetime) -> date:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).date()


def _days(n: int, today: date | None) -> tuple[date, ...]:
    end = today or datetime.now(UTC).date()
    return tuple(end - timedelta(days=n - 1 - i) for i in range(n))


def feedback_per_day(store: Store, *, days: int = 14, today: date | None = None) -> DailySeries:
    """Feedback reports per day (UTC) and category over the last ``days`` days."""
    span = _days(days, today)
    since = datetime.combine(span[0], datetime.min.time(), tzinfo=UTC)
    with store.session() as s:
        rows = s.execute(
            select(FeedbackRow.created_at, FeedbackRow.category).where(
                FeedbackRow.created_at >= since
            )
        ).all()
    index = {d: i for i, d in enumerate(span)}
    series: dict[str, list[float]] = {c: [0.0] * len(span) for c in FEEDBACK_CATEGORIES}
    for created, category in rows:
        i = index.get(_day(created))
        if i is not None:
            series.setdefault(category, [0.0] * len(span))[i] += 1
    return DailySeries(days=span, series=series)


def renders_per_day(store: Store, *, days: int = 14, today: date | None = None) -> DailySeries:
    """Finished renders per day (UTC), split into ``ready`` and ``failed``."""
    span = _days(days, today)
    since = datetime.combine(span[0], datetime.min.time(), tzinfo=UTC)
    with store.session() as s:
        rows = s.execute(
            select(RenderRow.finished_at, RenderRow.status).where(RenderRow.finished_at >= since)
        ).all()
    index = {d: i for i, d in enumerate(span)}
    series: dict[str, list[float]] = {"ready": [0.0] * len(span), "failed": [0.0] * len(span)}
    for finished, status in rows:
        i = index.get(_day(finished))
        if i is not None:
            series.setdefault(status, [0.0] * len(span))[i] += 1
    return DailySeries(days=span, series=series)


def _point(row: RenderRow) -> RenderPoint:
    finished = row.finished_at if row.finished_at.tzinfo else row.finished_at.replace(tzinfo=UTC)
    return RenderPoint(
        source_id=row.source_id,
        revision=row.revision,
        finished_at=finished,
        duration_s=row.duration_s,
        wall_s=row.wall_s,
        synthesized=row.synthesized,
        cached=row.cached,
        status=row.status,
    )


def recent_renders(store: Store, *, limit: int = 50) -> list[RenderPoint]:
    """The latest successful renders, oldest first (for the real-time-factor chart)."""
    with store.session() as s:
        rows = s.scalars(
            select(RenderRow)
            .where(RenderRow.status == "ready", RenderRow.duration_s > 0)
            .order_by(RenderRow.id.desc())
            .limit(limit)
        ).all()
        return [_point(r) for r in reversed(rows)]


def last_renders(store: Store, source_ids: Sequence[str]) -> dict[str, RenderPoint]:
    """The most recent finished render of each article in ``source_ids``."""
    if not source_ids:
        return {}
    with store.session() as s:
        latest = (
            select(func.max(RenderRow.id))
            .where(RenderRow.source_id.in_(list(source_ids)))
            .group_by(RenderRow.source_id)
        )
        rows = s.scalars(select(RenderRow).where(RenderRow.id.in_(latest))).all()
        return {r.source_id: _point(r) for r in rows}
