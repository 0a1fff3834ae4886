"""``vorlesen lexicon …``: edit the publisher's pronunciation lexicon from the shell.

The file defaults to ``VORLESEN_LEXICON`` or ``<data_dir>/lexicon.tsv``; ``vorlesen read``
and ``vorlesen say`` apply that same file when it exists and no ``--lexicon`` is given
(:func:`render_lexicon`), so an entry added here is heard there. Errors are raised as
:class:`~vorlesen.errors.VorlesenError`; the main CLI turns them into messages and exit
codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vorlesen.errors import UsageError

if TYPE_CHECKING:  # imported in the commands, so `vorlesen --help` stays fast
    from vorlesen.lexicon.entries import LexEntry
    from vorlesen.lexicon.storage import LexiconFile

__all__ = ["app", "default_lexicon_path", "render_lexicon"]

app = typer.Typer(
    name="lexicon",
    help="Pronunciation fixes for names and foreign terms (TSV or W3C PLS files).",
    no_args_is_help=True,
)

FileOption = Annotated[
    Path | None,
    typer.Option("--file", "-f", help="Lexicon file (.tsv, .pls, .xml)."),
]
VoiceConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--voice-config",
        help="Piper voice .onnx.json whose phonemes IPA must use (default: espeak's set).",
    ),
]


def default_lexicon_path() -> Path:
    """``VORLESEN_LEXICON`` if set, else ``lexicon.tsv`` in the settings' data folder."""
    from vorlesen.config import get_settings

    settings = get_settings()
    return settings.lexicon or settings.data_dir / "lexicon.tsv"


def render_lexicon(given: Path | None) -> Path | None:
    """The lexicon a render applies: ``given`` (``--lexicon``), else the default file that
    ``vorlesen lexicon`` edits when it exists, else none (the built-in one alone)."""
    if given is not None:
        return given
    default = default_lexicon_path()
    return default if default.is_file() else None


def _file(path: Path | None) -> LexiconFile:
    from vorlesen.lexicon.storage import LexiconFile

    return LexiconFile(path if path is not None else default_lexicon_path())


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

    given = [(k, v) for k, v in (("alias", alias), ("ipa", ipa), ("lang", lang)) if v is not None]
    if len(given) != 1:
        raise UsageError("Give exactly one of --alias, --ipa or --lang.", reason="lexicon_usage")
    kind, value = given[0]
    entry = make_entry(grapheme, kind, value, case_sensitive=case_sensitive, voice=voice)
    store = _file(file)
    entries = Lexicon([*store.load(), entry]).entries
    store.save(entries, allowed=_allowed(voice_config))
    typer.echo(f"added\t{_describe(entry)}")


@app.command("list")
def list_entries(
    file: FileOption = None,
    search: Annotated[
        str | None, typer.Option("--search", "-s", help="Only graphemes or values with this.")
    ] = None,
) -> None:
    """Print the entries, one a line, tab-separated like the TSV format."""
    needle = search.casefold() if search else None
    # A file named with --file must exist (a typo is not an empty lexicon); the default
    # file does not exist until the first `lexicon add`.
    for entry in _file(file).load(missing_ok=file is None):
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
    store = _file(file)
    entries = store.load()
    target = " ".join(grapheme.split()).casefold()

    def hit(entry: LexEntry) -> bool:
        return entry.grapheme.casefold() == target and (voice is None or entry.voice == voice)

    kept = [e for e in entries if not hit(e)]
    if len(kept) == len(entries):
        raise UsageError(
            f"{grapheme!r} is not in the lexicon {store.path}.", reason="lexicon_entry_not_found"
        )
    store.save(kept)
    typer.echo(f"removed\t{len(entries) - len(kept)}\t{grapheme}")


@app.command("import")
def import_entries(
    src: Annotated[Path, typer.Argument(help="A .tsv, .pls or .xml lexicon to merge in.")],
    file: FileOption = None,
    voice_config: VoiceConfigOption = None,
) -> None:
    """Merge another lexicon's entries in; imported entries replace same-key ones."""
    from vorlesen.lexicon.match import Lexicon
    from vorlesen.lexicon.storage import LexiconFile

    incoming = LexiconFile(src).load(missing_ok=False)
    store = _file(file)
    merged = Lexicon([*store.load(), *incoming]).entries
    store.save(merged, allowed=_allowed(voice_config))
    typer.echo(f"imported\t{len(incoming)}\t{src}")


@app.command("export")
def export_entries(
    dest: Annotated[Path, typer.Argument(help="Where to write: .tsv, .pls or .xml.")],
    file: FileOption = None,
) -> None:
    """Write the lexicon to another file, converting the format by extension."""
    from vorlesen.lexicon.storage import LexiconFile

    entries = _file(file).load(missing_ok=file is None)
    LexiconFile(dest).save(entries)
    typer.echo(f"exported\t{len(entries)}\t{dest}")
