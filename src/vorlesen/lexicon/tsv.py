"""The editors' lexicon format: one entry a line, tab-separated.

::

    # comment
    Pjöngjang<TAB>alias<TAB>Pjöng-jang
    Financial Times<TAB>lang<TAB>en
    Selenskyj<TAB>ipa<TAB>zɛlˈɛnskɪj<TAB>case=sensitive,voice=de_DE-thorsten-medium

The options column is optional (defaults: case-insensitive, all voices). A grapheme that
starts with ``#`` or ``\\`` is written with a leading backslash, so "#MeToo" is an entry
and not a comment.
"""

from __future__ import annotations

from collections.abc import Iterable

from vorlesen.errors import InputError, VorlesenError
from vorlesen.lexicon.entries import LexEntry, make_entry

__all__ = ["dump_tsv", "parse_tsv"]

_HEADER = "# vorlesen lexicon: grapheme<TAB>alias|ipa|lang<TAB>value<TAB>case=…,voice=…\n"


def _unescape(grapheme: str) -> str:
    return grapheme[1:] if grapheme.startswith("\\") else grapheme


def _escape(grapheme: str) -> str:
    return "\\" + grapheme if grapheme.startswith(("#", "\\")) else grapheme


def _options(raw: str, where: str) -> tuple[bool, str | None]:
    case_sensitive = False
    voice: str | None = None
    for item in filter(None, (x.strip() for x in raw.split(","))):
        name, sep, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if sep and name == "case" and value in ("sensitive", "insensitive"):
            case_sensitive = value == "sensitive"
        elif sep and name == "voice" and value:
            voice = value
        else:
            raise InputError(
                f"{where}: unknown option {item!r}; use case=sensitive|insensitive or voice=NAME.",
                reason="lexicon_syntax",
            )
    return case_sensitive, voice


def parse_tsv(text: str, *, source: str = "lexicon") -> list[LexEntry]:
    """Entries of a TSV lexicon, in file order; a bad line raises naming its number."""
    entries: list[LexEntry] = []
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{source}, line {number}"
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) not in (3, 4):
            raise InputError(
                f"{where}: expected 3 or 4 tab-separated fields "
                f"(grapheme, type, value, options), found {len(fields)}.",
                reason="lexicon_syntax",
            )
        grapheme, kind, value = fields[:3]
        case_sensitive, voice = _options(fields[3] if len(fields) == 4 else "", where)
        try:
            entries.append(
                make_entry(
                    _unescape(grapheme),
                    kind.strip(),
                    value,
                    case_sensitive=case_sensitive,
                    voice=voice,
                )
            )
        except VorlesenError as exc:
            raise InputError(f"{where}: {exc.message}", reason=exc.reason) from exc
    return entries


def dump_tsv(entries: Iterable[LexEntry]) -> str:
    """A TSV lexicon that :func:`parse_tsv` reads back to the same entries."""
    lines = [_HEADER]
    for entry in entries:
        options = []
        if entry.case_sensitive:
            options.append("case=sensitive")
        if entry.voice is not None:
            options.append(f"voice={entry.voice}")
        fields = [_escape(entry.grapheme), entry.kind, entry.value]
        if options:
            fields.append(",".join(options))
        lines.append("\t".join(fields) + "\n")
    return "".join(lines)
