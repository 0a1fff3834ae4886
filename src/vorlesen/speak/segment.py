"""Split German text into sentences, keeping character offsets.

A period, ``!``, ``?`` or ``…`` ends a sentence only when what follows (after closing
quotes and brackets) is whitespace and then the start of a new sentence: a capital letter,
a digit or an opening quote. Lower-case continuations never start a sentence, which
already keeps "Karl V. regierte", "z. B. im" or "ca. die Hälfte" together. For a capital
or a digit after a period we look at the word before it:

* a known abbreviation that does not end sentences ("Dr.", "Nr.", "ca.", "Std.", "Dez."),
  from ``data/nonfinal_abbreviations.txt``;
* a single letter (initials, "z. B.", "u. a.", "d. h.");
* a number of at most three digits read as an ordinal: "am 1. August", "im 19. Jahrhundert",
  "der 1. FC Köln" — decided from the word before it (articles, prepositions) or after it
  (months, nouns counted with ordinals).

Periods inside a token ("03.10.2023", "www.bund.de", "4.3") are never candidates because
they are not followed by whitespace. Runs in linear time.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

__all__ = ["split_sentences"]

_END = frozenset(".!?…")
_CLOSERS = frozenset("“”\"'’‘»«)]")
_OPENERS = frozenset("„“\"'‚‘»«([–—-")

_WORD_BEFORE = re.compile(r"([\w§]+)\s*$")

# Words before "N." that make N an ordinal ("am 1.", "zum 3.", "der 9.").
_ORDINAL_LEFT = frozenset(
    [
        "am",
        "im",
        "vom",
        "zum",
        "beim",
        "bis",
        "ab",
        "seit",
        "zur",
        "dem",
        "den",
        "der",
        "des",
        "die",
        "das",
        "ein",
        "eine",
        "einem",
        "einen",
        "einer",
        "eines",
        "jeder",
        "jedes",
        "jeden",
        "jedem",
        "jede",
        "ihr",
        "ihre",
        "ihrem",
        "ihren",
        "ihres",
        "sein",
        "seine",
        "seinem",
        "seinen",
        "seines",
        "unser",
        "unsere",
        "nach",
        "vor",
        "zwischen",
    ]
)
# Capitalized words after "N." that are counted with ordinals.
_ORDINAL_RIGHT = frozenset(
    [
        "Januar",
        "Jänner",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
        "Jan",
        "Feb",
        "Mär",
        "Mrz",
        "Apr",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Sept",
        "Okt",
        "Nov",
        "Dez",
        "Jahrhundert",
        "Jahrhunderts",
        "Jahrtausend",
        "Jh",
        "Platz",
        "Rang",
        "Mal",
        "Stock",
        "Stockwerk",
        "Etage",
        "Geburtstag",
        "Todestag",
        "Jahrestag",
        "Klasse",
        "Liga",
        "Bundesliga",
        "Runde",
        "Spieltag",
        "Stelle",
        "Kapitel",
        "Auflage",
        "Sinfonie",
        "Symphonie",
        "Satz",
        "Advent",
        "Weltkrieg",
        "Weltkriegs",
        "FC",
        "SC",
        "SV",
        "VfB",
        "VfL",
        "TSV",
        "Lauf",
        "Wahlgang",
        "Durchgang",
        "Bezirk",
        "Kongress",
        "Parteitag",
        "Grad",
        "Quartal",
        "Halbjahr",
        "Tag",
        "Woche",
        "Monat",
        "Sitzung",
        "Ausgabe",
        "Lesung",
        "Instanz",
        "Senat",
        "Strafsenat",
        "Zivilsenat",
        "Kammer",
        "Korps",
        "Armee",
        "Division",
        "Mannschaft",
        "Welle",
        "Stufe",
        "Akt",
        "Teil",
    ]
)


@lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    text = resources.files("vorlesen.speak").joinpath("data/nonfinal_abbreviations.txt")
    words = set()
    for line in text.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.add(line)
    return frozenset(words)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` spans of the sentences in ``text``, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    n = len(text)
    start = 0
    i = 0
    while i < n:
        ch = text[i]
        if ch not in _END:
            i += 1
            continue
        # Extend over runs of terminators ("?!", "...") and closing quotes/brackets.
        j = i + 1
        while j < n and text[j] in _END:
            j += 1
        while j < n and text[j] in _CLOSERS:
            j += 1
        if j == i + 1 and _glued_sentence(text, start, i):
            # "beraten.Vor allem": the space after the period lost in the source
            _add_span(text, start, j, spans)
            start = j
            i = j
            continue
        if j >= n or not text[j].isspace():
            i = j
            continue
        if _inside_brackets(text, start, i):
            i = j  # "(SV GO! Saar 05; 53,66 sec)": a club's name, not a sentence end
            continue
        k = j
        while k < n and text[k].isspace():
            k += 1
        if k >= n:
            break
        if _starts_sentence(text, k) and not _keeps_together(text, start, i, k):
            _add_span(text, start, j, spans)
            start = k
        i = k
    _add_span(text, start, n, spans)
    return spans


_GLUED = re.compile(r"[A-ZÄÖÜa-zäöüß][a-zäöüß]{2,}\.[A-ZÄÖÜ][a-zäöüß]+\b")
"""A word ending in lower case, a period and a capitalized word with no space: two sentences whose
space the source lost ("beraten.Vor"). Addresses are lower case ("bund.de") and
abbreviations ("bzw.Die") are checked against the table."""
_BRACKET_REACH = 80
"""How far an open bracket before a "!" or "?" and its closing one after may be for the
mark to stay inside the bracket ("(SV GO! Saar 05)")."""


def _glued_sentence(text: str, start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    left = dot
    while left > start and text[left - 1].isalpha():
        left -= 1
    m = _GLUED.match(text, left)
    word = text[left:dot]
    if m is None or m.start() != left or word in _abbreviations():
        return False
    if word.lower() in _abbreviations():
        return False
    return left == start or not (text[left - 1].isalnum() or text[left - 1] in "./@-_")


def _inside_brackets(text: str, start: int, mark: int) -> bool:
    """Whether the "!" or "?" at ``mark`` stands inside a short bracket in its sentence."""
    if text[mark] not in "!?":
        return False
    opened = text.rfind("(", max(start, mark - _BRACKET_REACH), mark)
    if opened < 0 or ")" in text[opened:mark]:
        return False
    closed = text.find(")", mark, mark + _BRACKET_REACH)
    return closed >= 0 and "(" not in text[mark:closed]


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def _starts_sentence(text: str, k: int) -> bool:
    ch = text[k]
    if ch in _OPENERS:
        return True
    return ch.isupper() or ch.isdigit()


def _keeps_together(text: str, start: int, dot: int, nxt: int) -> bool:
    """Whether the terminator at ``dot`` belongs to an abbreviation or ordinal."""
    if text[dot] != "." or (dot > 0 and text[dot - 1] == "."):
        return False  # "!", "?", "…" and "..." always end a sentence here
    m = _WORD_BEFORE.search(text, max(start, dot - 40), dot)
    if m is None:
        return False
    word = m.group(1)
    if len(word) == 1 and word.isalpha():
        return True  # initials and "z. B.", "u. a."
    if word in _abbreviations() or word.lower() in _abbreviations():
        return True
    if word.isdigit() and len(word) <= 3:
        next_word = _word_at(text, nxt)
        if next_word in _ORDINAL_RIGHT or next_word.rstrip(".") in _ORDINAL_RIGHT:
            return True
        before = _WORD_BEFORE.search(text, max(start, m.start() - 40), m.start())
        return before is not None and before.group(1).lower() in _ORDINAL_LEFT
    return False


def _word_at(text: str, k: int) -> str:
    end = k
    n = len(text)
    while end < n and (text[end].isalnum() or text[end] == "."):
        end += 1
        if end - k > 40:
            break
    return text[k:end].rstrip(".")
