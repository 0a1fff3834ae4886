"""Sources: RSS/Atom feeds and XML sitemaps the service polls (token required)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from vorlesen.cleantext import CleanStr
from vorlesen.http.deps import ServiceDep, require_token
from vorlesen.store.sources import SourceRecord

__all__ = ["SourceIn", "SourceOut", "router"]

router = APIRouter(tags=["sources"], dependencies=[Depends(require_token)])


class SourceIn(BaseModel):
    """A feed or sitemap to poll."""

    url: CleanStr = Field(..., min_length=1, max_length=2000, description="Feed or sitemap URL.")
    voice: CleanStr | None = Field(None, max_length=200, description="Voice for its articles.")
    language: CleanStr | None = Field(None, max_length=16, description="Skip detection.")


class SourceOut(BaseModel):
    """A source and how its polls went."""

    id: int
    url: str
    kind: str | None = Field(None, description="rss, atom, sitemap or sitemap_index.")
    voice: str | None
    language: str | None
    items_found: int
    failures: int = Field(description="Failed polls in a row (each doubles the wait).")
    error_reason: str | None
    error_message: str | None
    last_checked_at: datetime | None
    last_ok_at: datetime | None
    created_at: datetime


def source_out(record: SourceRecord) -> SourceOut:
    return SourceOut(
        id=record.id,
        url=record.url,
        kind=record.kind,
        voice=record.voice,
        language=record.language,
        items_found=record.items_found,
        failures=record.failures,
        error_reason=record.error_reason,
        error_message=record.error_message,
        last_checked_at=record.last_checked_at,
        last_ok_at=record.last_ok_at,
        created_at=record.created_at,
    )


@router.get("/api/sources", response_model=list[SourceOut])
def list_sources(service: ServiceDep) -> list[SourceOut]:
    """Every source, oldest first."""
    return [source_out(s) for s in service.queue.sources.all()]


@router.post("/api/sources", status_code=201, response_model=SourceOut)
def add_source(body: SourceIn, service: ServiceDep) -> SourceOut:
    """Add a feed or sitemap; it is polled at the worker's next sweep."""
    record = service.queue.sources.add(body.url, voice=body.voice, language=body.language)
    return source_out(record)


@router.delete("/api/sources/{source_pk}", status_code=204)
def remove_source(source_pk: Annotated[int, Path(ge=1)], service: ServiceDep) -> Response:
    """Stop polling a source; the articles it brought keep their audio."""
    service.queue.sources.remove(source_pk)
    return Response(status_code=204)
