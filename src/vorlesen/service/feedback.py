"""Listener feedback and listens: what the player reports, kept with what was heard.

A listen is a milestone a player reached (0 = started, 25/50/75/100 % of the article);
each client counts once per article and milestone within the limiter's window, so a
reloading page does not inflate the newsroom's numbers.

A report names a moment (a time in the audio, or a sentence number); it is stored with the
revision that was playing and that sentence's written and spoken text *then*, so the
newsroom sees what the listener heard even after the article changed. A sentence number
the audio does not have is dropped; the report is kept.
"""

from __future__ import annotations

import json
from typing import Any

from vorlesen.errors import VorlesenError
from vorlesen.service.ratelimit import RateLimiter
from vorlesen.store.blobs import BlobStore, revision_prefix
from vorlesen.store.db import FeedbackRecord, Store

__all__ = ["record_listen", "revision_timings", "take_feedback", "utterance_at"]


def revision_timings(
    blobs: BlobStore, source_id: str, revision: int | None
) -> dict[str, Any] | None:
    """The timings document of a rendered revision; ``None`` when there is none (yet), or
    it cannot be read."""
    if revision is None:
        return None
    key = f"{revision_prefix(source_id, revision)}/timings.json"
    try:
        data = json.loads(blobs.read_bytes(key).decode("utf-8"))
    except (VorlesenError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def utterance_at(
    timings: list[dict[str, Any]], *, utterance: int | None, time_s: float | None
) -> dict[str, Any] | None:
    """The utterance a report is about: by index, else the one playing at ``time_s``
    (in a pause: the one just before)."""
    if utterance is not None:
        return next((t for t in timings if t.get("index") == utterance), None)
    if time_s is None:
        return None
    before = None
    for t in timings:
        if float(t.get("start", 0)) <= time_s:
            before = t
        else:
            break
    return before


def take_feedback(
    source_id: str,
    *,
    store: Store,
    blobs: BlobStore,
    category: str,
    message: str,
    time_s: float | None,
    utterance: int | None,
    rating: int | None,
) -> FeedbackRecord:
    """Store a listener's report on ``source_id`` with the revision being served and the
    sentence it is about (raises :class:`~vorlesen.errors.NotFoundError` for an unknown
    article)."""
    article = store.get_article(source_id)
    revision = article.ready_revision
    found = None
    if revision is not None:
        doc = revision_timings(blobs, source_id, revision) or {}
        utterances = doc.get("utterances")
        timings = utterances if isinstance(utterances, list) else []
        found = utterance_at(timings, utterance=utterance, time_s=time_s)
        utterance = int(found["index"]) if found else None
    return store.add_feedback(
        source_id,
        category=category,
        message=message,
        revision=revision,
        time_s=time_s,
        utterance=utterance,
        rating=rating,
        written=str(found["written"]) if found else None,
        spoken=str(found["spoken"]) if found else None,
    )


def record_listen(
    source_id: str,
    milestone: int,
    revision: int | None,
    *,
    client: str,
    store: Store,
    limiter: RateLimiter,
) -> None:
    """Count that a player on ``client`` reached ``milestone`` of ``source_id`` (raises
    :class:`~vorlesen.errors.RateLimitError` past the limiter's allowance)."""
    limiter.hit(f"listen:{client}:{source_id}:{milestone}")
    store.add_listen(source_id, milestone, revision)
