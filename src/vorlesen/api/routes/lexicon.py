"""The publisher lexicon: CRUD; a saved or removed entry re-renders what it touches."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from vorlesen.config import Settings
from vorlesen.http.deps import ServiceDep, require_token
from vorlesen.lexicon import LexEntry, make_entry
from vorlesen.service import lexicon as lexicon_service
from vorlesen.service.lexicon import (
    check_for_voice,
    lexicon_from_records,
    save_entries,
)

from ..schemas import LexiconIn, LexiconOut, lexicon_out

__all__ = ["router"]

router = APIRouter(tags=["lexicon"], dependencies=[Depends(require_token)])


def _entry(body: LexiconIn, settings: Settings) -> LexEntry:
    """A checked entry: text normalized, IPA limited to symbols the voice can speak."""
    entry = make_entry(
        body.grapheme, body.kind, body.value, case_sensitive=body.case_sensitive, voice=body.voice
    )
    check_for_voice(settings, entry)
    return entry


@router.get("/api/lexicon", response_model=list[LexiconOut])
def list_entries(service: ServiceDep) -> list[LexiconOut]:
    """Every publisher entry."""
    return [lexicon_out(r) for r in service.store.lexicon_entries()]


@router.post("/api/lexicon", status_code=201, response_model=LexiconOut)
def create_entry(body: LexiconIn, service: ServiceDep) -> LexiconOut:
    """Add an entry (or replace the one for the same grapheme and voice)."""
    entry = _entry(body, service.settings)
    (record,), rerendered = save_entries(service.store, service.queue, [entry])
    return lexicon_out(record, rerendered)


@router.put("/api/lexicon/{entry_id}", response_model=LexiconOut)
def update_entry(entry_id: int, body: LexiconIn, service: ServiceDep) -> LexiconOut:
    """Change an entry; articles with the old or the new grapheme are re-rendered."""
    old = service.store.get_lexicon_entry(entry_id)
    entry = _entry(body, service.settings)
    replaced = lexicon_from_records([old])
    (record,), rerendered = save_entries(
        service.store, service.queue, [entry], entry_id=entry_id, replaced=replaced
    )
    return lexicon_out(record, rerendered)


@router.delete("/api/lexicon/{entry_id}", status_code=204)
def delete_entry(entry_id: int, service: ServiceDep) -> Response:
    """Remove an entry; articles that used it are re-rendered without it."""
    lexicon_service.delete_entry(service.store, service.queue, entry_id)
    return Response(status_code=204)
