"""The fallback rule for acronyms not in ``data/acronyms.tsv``: spell or say as a word.

Real pages print words in capitals too: datelines ("SIMMELSDORF –"), kickers
("KOMMENTAR"), station names ("MDR THÜRINGEN"), photo credits ("JEFF PACHOUD"). A reader
says an unknown all-capitals word of four letters or more as a word when

* it looks like one: at least two vowels, an onset German allows and no run of three
  consonants ("NABU", "OPEC", "KOMMENTAR");
* or it is a common word: in the German frequency list of ``wordfreq`` (a maintained word
  list built from subtitles, news, Wikipedia and the web) with a vowel, and no run of four
  consonants ("THÜRINGEN", "JEFF", "NORTH"; not "DSGVO", which is frequent too);
* or it is long (seven letters or more) with a vowel in every four sounds: acronyms are
  short, names in capitals are not ("SIMMELSDORF", "KUDRYAVTSEV", "SCHWARZENBRUCK");
* or it stands beside a capital word read as a word and could be one itself ("PHILIP
  FONG").

Everything else is spelled letter by letter ("BND", "DFKI", "BDEW"). Three letters or
fewer are always spelled: "ARD", "CDU" are frequent words in the list, but acronyms.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise

_VOWELS = frozenset("AEIOUÄÖÜY")
_ONSETS = frozenset(
    [
        "BL",
        "BR",
        "CH",
        "DR",
        "FL",
        "FR",
        "GL",
        "GN",
        "GR",
        "KL",
        "KN",
        "KR",
        "PF",
        "PH",
        "PL",
        "PR",
        "SCH",
        "SK",
        "SL",
        "SM",
        "SN",
        "SP",
        "ST",
        "SW",
        "TR",
        "TS",
        "ZW",
    ]
)


_WORD_ZIPF = 3.0
"""Zipf frequency (log10 per billion words) from which a capital word is a common German
word: once per million words, the floor of wordfreq's small list, which loads in a few
milliseconds (the large one takes half a second). "THÜRINGEN" is 4.4, "JEFF" 3.9."""
_MIN_WORD = 4
"""Shortest all-capitals word read as a word; shorter ones are acronyms ("ARD", "USA")."""
_LONG_WORD = 7
"""Length from which an all-capitals word with enough vowels is a word, not an acronym."""
_LONG_VOWEL_SHARE = 0.25
_MAX_CONSONANT_RUN = 3
"""Longest consonant run in a capital word read as a word ("NORTH"; not "DSGVO")."""


@lru_cache(maxsize=16384)
def german_zipf(word: str) -> float:
    """How common ``word`` is in German (Zipf scale; 0 when not in the list)."""
    # imported here: only a page with an unknown capital word pays for loading it
    from wordfreq import zipf_frequency

    return float(zipf_frequency(word.lower(), "de", wordlist="small"))


_DIGRAPHS = ("SCH", "CH", "CK", "PH", "TH")
"""Letter groups that are one sound: "SCHWEIZ" has a run of two consonants, not four."""
_SONORANTS = frozenset("LMNR")
_LONG_ONSETS = frozenset(
    # German three- and four-letter onsets, and those of names from other languages
    ["SCHW", "SCHR", "SCHL", "SCHM", "SCHN", "STR", "SPR", "SPL", "TH", "WR", "ZH", "SH"]
)


def _sounds(letters: str) -> str:
    """``letters`` with each digraph as one consonant ("Q" stands for any)."""
    for digraph in _DIGRAPHS:
        letters = letters.replace(digraph, "Q")
    return letters


def _longest_consonant_run(letters: str) -> int:
    longest = run = 0
    for c in _sounds(letters):
        run = 0 if c in _VOWELS else run + 1
        longest = max(longest, run)
    return longest


def _one_syllable_ok(letters: str) -> bool:
    """For a word with one vowel group: an onset German allows, and a coda that falls in
    sonority ("NORTH", "MARKT", "JEFF"), unlike a spelled code ("ISBN", "ÖPNV")."""
    first = next(k for k, c in enumerate(letters) if c in _VOWELS)
    onset = letters[:first]
    if len(onset) > 1 and onset not in _ONSETS and onset not in _LONG_ONSETS:
        return False
    last = max(k for k, c in enumerate(letters) if c in _VOWELS)
    coda = _sounds(letters[last + 1 :])
    if "C" in coda:
        return False  # a "c" that is not "ck" or "ch" ends no German word: "ADFC"
    if coda.startswith("H"):
        coda = coda[1:]  # "JOHN", "FEHL": an "h" after the vowel only lengthens it
    return not any(a not in _SONORANTS and b in _SONORANTS for a, b in pairwise(coda))


def reads_as_word(word: str, beside_word: bool = False) -> bool:
    """Whether an all-capitals ``word`` no table knows is said as a word (see the module
    docstring); ``beside_word``: a capital word next to it is read as a word."""
    letters = word.upper()
    if len(letters) < _MIN_WORD or not letters.isalpha():
        return False
    if pronounceable(letters):
        return True
    vowels = sum(c in _VOWELS for c in letters)
    if vowels == 0:
        return False
    run = _longest_consonant_run(letters)
    if (
        len(letters) >= _LONG_WORD
        and vowels / len(_sounds(letters)) >= _LONG_VOWEL_SHARE
        and run <= _MAX_CONSONANT_RUN + 1
    ):
        return True  # a compound may join four consonants: "OBERSTDORF"
    if run > _MAX_CONSONANT_RUN:
        return False
    groups = sum(
        1
        for k, c in enumerate(letters)
        if c in _VOWELS and (k == 0 or letters[k - 1] not in _VOWELS)
    )
    if groups == 1 and not _one_syllable_ok(letters):
        return False
    return beside_word or german_zipf(letters) >= _WORD_ZIPF


def spell(word: str) -> str:
    """Letters as capitals separated by spaces: "BND" → "B N D"."""
    return " ".join(word.upper())


def pronounceable(word: str) -> bool:
    """Whether an all-capitals acronym reads naturally as a word."""
    letters = word.upper()
    if len(letters) < 4 or not letters.isalpha():
        return False
    if sum(c in _VOWELS for c in letters) < 2:
        return False
    if letters[0] not in _VOWELS and letters[1] not in _VOWELS:
        onset = letters[:3] if letters.startswith("SCH") else letters[:2]
        if onset not in _ONSETS:
            return False
    run = 0
    for c in letters:
        run = 0 if c in _VOWELS else run + 1
        if run >= 3:
            return False
    return True


def is_acronym_shape(word: str) -> bool:
    """All capitals (two or more), or short mixed forms like "AfD", "GmbH", "StGB"."""
    if len(word) < 2:
        return False
    uppers = sum(c.isupper() for c in word)
    if uppers == len(word):
        return True
    lowers = len(word) - uppers
    return uppers >= 2 and lowers <= 2 and len(word) <= 6 and not word[1:].islower()


def read_unknown(word: str, beside_word: bool = False) -> str:
    """How to read an acronym that no table knows: "MDR" → "M D R", "THÜRINGEN" →
    "Thüringen", a plural "CNTs" → "C N Ts"."""
    if word.isupper() and reads_as_word(word, beside_word):
        return word.capitalize()
    if len(word) > 2 and word.endswith("s") and word[:-1].isupper():
        return read_unknown(word[:-1], beside_word) + "s"
    return spell(word)
