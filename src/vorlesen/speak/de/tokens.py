"""Split German text into typed tokens with their character offsets.

Kinds: ``sp`` whitespace, ``num`` ASCII digits with inner separators ("1.487.708",
"3,7", "19:45"), ``word`` a run of letters, ``url`` a web or e-mail address, ``sym`` any
other single character, or a run of sub- or superscript digits ("₂" in "CO₂", "²" in
"m²"), or one vulgar fraction ("½"). Python counts those as alphanumeric, so without
their own piece "CO₂" would be one word and be spelled "C O ₂". Every character of the
input belongs to exactly one token, so offsets survive normalization.

All patterns here are linear: no nested quantifiers, and the URL patterns only ever see
one whitespace-free chunk of bounded length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SP, NUM, WORD, URL, SYM = "sp", "num", "word", "url", "sym"

_CHUNKS = re.compile(r"\s+|\S+")
SCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉"
"""Superscript and subscript digits: read as digits, never part of a word."""
VULGAR_FRACTIONS = "½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅛⅜⅝⅞"
_PIECES = re.compile(
    rf"([0-9]+(?:[.,:][0-9]+)*)|([^\W\d_{SCRIPT_DIGITS}{VULGAR_FRACTIONS}]+)"
    rf"|([{SCRIPT_DIGITS}]+|.)",
    re.DOTALL,
)
_TLDS = "de|com|org|net|eu|info|at|ch|io|gov|int|uk|fr|it|es|nl|pl|tv|online|news|app"
_URL = re.compile(
    rf"(?:https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    rf"|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{_TLDS})(?:/\S*)?)",
    re.IGNORECASE,
)
_URL_HINT = re.compile(rf"@|www\.|://|\.(?:{_TLDS})\b", re.IGNORECASE)
_MAX_URL = 300
"""Longer chunks are never treated as addresses (bounds the URL regex's work)."""
_TRAILING = ".,;:!?)]}>\"'»«“”„’"
_LEADING = "*<([{\"'»«“”„‚‘"


@dataclass(slots=True)
class Token:
    """One token: its kind, text and span in the input."""

    kind: str
    text: str
    start: int
    end: int


def _pieces(chunk: str, offset: int, out: list[Token]) -> None:
    for m in _PIECES.finditer(chunk):
        kind = NUM if m.group(1) else WORD if m.group(2) else SYM
        out.append(Token(kind, m.group(), offset + m.start(), offset + m.end()))


def tokenize(text: str) -> list[Token]:
    """Tokens covering ``text`` completely and in order."""
    out: list[Token] = []
    for m in _CHUNKS.finditer(text):
        chunk = m.group()
        start = m.start()
        if chunk[0].isspace():
            out.append(Token(SP, chunk, start, m.end()))
            continue
        if len(chunk) <= _MAX_URL and _URL_HINT.search(chunk):
            lead = len(chunk) - len(chunk.lstrip(_LEADING))
            core = chunk[lead:].rstrip(_TRAILING)
            if core and _URL.fullmatch(core):
                _pieces(chunk[:lead], start, out)
                u_start = start + lead
                out.append(Token(URL, core, u_start, u_start + len(core)))
                _pieces(chunk[lead + len(core) :], u_start + len(core), out)
                continue
        _pieces(chunk, start, out)
    return out
