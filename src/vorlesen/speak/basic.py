"""A basic normalizer for languages without a full rule set: cardinals, decimals, percent.

German has its own normalizer in :mod:`vorlesen.speak.de`; this one serves the other
languages a voice may speak (``--lang en`` with an English voice), reading numbers with
num2words so that no digits reach the engine.
"""

from __future__ import annotations

import re

from num2words import num2words

from vorlesen.models import NormalizedText, SpokenToken

__all__ = ["normalize_basic"]

# Decimal mark and grouping separator per language (en: 1,234.5; most others: 1.234,5).
_SEPARATORS: dict[str, tuple[str, str]] = {"en": (".", ",")}
_PERCENT_WORD: dict[str, str] = {
    "en": "percent",
    "fr": "pour cent",
    "es": "por ciento",
    "it": "per cento",
    "nl": "procent",
}
_NUMBER = re.compile(r"(?<![\w.,])([+-]?)(\d{1,3}(?:[.,]\d{3})+|\d+)(?:([.,])(\d+))?(\s?%)?")
_MAX_DIGITS = 30  # num2words overflows above ~10^30; longer runs are read digit by digit


def _spell_digits(digits: str, lang: str) -> str:
    return " ".join(num2words(int(d), lang=lang) for d in digits)


def _number_words(sign: str, integer: str, decimals: str, lang: str) -> str:
    words = []
    if len(integer) > _MAX_DIGITS:
        words.append(_spell_digits(integer, lang))
    else:
        value = -int(integer) if sign == "-" else int(integer)
        words.append(num2words(value, lang=lang))
    if decimals:
        # The language's decimal word, as num2words says it ("point", "virgule", "Komma").
        words.append(num2words(0.5, lang=lang).split()[1])
        words.append(_spell_digits(decimals, lang))
    return " ".join(w for w in words if w)


def normalize_basic(text: str, lang: str) -> NormalizedText:
    """Replace numbers in ``text`` by words in ``lang``; everything else passes through."""
    decimal_mark, group_mark = _SEPARATORS.get(lang, (",", "."))
    tokens: list[SpokenToken] = []
    pos = 0
    for m in _NUMBER.finditer(text):
        sign, integer, mark, frac, percent = m.groups()
        if mark is not None and mark != decimal_mark:
            # "1.5" in German-style languages is not a decimal: read the parts separately.
            integer, frac = integer + mark + frac, ""
        integer = integer.replace(group_mark, "")
        if not integer.isdigit():
            integer = re.sub(r"\D", "", integer)
        try:
            spoken = _number_words(sign, integer, frac or "", lang)
        except (NotImplementedError, OverflowError, ValueError):
            spoken = _spell_digits(integer, "en")
        if percent:
            spoken += " " + _PERCENT_WORD.get(lang, "%")
        if m.start() > pos:
            tokens.append(SpokenToken(pos, m.start(), text[pos : m.start()]))
        tokens.append(SpokenToken(m.start(), m.end(), spoken))
        pos = m.end()
    if pos < len(text):
        tokens.append(SpokenToken(pos, len(text), text[pos:]))
    return NormalizedText(written=text, tokens=tuple(tokens))
