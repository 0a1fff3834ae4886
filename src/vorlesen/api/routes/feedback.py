"""Listener feedback: posted from the player (public, rate-limited), read by the newsroom."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from vorlesen.http.deps import ServiceDep, require_token
from vorlesen.service.feedback import take_feedback

from ..schemas import (
    SOURCE_ID_PATTERN,
    FeedbackIn,
    FeedbackList,
    FeedbackOut,
    FeedbackPatch,
    feedback_out,
)

__all__ = ["router"]

router = APIRouter(tags=["feedback"])


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
    record = take_feedback(
        source_id,
        store=service.store,
        blobs=service.blobs,
        category=body.category,
        message=body.message,
        time_s=body.time_s,
        utterance=body.utterance,
        rating=body.rating,
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
