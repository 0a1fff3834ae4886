"""The publisher lexicon: CRUD; a saved or removed entry re-renders what it touches."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from vorlesen.config import Settings
from vorlesen.errors import VorlesenError
from vorlesen.jobs.render import lexicon_from_records
from vorlesen.lexicon import LexEntry, Lexicon, check_entry, default_phonemes, make_entry
from vorlesen.lexicon.phonemes import allowed_phonemes
from vorlesen.store.db import LexiconRecord
from vorlesen.synth.voices import resolve_voice

from ..deps import Service, ServiceDep, require_token
from ..schemas import LexiconIn, LexiconOut, lexicon_out

__all__ = [
    "affected_articles",
    "check_for_voice",
    "entry_key",
    "rerender_touched",
    "router",
    "save_entries",
    "save_entry",
    "voice_phonemes",
]

router = APIRouter(tags=["lexicon"], dependencies=[Depends(require_token)])


def voice_phonemes(settings: Settings, voice: str | None) -> set[str]:
    """The symbols a voice can speak: its own phoneme map when the voice is at hand (a path,
    the cache or an installed package; nothing is downloaded), else the espeak inventory
    that Piper's German and English voices share."""
    try:
        local_only = settings.model_copy(update={"offline": True})
        files = resolve_voice(voice or settings.voice, local_only)
    except VorlesenError:
        return set(default_phonemes())
    return allowed_phonemes(files.config)


def check_for_voice(settings: Settings, entry: LexEntry) -> None:
    """Refuse an IPA entry the voice it is for (or the default voice) cannot speak."""
    if entry.kind == "ipa":
        check_entry(entry, voice_phonemes(settings, entry.voice))


def _entry(body: LexiconIn, settings: Settings) -> LexEntry:
    """A checked entry: text normalized, IPA limited to symbols the voice can speak."""
    entry = make_entry(
        body.grapheme, body.kind, body.value, case_sensitive=body.case_sensitive, voice=body.voice
    )
    check_for_voice(settings, entry)
    return entry


def entry_key(entry: LexEntry) -> str:
    """The store's identity of an entry (``LexEntry.key`` as one string): a saved entry with
    the same grapheme, case rule and voice replaces the stored one. The API and the
    newsroom both write through this, so neither can make a duplicate of the other's."""
    grapheme, case_sensitive, voice = entry.key
    return "\x1f".join((grapheme, "1" if case_sensitive else "0", voice or ""))


def save_entry(service: Service, entry: LexEntry, entry_id: int | None = None) -> LexiconRecord:
    """Store a checked entry under its key (replacing entry ``entry_id`` when given)."""
    return service.store.save_lexicon_entry(
        key=entry_key(entry),
        grapheme=entry.grapheme,
        kind=entry.kind,
        value=entry.value,
        case_sensitive=entry.case_sensitive,
        voice=entry.voice,
        entry_id=entry_id,
    )


def _stored(service: Service) -> dict[str, tuple[LexiconRecord, LexEntry]]:
    """Every stored entry by its key, with the entry it makes."""
    records = service.store.lexicon_entries()
    entries = lexicon_from_records(records)
    return {entry_key(e): (r, e) for r, e in zip(records, entries, strict=True)}


def save_entries(
    service: Service,
    entries: list[LexEntry],
    *,
    entry_id: int | None = None,
    replaced: list[LexEntry] | None = None,
) -> tuple[list[LexiconRecord], list[str]]:
    """Store checked entries (``entry_id``: the one entry replaces that stored entry) and
    re-render the articles they touch, with the ``replaced`` entries' articles. An entry
    identical to the stored one (same key, kind and value) changes nothing and re-renders
    nothing. Returns the stored records and the re-rendered article ids."""
    stored = _stored(service)
    records: list[LexiconRecord] = []
    changed: list[LexEntry] = []
    for entry in entries:
        key = entry_key(entry)
        same = stored.get(key)
        if (
            same is not None
            and (same[1].grapheme, same[1].kind, same[1].value)
            == (entry.grapheme, entry.kind, entry.value)
            and (entry_id is None or same[0].id == entry_id)
        ):
            records.append(same[0])
            continue
        record = save_entry(service, entry, entry_id)
        stored[key] = (record, entry)  # a later entry for the same key compares with this
        records.append(record)
        changed.append(entry)
    if not changed:
        return records, []
    return records, rerender_touched(service, [*(replaced or []), *changed])


def affected_articles(service: Service, entries: list[LexEntry]) -> list[str]:
    """Articles whose text contains a grapheme of ``entries`` (as the matcher finds it)."""
    lexicon = Lexicon(entries)
    hits: list[str] = []
    for source_id, text in service.store.articles_with_text():
        if any(part.matched for part in lexicon.apply(text)):
            hits.append(source_id)
    return hits


def rerender_touched(service: Service, entries: list[LexEntry]) -> list[str]:
    """Queue a new revision of every article the entries touch; returns their ids."""
    ids = affected_articles(service, entries)
    for source_id in ids:
        article = service.store.rerender(source_id)
        service.queue.enqueue_render(source_id, article.revision)
    return ids


@router.get("/api/lexicon", response_model=list[LexiconOut])
def list_entries(service: ServiceDep) -> list[LexiconOut]:
    """Every publisher entry."""
    return [lexicon_out(r) for r in service.store.lexicon_entries()]


@router.post("/api/lexicon", status_code=201, response_model=LexiconOut)
def create_entry(body: LexiconIn, service: ServiceDep) -> LexiconOut:
    """Add an entry (or replace the one for the same grapheme and voice)."""
    entry = _entry(body, service.settings)
    (record,), rerendered = save_entries(service, [entry])
    return lexicon_out(record, rerendered)


@router.put("/api/lexicon/{entry_id}", response_model=LexiconOut)
def update_entry(entry_id: int, body: LexiconIn, service: ServiceDep) -> LexiconOut:
    """Change an entry; articles with the old or the new grapheme are re-rendered."""
    old = service.store.get_lexicon_entry(entry_id)
    entry = _entry(body, service.settings)
    replaced = lexicon_from_records([old])
    (record,), rerendered = save_entries(service, [entry], entry_id=entry_id, replaced=replaced)
    return lexicon_out(record, rerendered)


@router.delete("/api/lexicon/{entry_id}", status_code=204)
def delete_entry(entry_id: int, service: ServiceDep) -> Response:
    """Remove an entry; articles that used it are re-rendered without it."""
    old = service.store.delete_lexicon_entry(entry_id)
    rerender_touched(service, lexicon_from_records([old]))
    return Response(status_code=204)
