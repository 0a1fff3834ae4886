"""``vorlesen lexicon …``: edit the publisher's pronunciation lexicon from the shell.

There is one lexicon: the service's database in ``VORLESEN_DATA_DIR`` (or
``VORLESEN_DATABASE_URL``). The newsroom, the API and these commands all edit it, and
``vorlesen read`` and ``vorlesen say`` apply it, so a fix an editor made from listener
feedback is heard by the command line too. A change re-renders the service's articles it
touches (a running worker picks them up). ``--file`` edits a TSV/PLS file instead, as
``--lexicon FILE`` applies one to a render. A ``lexicon.tsv`` left in the data directory
by an earlier version is imported once. Errors are raised as
:class:`~vorlesen.errors.VorlesenError`; the main CLI turns them into messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vorlesen.errors import UsageError

if TYPE_CHECKING:  # imported in the commands, so `vorlesen --help` stays fast
    from vorlesen.config import Settings
    from vorlesen.lexicon.entries import LexEntry
    from vorlesen.store.db import Store

__all__ = ["app", "publisher_entries_for_render", "render_lexicon"]

app = typer.Typer(
    name="lexicon",
    help="Pronunciation fixes for names and foreign terms (the service's lexicon, or a "
    "TSV/W3C PLS file with --file).",
    no_args_is_help=True,
)

FileOption = Annotated[
    Path | None,
    typer.Option(
        "--file", "-f", help="Edit this lexicon file (.tsv, .pls, .xml) instead of the database."
    ),
]
VoiceConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--voice-config",
        help="Piper voice .onnx.json whose phonemes IPA must use (default: the entry's voice).",
    ),
]


def _note(message: str) -> None:
    typer.echo(message, err=True)


def _has_database(settings: Settings) -> bool:
    """A database to read: a configured URL, or the data folder's SQLite file."""
    return bool(settings.database_url) or (Path(settings.data_dir) / "vorlesen.db").is_file()


def _store(settings: Settings) -> Store:
    """The service's database (created if needed), with an old ``lexicon.tsv`` imported."""
    from vorlesen.service.lexicon import import_legacy_file
    from vorlesen.store.db import Store

    store = Store.from_settings(settings)
    import_legacy_file(store, Path(settings.data_dir), _note)
    return store


def publisher_entries_for_render(settings: Settings) -> list[LexEntry]:
    """The entries ``read``/``say`` apply: the database's, when there is a database (a data
    folder nobody has used yet costs nothing: not even importing the database layer, which
    would delay starting the synthesis workers by half a second)."""
    legacy = (Path(settings.data_dir) / "lexicon.tsv").is_file()
    if not _has_database(settings) and not legacy:
        return []
    from vorlesen.service.lexicon import import_legacy_file, publisher_entries
    from vorlesen.store.db import Store

    # Reading needs no migration (the lexicon table is as old as the schema): a render does
    # not pay for alembic; importing an old file writes, so it brings the schema up first.
    store = Store.from_settings(settings, migrate=legacy)
    try:
        if legacy:
            import_legacy_file(store, Path(settings.data_dir), _note)
        return publisher_entries(store)
    finally:
        store.close()


def render_lexicon(given: Path | None) -> Path | None:
    """The lexicon file a render applies besides the database: ``given`` (``--lexicon``),
    else ``VORLESEN_LEXICON`` when set."""
    if given is not None:
        return given
    from vorlesen.config import get_settings

    return get_settings().lexicon


def _settings() -> Settings:
    from vorlesen.config import get_settings

    return get_settings()


def _check(entry: LexEntry, settings: Settings, voice_config: Path | None) -> None:
    """Refuse IPA the voice cannot speak: ``--voice-config``'s map, else the entry's voice."""
    from vorlesen.lexicon.phonemes import allowed_phonemes, check_entry
    from vorlesen.service.lexicon import check_for_voice

    if voice_config is not None:
        check_entry(entry, allowed_phonemes(voice_config))
    else:
        check_for_voice(settings, entry)


def _allowed(voice_config: Path | None) -> set[str] | None:
    from vorlesen.lexicon.phonemes import allowed_phonemes

    return allowed_phonemes(voice_config) if voice_config is not None else None


def _describe(entry: LexEntry) -> str:
    options = []
    if entry.case_sensitive:
        options.append("case=sensitive")
    if entry.voice is not None:
        options.append(f"voice={entry.voice}")
    return "\t".join([entry.grapheme, entry.kind, entry.value, ",".join(options)]).rstrip("\t")


def _rerendered(ids: list[str]) -> None:
    if ids:
        _note(f"re-rendering {len(ids)} article{'s' if len(ids) != 1 else ''}: {', '.join(ids)}")


