"""The article as every edge shows it: the API's state, the webhook's body.

One definition, so a webhook and ``GET /api/articles/{id}`` can never disagree, and the
queue need not import the HTTP layer to describe an article.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from vorlesen.errors import InputError
from vorlesen.store.db import ArticleRecord

__all__ = ["ArticleState", "ErrorInfo", "article_state", "parse_published"]


class ErrorInfo(BaseModel):
    reason: str
    message: str


class ArticleState(BaseModel):
    """An article as the API reports it."""

    source_id: str
    status: Literal["queued", "rendering", "ready", "failed"]
    revision: int
    ready_revision: int | None = Field(
        None,
        description="Revision whose audio the URLs serve (the previous one while a "
        "new revision renders or after it failed).",
    )
    title: str | None
    section: str | None = Field(None, description="The section the served revision names.")
    section_feed: str | None = Field(
        None, description="Its podcast feed (``/feed.xml?section=…``)."
    )
    duration_s: float | None
    voice: str | None
    engine: str | None
    audio_mp3: str | None
    audio_opus: str | None
    timings_json: str | None
    captions_vtt: str | None
    utterances_total: int | None
    utterances_synthesized: int | None
    error: ErrorInfo | None
    warnings: list[str] = Field(
        default_factory=list,
        description="What an editor should check before the audio goes on air: a doubtful "
        "extraction (little text for the page, mostly short lines), SSML that was read "
        "differently than written.",
    )
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime


def article_state(article: ArticleRecord, base_url: str = "") -> ArticleState:
    """The API view of a stored article; URLs are absolute when ``base_url`` is given."""
    base = base_url.rstrip("/")

    def url(name: str) -> str | None:
        if article.ready_revision is None:
            return None
        return f"{base}/api/articles/{article.source_id}/{name}?v={article.ready_revision}"

    error = None
    if article.status == "failed" and article.error_reason:
        error = ErrorInfo(reason=article.error_reason, message=article.error_message or "")
    return ArticleState(
        source_id=article.source_id,
        status=article.status,  # the store only writes these four
        revision=article.revision,
        ready_revision=article.ready_revision,
        title=article.title or article.payload.get("title"),
        section=article.section,
        section_feed=f"{base}/feed.xml?section={article.section_key}"
        if article.section_key
        else None,
        duration_s=round(article.duration_s, 3) if article.duration_s is not None else None,
        voice=article.voice,
        engine=article.engine,
        audio_mp3=url("audio.mp3"),
        audio_opus=url("audio.opus"),
        timings_json=url("timings.json"),
        warnings=list(article.warnings),
        captions_vtt=url("captions.vtt"),
        utterances_total=article.utterances_total,
        utterances_synthesized=article.utterances_synthesized,
        error=error,
        published_at=article.published_at,
        created_at=article.created_at,
        updated_at=article.updated_at,
    )


def parse_published(value: object) -> datetime | None:
    """An ISO 8601 ``published_at`` as a UTC datetime (one without an offset is taken as
    UTC); ``InputError`` when malformed."""
    if value in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(
            f"published_at {value!r} is not an ISO 8601 date-time.", reason="bad_published_at"
        ) from exc
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
