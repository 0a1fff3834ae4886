"""Pronunciation entries: what an editor fixes once so it applies everywhere.

An entry maps a *grapheme* (a word or phrase, matched as whole words) to one of three
pronunciations: an ``alias`` (a respelling in German letters the voice reads as text),
``ipa`` (phonemes in espeak's IPA inventory, spoken verbatim) or ``lang`` (the phrase is
phonemized in another language, e.g. English for "Financial Times").

Entries are normalized and checked when they are made, so every file format and the
matcher can rely on them: whitespace collapsed, no control characters, at least one
letter or digit in the grapheme, a well-formed language tag and voice name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from vorlesen.errors import InputError

__all__ = ["ENTRY_KINDS", "EntryKind", "LexEntry", "make_entry"]

EntryKind = Literal["alias", "ipa", "lang"]
"""How an entry says a grapheme: respelled text, IPA phonemes, or another language."""

ENTRY_KINDS: tuple[EntryKind, ...] = ("alias", "ipa", "lang")

_LANG_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
"""BCP 47-ish language tag as espeak-ng names its voices ("en", "en-us", "en-GB-x-rp")."""

_VOICE_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")
"""Piper voice names ("de_DE-thorsten-medium"); no commas or '=' so TSV options stay simple."""

_WORD_CHAR = re.compile(r"[^\W_]")

MAX_FIELD_CHARS = 500
"""Longest grapheme or value accepted: a phrase, not a paragraph (bounds matching cost)."""


@dataclass(frozen=True, slots=True)
class LexEntry:
    """One pronunciation fix. Build through :func:`make_entry` to get a checked value."""

    grapheme: str
    """The written word or phrase, matched as whole words."""
    kind: EntryKind
    value: str
    """Alias text, IPA string, or language tag, depending on ``kind``."""
    case_sensitive: bool = False
    """When false (default), "TRUMP" and "trump" match an entry "Trump" too."""
    voice: str | None = None
    """Only for this voice; ``None`` means all voices."""

    def __post_init__(self) -> None:
        _check(self)

    @property
    def key(self) -> tuple[str, bool, str | None]:
        """Identity in a lexicon: a later entry with the same key replaces an earlier one."""
        grapheme = self.grapheme if self.case_sensitive else self.grapheme.casefold()
        return (grapheme, self.case_sensitive, self.voice)


def _clean(text: str) -> str:
    """Collapse whitespace runs to one space and strip; NFC so that "ö" is one letter."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def make_entry(
    grapheme: str,
    kind: str,
    value: str,
    *,
    case_sensitive: bool = False,
    voice: str | None = None,
) -> LexEntry:
    """Normalize and check the parts of an entry, raising :class:`InputError` if invalid.

    Whitespace is collapsed (files and forms add stray spaces); the kind must be one of
    :data:`ENTRY_KINDS`. IPA symbols are checked against a voice later, when saving.
    """
    if kind not in ENTRY_KINDS:
        raise InputError(
            f"Unknown entry type {kind!r}; use one of: {', '.join(ENTRY_KINDS)}.",
            reason="lexicon_bad_type",
        )
    cleaned_value = _clean(value)
    if kind == "lang":
        cleaned_value = cleaned_value.replace("_", "-")
    return LexEntry(
        grapheme=_clean(grapheme),
        kind=kind,  # checked against ENTRY_KINDS above (mypy narrows the `in`)
        value=cleaned_value,
        case_sensitive=case_sensitive,
        voice=voice or None,
    )


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in text)


def _check(entry: LexEntry) -> None:
    """Refuse entries no format can carry or no matcher can find."""
    if entry.kind not in ENTRY_KINDS:
        raise InputError(f"Unknown entry type {entry.kind!r}.", reason="lexicon_bad_type")
    for name, text in (("grapheme", entry.grapheme), ("value", entry.value)):
        if not text:
            raise InputError(f"The entry's {name} is empty.", reason="lexicon_empty")
        if text != _clean(text) or _has_control(text):
            raise InputError(
                f"The entry's {name} {text!r} has control characters or stray whitespace.",
                reason="lexicon_bad_text",
            )
        if len(text) > MAX_FIELD_CHARS:
            raise InputError(
                f"The entry's {name} is longer than {MAX_FIELD_CHARS} characters.",
                reason="lexicon_too_long",
            )
    if not _WORD_CHAR.search(entry.grapheme):
        raise InputError(
            f"The grapheme {entry.grapheme!r} has no letter or digit to match.",
            reason="lexicon_bad_grapheme",
        )
    if entry.kind == "lang" and not _LANG_TAG.match(entry.value):
        raise InputError(
            f"{entry.value!r} is not a language tag like 'en' or 'en-gb'.",
            reason="lexicon_bad_lang",
        )
    if entry.kind in ("alias", "ipa") and ("[[" in entry.value or "]]" in entry.value):
        raise InputError(
            "An alias or IPA value may not contain '[[' or ']]' (the engine's phoneme brackets).",
            reason="lexicon_bad_text",
        )
    if entry.voice is not None and not _VOICE_NAME.match(entry.voice):
        raise InputError(
            f"{entry.voice!r} is not a voice name (letters, digits, '_', '-', '.').",
            reason="lexicon_bad_voice",
        )
