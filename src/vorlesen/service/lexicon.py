"""The publisher lexicon, one for the service and the command line.

Entries live in the service's database (``VORLESEN_DATA_DIR``'s SQLite file, or
``VORLESEN_DATABASE_URL``). The API, the newsroom and ``vorlesen lexicon`` all save through
:func:`save_entries`, so a pronunciation an editor fixed from listener feedback is heard
by ``vorlesen read`` on the same data directory, and a change re-renders every article
it touches.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vorlesen.config import Settings
from vorlesen.errors import VorlesenError
from vorlesen.lexicon import LexEntry, Lexicon, check_entry, default_phonemes, make_entry
from vorlesen.lexicon.phonemes import allowed_phonemes
from vorlesen.service.queue import RenderQueue
from vorlesen.store.db import LexiconRecord, Store
from vorlesen.synth.voices import resolve_voice

__all__ = [
    "LEGACY_FILE",
    "affected_articles",
    "check_for_voice",
    "delete_entry",
    "entry_key",
    "import_legacy_file",
    "lexicon_from_records",
    "publisher_entries",
    "rerender_touched",
    "save_entries",
    "save_entry",
    "voice_phonemes",
]

LEGACY_FILE = "lexicon.tsv"
"""The file ``vorlesen lexicon`` kept entries in before they moved into the database."""


def lexicon_from_records(records: list[LexiconRecord]) -> list[LexEntry]:
    """Stored entries as :class:`LexEntry` values (each re-checked by ``make_entry``)."""
    return [
        make_entry(r.grapheme, r.kind, r.value, case_sensitive=r.case_sensitive, voice=r.voice)
        for r in records
    ]


def publisher_entries(store: Store) -> list[LexEntry]:
    """The publisher's entries, as a render applies them."""
    return lexicon_from_records(store.lexicon_entries())


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


def entry_key(entry: LexEntry) -> str:
    """The store's identity of an entry (``LexEntry.key`` as one string): a saved entry with
    the same grapheme, case rule and voice replaces the stored one. Every writer goes
    through this, so none can make a duplicate of another's."""
    grapheme, case_sensitive, voice = entry.key
    return "\x1f".join((grapheme, "1" if case_sensitive else "0", voice or ""))


def save_entry(store: Store, entry: LexEntry, entry_id: int | None = None) -> LexiconRecord:
    """Store a checked entry under its key (replacing entry ``entry_id`` when given)."""
    return store.save_lexicon_entry(
        key=entry_key(entry),
        grapheme=entry.grapheme,
        kind=entry.kind,
        value=entry.value,
        case_sensitive=entry.case_sensitive,
        voice=entry.voice,
        entry_id=entry_id,
    )


def _stored(store: Store) -> dict[str, tuple[LexiconRecord, LexEntry]]:
    """Every stored entry by its key, with the entry it makes."""
    records = store.lexicon_entries()
    entries = lexicon_from_records(records)
    return {entry_key(e): (r, e) for r, e in zip(records, entries, strict=True)}


def affected_articles(store: Store, entries: list[LexEntry]) -> list[str]:
    """Articles whose text contains a grapheme of ``entries`` (as the matcher finds it)."""
    lexicon = Lexicon(entries)
    hits: list[str] = []
    for source_id, text in store.articles_with_text():
        if any(part.matched for part in lexicon.apply(text)):
            hits.append(source_id)
    return hits


def rerender_touched(store: Store, queue: RenderQueue | None, entries: list[LexEntry]) -> list[str]:
    """Start a new revision of every article the entries touch; returns their ids.

    With a ``queue`` each is queued at once; without one (the command line) each waits as
    ``queued`` and a worker's sweep picks it up (within ``VORLESEN_RENDER_LEASE_S``)."""
    ids = affected_articles(store, entries)
    for source_id in ids:
        article = store.rerender(source_id)
        if queue is not None:
            queue.enqueue_render(source_id, article.revision)
    return ids


def save_entries(
    store: Store,
    queue: RenderQueue | None,
    entries: list[LexEntry],
    *,
    entry_id: int | None = None,
    replaced: list[LexEntry] | None = None,
) -> tuple[list[LexiconRecord], list[str]]:
    """Store checked entries (``entry_id``: the one entry replaces that stored entry) and
    re-render the articles they touch, with the ``replaced`` entries' articles. An entry
    identical to the stored one (same key, kind and value) changes nothing and re-renders
    nothing. Returns the stored records and the re-rendered article ids."""
    stored = _stored(store)
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
        record = save_entry(store, entry, entry_id)
        stored[key] = (record, entry)  # a later entry for the same key compares with this
        records.append(record)
        changed.append(entry)
    if not changed:
        return records, []
    return records, rerender_touched(store, queue, [*(replaced or []), *changed])


def delete_entry(store: Store, queue: RenderQueue | None, entry_id: int) -> list[str]:
    """Remove an entry; articles that used it are re-rendered without it."""
    old = store.delete_lexicon_entry(entry_id)
    return rerender_touched(store, queue, lexicon_from_records([old]))


def import_legacy_file(store: Store, data_dir: Path, say: Callable[[str], None]) -> int:
    """Move entries from the data folder's old ``lexicon.tsv`` into the database, once: the
    file is renamed ``lexicon.tsv.imported`` afterwards. Returns how many were imported."""
    from vorlesen.lexicon.storage import LexiconFile

    path = Path(data_dir) / LEGACY_FILE
    if not path.is_file():
        return 0
    entries = LexiconFile(path).load(missing_ok=False)
    save_entries(store, None, entries)
    done = path.with_name(path.name + ".imported")
    path.replace(done)
    say(
        f"imported {len(entries)} entries from {path} into the lexicon database "
        f"(the file is kept as {done.name})"
    )
    return len(entries)