@app.command()
def add(
    grapheme: Annotated[str, typer.Argument(help="Word or phrase as written.")],
    alias: Annotated[str | None, typer.Option(help="Respelling in German letters.")] = None,
    ipa: Annotated[str | None, typer.Option(help="IPA phonemes (espeak-ng symbols).")] = None,
    lang: Annotated[str | None, typer.Option(help="Language to read it in, e.g. 'en'.")] = None,
    case_sensitive: Annotated[
        bool, typer.Option("--case-sensitive", help="Match only this exact capitalization.")
    ] = False,
    voice: Annotated[str | None, typer.Option(help="Only for this voice.")] = None,
    file: FileOption = None,
    voice_config: VoiceConfigOption = None,
) -> None:
    """Add an entry, or replace the one with the same grapheme, case mode and voice."""
    from vorlesen.lexicon.entries import make_entry
    from vorlesen.lexicon.match import Lexicon
    from vorlesen.lexicon.storage import LexiconFile
    from vorlesen.service.lexicon import save_entries

    given = [(k, v) for k, v in (("alias", alias), ("ipa", ipa), ("lang", lang)) if v is not None]
    if len(given) != 1:
        raise UsageError("Give exactly one of --alias, --ipa or --lang.", reason="lexicon_usage")
    kind, value = given[0]
    entry = make_entry(grapheme, kind, value, case_sensitive=case_sensitive, voice=voice)
    if file is not None:
        lexicon_file = LexiconFile(file)
        entries = Lexicon([*lexicon_file.load(), entry]).entries
        lexicon_file.save(entries, allowed=_allowed(voice_config))
    else:
        settings = _settings()
        _check(entry, settings, voice_config)
        store = _store(settings)
        try:
            _records, ids = save_entries(store, None, [entry])
        finally:
            store.close()
        _rerendered(ids)
    typer.echo(f"added\t{_describe(entry)}")


def _entries(file: Path | None, *, missing_ok: bool) -> list[LexEntry]:
    from vorlesen.lexicon.storage import LexiconFile
    from vorlesen.service.lexicon import publisher_entries

    if file is not None:
        return LexiconFile(file).load(missing_ok=missing_ok)
    store = _store(_settings())
    try:
        return publisher_entries(store)
    finally:
        store.close()


@app.command("list")
def list_entries(
    file: FileOption = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Only graphemes or values with this.")
    ] = None,
) -> None:
    """Print the entries, one a line, tab-separated like the TSV format."""
    needle = search.casefold() if search else None
    # A file named with --file must exist (a typo is not an empty lexicon).
    for entry in _entries(file, missing_ok=False):
        haystack = f"{entry.grapheme}\t{entry.value}".casefold()
        if needle and needle not in haystack:
            continue
        typer.echo(_describe(entry))


@app.command()
def remove(
    grapheme: Annotated[str, typer.Argument(help="Grapheme to remove (any case).")],
    voice: Annotated[str | None, typer.Option(help="Only the entry for this voice.")] = None,
    file: FileOption = None,
) -> None:
    """Remove the entries for a grapheme; an unknown grapheme is an error."""
    from vorlesen.lexicon.storage import LexiconFile
    from vorlesen.service.lexicon import delete_entry

    target = " ".join(grapheme.split()).casefold()

    def hit(entry_grapheme: str, entry_voice: str | None) -> bool:
        return entry_grapheme.casefold() == target and (voice is None or entry_voice == voice)

    if file is not None:
        lexicon_file = LexiconFile(file)
        entries = lexicon_file.load()
        kept = [e for e in entries if not hit(e.grapheme, e.voice)]
        removed, where = len(entries) - len(kept), str(lexicon_file.path)
        if removed:
            lexicon_file.save(kept)
    else:
        store = _store(_settings())
        try:
            records = [r for r in store.lexicon_entries() if hit(r.grapheme, r.voice)]
            ids: list[str] = []
            for record in records:
                ids.extend(delete_entry(store, None, record.id))
        finally:
            store.close()
        removed, where = len(records), "the lexicon database"
        _rerendered(sorted(set(ids)))
    if not removed:
        raise UsageError(f"{grapheme!r} is not in {where}.", reason="lexicon_entry_not_found")
    typer.echo(f"removed\t{removed}\t{grapheme}")


@app.command("import")
def import_entries(
    src: Annotated[Path, typer.Argument(help="A .tsv, .pls or .xml lexicon to merge in.")],
    file: FileOption = None,
    voice_config: VoiceConfigOption = None,
) -> None:
    """Merge another lexicon's entries in; imported entries replace same-key ones."""
    from vorlesen.lexicon.match import Lexicon
    from vorlesen.lexicon.storage import LexiconFile
    from vorlesen.service.lexicon import save_entries

    incoming = LexiconFile(src).load(missing_ok=False)
    if file is not None:
        lexicon_file = LexiconFile(file)
        merged = Lexicon([*lexicon_file.load(), *incoming]).entries
        lexicon_file.save(merged, allowed=_allowed(voice_config))
    else:
        settings = _settings()
        for entry in incoming:
            _check(entry, settings, voice_config)
        store = _store(settings)
        try:
            _records, ids = save_entries(store, None, incoming)
        finally:
            store.close()
        _rerendered(ids)
    typer.echo(f"imported\t{len(incoming)}\t{src}")


@app.command("export")
def export_entries(
    dest: Annotated[Path, typer.Argument(help="Where to write: .tsv, .pls or .xml.")],
    file: FileOption = None,
) -> None:
    """Write the lexicon to a file, converting the format by extension."""
    from vorlesen.lexicon.storage import LexiconFile

    entries = _entries(file, missing_ok=False)
    LexiconFile(dest).save(entries)
    typer.echo(f"exported\t{len(entries)}\t{dest}")
