"""Listener feedback: posted from the player (public, rate-limited), read by the newsroom."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from vorlesen.errors import VorlesenError
from vorlesen.http.deps import ServiceDep, require_token
from vorlesen.service.container import Service
from vorlesen.store.blobs import revision_prefix

from ..schemas import (
    SOURCE_ID_PATTERN,
    FeedbackIn,
    FeedbackList,
    FeedbackOut,
    FeedbackPatch,
    feedback_out,
)

__all__ = ["router", "utterance_at"]

router = APIRouter(tags=["feedback"])


def _timings(service: Service, source_id: str, revision: int) -> list[dict[str, Any]]:
    try:
        key = f"{revision_prefix(source_id, revision)}/timings.json"
        doc = json.loads(service.blobs.read_bytes(key).decode("utf-8"))
    except (VorlesenError, OSError, ValueError):
        return []
    utterances = doc.get("utterances") if isinstance(doc, dict) else None
    return utterances if isinstance(utterances, list) else []


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


@router.post("/api/articles/{source_id}/feedback", status_code=201, response_model=FeedbackOut)
def post_feedback(
    source_id: Annotated[str, Path(pattern=SOURCE_ID_PATTERN)],
    body: FeedbackIn,
    request: Request,
    service: ServiceDep,
) -> FeedbackOut:
    """A listener reports a problem; stored with the revision and the utterance's written
    and spoken text at that time."""
    client = request.client.host if request.client else "unknown"
    service.feedback_limiter.hit(f"feedback:{client}")
    article = service.store.get_article(source_id)
    revision = article.ready_revision
    found = None
    utterance = body.utterance
    if revision is not None:
        found = utterance_at(
            _timings(service, source_id, revision), utterance=body.utterance, time_s=body.time_s
        )
        # The report is kept; a sentence number the audio does not have is not.
        utterance = int(found["index"]) if found else None
    record = service.store.add_feedback(
        source_id,
        category=body.category,
        message=body.message,
        revision=revision,
        time_s=body.time_s,
        utterance=utterance,
        rating=body.rating,
        written=str(found["written"]) if found else None,
        spoken=str(found["spoken"]) if found else None,
    )
    return feedback_out(record)


@router.get("/api/feedback", response_model=FeedbackList, dependencies=[Depends(require_token)])
def list_feedback(
    service: ServiceDep,
    article: Annotated[str | None, Query(pattern=SOURCE_ID_PATTERN)] = None,
    category: Annotated[
        str | None, Query(pattern="^(pronunciation|number|wrong_text|voice|other)$")
    ] = None,
    status: Annotated[str | None, Query(pattern="^(open|done)$")] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FeedbackList:
    """The feedback inbox, newest first."""
    items, total = service.store.list_feedback(
        source_id=article, category=category, status=status, offset=offset, limit=limit
    )
    return FeedbackList(
        items=[feedback_out(i) for i in items], total=total, offset=offset, limit=limit
    )


@router.patch(
    "/api/feedback/{feedback_id}", response_model=FeedbackOut, dependencies=[Depends(require_token)]
)
def patch_feedback(feedback_id: int, body: FeedbackPatch, service: ServiceDep) -> FeedbackOut:
    """Mark a report done (or open again)."""
    return feedback_out(service.store.set_feedback_status(feedback_id, body.status))
