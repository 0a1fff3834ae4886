"""Turn lexicon parts into the text a Piper voice receives.

Aliases are inlined as text (the German voice reads the respelling); IPA entries and
foreign-language phrases become Piper's raw phoneme blocks ``[[ … ]]``, which Piper
speaks symbol by symbol without phonemizing. Plain text is passed through, with any
square brackets turned round so an article cannot inject phonemes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

from vorlesen.errors import UsageError
from vorlesen.lexicon.entries import LexEntry
from vorlesen.lexicon.match import LexPart

__all__ = ["GENITIVE_IPA", "phoneme_block", "render_for_engine", "spoken_phonemes"]

GENITIVE_IPA = "s"
"""The sound of the German genitive ending, added after an IPA or language match."""


def phoneme_block(ipa: str) -> str:
    """Wrap IPA in Piper's raw phoneme brackets, NFD-normalized as Piper's phonemizer is."""
    return "[[" + unicodedata.normalize("NFD", ipa) + "]]"


_BRACKETS = str.maketrans("[]", "()")
"""Square brackets in text become round ones: espeak reads both silently, and no "[["
can then form, even where a plain part's "[" meets a phoneme block."""


def _defuse(text: str) -> str:
    """Make text safe to place next to phoneme blocks (no injected ``[[ … ]]``)."""
    return text.translate(_BRACKETS)


def _is_english(lang: str) -> bool:
    return lang.casefold() == "en" or lang.casefold().startswith("en-")


def spoken_phonemes(
    entry: LexEntry,
    genitive: bool,
    phonemize_en: Callable[[str], str],
    phonemize_other: Callable[[str, str], str] | None = None,
) -> str:
    """The IPA an ``ipa`` or ``lang`` entry is spoken with (genitive "s" included)."""
    if entry.kind == "ipa":
        ipa = entry.value
    elif entry.kind == "lang":
        if _is_english(entry.value):
            ipa = phonemize_en(entry.grapheme)
        elif phonemize_other is not None:
            ipa = phonemize_other(entry.value, entry.grapheme)
        else:
            raise UsageError(
                f"The entry {entry.grapheme!r} is in language {entry.value!r}, and no "
                "phonemizer for that language was given.",
                reason="lexicon_lang_unsupported",
            )
    else:
        raise UsageError(f"An {entry.kind} entry has no phonemes.", reason="lexicon_bad_type")
    return ipa + GENITIVE_IPA if genitive else ipa


def render_for_engine(
    parts: Sequence[LexPart],
    phonemize_en: Callable[[str], str],
    *,
    phonemize_other: Callable[[str, str], str] | None = None,
) -> str:
    """The sentence as Piper's input: plain text, aliases inline, ``[[IPA]]`` blocks.

    ``phonemize_en`` turns an English phrase into IPA (espeak-ng's English voice, e.g.
    :func:`vorlesen.lexicon.phonemes.espeak_phonemes`); ``phonemize_other(lang, text)``
    serves entries in other languages. Whitespace around parts is kept as written, which
    Piper uses to decide word boundaries around phoneme blocks.
    """
    out: list[str] = []
    for part in parts:
        entry = part.entry
        if entry is None:
            out.append(_defuse(part.text))
        elif entry.kind == "alias":
            out.append(_defuse(entry.value + ("s" if part.genitive else "")))
        else:
            ipa = spoken_phonemes(entry, part.genitive, phonemize_en, phonemize_other)
            out.append(phoneme_block(ipa))
    return "".join(out)
