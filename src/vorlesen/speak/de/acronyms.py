"""The fallback rule for acronyms not in ``data/acronyms.tsv``: spell or say as a word.

A reader says an unknown all-capitals word as a word when it looks like one: four letters
or more, at least two vowels, an onset German allows and no run of three consonants
("NABU", "OPEC"). Everything else is spelled letter by letter ("BND", "DFKI").
"""

from __future__ import annotations

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


def read_unknown(word: str) -> str:
    """How to read an acronym that no table knows."""
    if word.isupper() and pronounceable(word):
        return word.capitalize()
    return spell(word)
